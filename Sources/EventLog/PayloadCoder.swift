/// Encodes `Encodable` values as a ``Payload``: structs become objects, `nil`
/// optionals are left out, integers must fit `Int64`, and fractions are refused.
///
/// ```swift
/// struct Donor: Codable { var name: String; var kind: String }
/// let data = try PayloadEncoder().encode(Donor(name: "Chùa Tây An", kind: "religiousBody"))
/// ```
public struct PayloadEncoder: Sendable {
    public init() {}

    public func encode<Value: Encodable>(_ value: Value) throws -> Payload {
        let node = EncodingNode()
        try node.store(value, codingPath: [])
        return node.finish()
    }
}

/// Decodes `Decodable` values from a ``Payload``. Strict: an object member that the
/// type does not know is an error (`DecodingError.dataCorrupted` naming it), so a
/// misspelt field is never silently dropped.
public struct PayloadDecoder: Sendable {
    public init() {}

    public func decode<Value: Decodable>(_ type: Value.Type, from payload: Payload) throws -> Value {
        try PayloadDecoding(payload: payload, codingPath: []).decodeValue(type)
    }
}

// MARK: - Encoding

final class EncodingNode {
    enum Content {
        case value(Payload)
        case object([String: EncodingNode])
        case array([EncodingNode])
    }

    var content: Content = .value(.null)

    func finish() -> Payload {
        switch content {
        case .value(let payload): return payload
        case .object(let members): return .object(members.mapValues { $0.finish() })
        case .array(let items): return .array(items.map { $0.finish() })
        }
    }

    func store<Value: Encodable>(_ value: Value, codingPath: [any CodingKey]) throws {
        if let primitive = try primitivePayload(value, codingPath: codingPath) {
            content = .value(primitive)
        } else {
            try value.encode(to: NodeEncoder(node: self, codingPath: codingPath))
        }
    }

    func member(_ key: String) -> EncodingNode {
        if case .object(var members) = content {
            if let existing = members[key] { return existing }
            let child = EncodingNode()
            members[key] = child
            content = .object(members)
            return child
        }
        let child = EncodingNode()
        content = .object([key: child])
        return child
    }

    func appendItem() -> EncodingNode {
        let child = EncodingNode()
        if case .array(var items) = content {
            items.append(child)
            content = .array(items)
        } else {
            content = .array([child])
        }
        return child
    }
}

private func primitivePayload<Value: Encodable>(_ value: Value, codingPath: [any CodingKey]) throws -> Payload? {
    func integer<Integer: BinaryInteger>(_ number: Integer) throws -> Payload {
        guard let exact = Int64(exactly: number) else {
            throw EncodingError.invalidValue(
                number, .init(codingPath: codingPath, debugDescription: "integer outside the 64-bit signed range"))
        }
        return .integer(exact)
    }
    switch value {
    case let text as String: return .text(text)
    case let flag as Bool: return .bool(flag)
    case let number as Int64: return .integer(number)
    case let number as Int: return try integer(number)
    case let number as Int32: return try integer(number)
    case let number as UInt32: return try integer(number)
    case let number as UInt64: return try integer(number)
    case is Double, is Float:
        throw EncodingError.invalidValue(value, .init(codingPath: codingPath, debugDescription: "fractions are not stored"))
    default: return nil
    }
}

private struct NodeEncoder: Encoder {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func container<Key: CodingKey>(keyedBy type: Key.Type) -> KeyedEncodingContainer<Key> {
        if case .object = node.content {} else { node.content = .object([:]) }
        return KeyedEncodingContainer(KeyedNodeContainer(node: node, codingPath: codingPath))
    }

    func unkeyedContainer() -> any UnkeyedEncodingContainer {
        if case .array = node.content {} else { node.content = .array([]) }
        return UnkeyedNodeContainer(node: node, codingPath: codingPath)
    }

    func singleValueContainer() -> any SingleValueEncodingContainer {
        SingleNodeContainer(node: node, codingPath: codingPath)
    }
}

private struct KeyedNodeContainer<Key: CodingKey>: KeyedEncodingContainerProtocol {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil(forKey key: Key) throws {
        node.member(key.stringValue).content = .value(.null)
    }

    mutating func encode<Value: Encodable>(_ value: Value, forKey key: Key) throws {
        try node.member(key.stringValue).store(value, codingPath: codingPath + [key])
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type, forKey key: Key)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer(forKey key: Key) -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key]).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.member("super"), codingPath: codingPath) }
    mutating func superEncoder(forKey key: Key) -> any Encoder {
        NodeEncoder(node: node.member(key.stringValue), codingPath: codingPath + [key])
    }
}

private struct UnkeyedNodeContainer: UnkeyedEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]
    var count: Int {
        if case .array(let items) = node.content { return items.count }
        return 0
    }

    mutating func encodeNil() throws { node.appendItem().content = .value(.null) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try node.appendItem().store(value, codingPath: codingPath)
    }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy keyType: NestedKey.Type)
        -> KeyedEncodingContainer<NestedKey>
    {
        NodeEncoder(node: node.appendItem(), codingPath: codingPath).container(keyedBy: keyType)
    }

    mutating func nestedUnkeyedContainer() -> any UnkeyedEncodingContainer {
        NodeEncoder(node: node.appendItem(), codingPath: codingPath).unkeyedContainer()
    }

    mutating func superEncoder() -> any Encoder { NodeEncoder(node: node.appendItem(), codingPath: codingPath) }
}

private struct SingleNodeContainer: SingleValueEncodingContainer {
    let node: EncodingNode
    let codingPath: [any CodingKey]

    mutating func encodeNil() throws { node.content = .value(.null) }

    mutating func encode<Value: Encodable>(_ value: Value) throws {
        try node.store(value, codingPath: codingPath)
    }
}

// MARK: - Decoding

private struct PayloadDecoding: Decoder {
    let payload: Payload
    let codingPath: [any CodingKey]
    var userInfo: [CodingUserInfoKey: Any] { [:] }

    func decodeValue<Value: Decodable>(_ type: Value.Type) throws -> Value {
        if let primitive = try decodePrimitive(type) { return primitive }
        return try Value(from: self)
    }

    private func decodePrimitive<Value: Decodable>(_ type: Value.Type) throws -> Value? {
        func mismatch(_ expected: String) -> DecodingError {
            .typeMismatch(type, .init(codingPath: codingPath, debugDescription: "must be \(expected)"))
        }
        func integer() throws -> Int64 {
            guard case .integer(let number) = payload else { throw mismatch("a whole number") }
            return number
        }
        func narrowed<Integer: FixedWidthInteger>(_ type: Integer.Type) throws -> Integer {
            guard let exact = Integer(exactly: try integer()) else {
                throw DecodingError.dataCorrupted(.init(codingPath: codingPath, debugDescription: "is out of range"))
            }
            return exact
        }
        if type == String.self {
            guard case .text(let text) = payload else { throw mismatch("text") }
            return text as? Value
        }
        if type == Int64.self { return try integer() as? Value }
        if type == Int.self { return try narrowed(Int.self) as? Value }
        if type == Int32.self { return try narrowed(Int32.self) as? Value }
        if type == UInt32.self { return try narrowed(UInt32.self) as? Value }
        if type == UInt64.self { return try narrowed(UInt64.self) as? Value }
        if type == Bool.self {
            guard case .bool(let flag) = payload else { throw mismatch("true or false") }
            return flag as? Value
        }
        return nil
    }

    func container<Key: CodingKey>(keyedBy type: Key.Type) throws -> KeyedDecodingContainer<Key> {
        guard case .object(let members) = payload else {
            throw DecodingError.typeMismatch(
                [String: Payload].self, .init(codingPath: codingPath, debugDescription: "must be an object"))
        }
        for name in members.keys.sorted() where Key(stringValue: name) == nil {
            throw DecodingError.dataCorrupted(
                .init(codingPath: codingPath + [AnyKey(name)], debugDescription: "is not a known field"))
        }
        return KeyedDecodingContainer(KeyedPayloadContainer<Key>(members: members, codingPath: codingPath))
    }

    func unkeyedContainer() throws -> any UnkeyedDecodingContainer {
        guard case .array(let items) = payload else {
            throw DecodingError.typeMismatch(
                [Payload].self, .init(codingPath: codingPath, debugDescription: "must be an array"))
        }
        return UnkeyedPayloadContainer(items: items, codingPath: codingPath)
    }

    func singleValueContainer() throws -> any SingleValueDecodingContainer {
        SinglePayloadContainer(decoder: self)
    }
}

struct AnyKey: CodingKey {
    var stringValue: String
    var intValue: Int?
    init(_ string: String) { stringValue = string }
    init?(stringValue: String) { self.stringValue = stringValue }
    init?(intValue: Int) {
        stringValue = String(intValue)
        self.intValue = intValue
    }
}

private struct KeyedPayloadContainer<Key: CodingKey>: KeyedDecodingContainerProtocol {
    let members: [String: Payload]
    let codingPath: [any CodingKey]

    var allKeys: [Key] { members.keys.compactMap { Key(stringValue: $0) } }

    func contains(_ key: Key) -> Bool { members[key.stringValue] != nil }

    private func child(_ key: Key) throws -> PayloadDecoding {
        guard let member = members[key.stringValue] else {
            throw DecodingError.keyNotFound(key, .init(codingPath: codingPath + [key], debugDescription: "is required"))
        }
        return PayloadDecoding(payload: member, codingPath: codingPath + [key])
    }

    /// Always false: `null` stands for nothing in event data (an absent optional is
    /// left out), so a `null` is decoded as the field's type and refused.
    func decodeNil(forKey key: Key) throws -> Bool { false }

    func decode<Value: Decodable>(_ type: Value.Type, forKey key: Key) throws -> Value {
        try child(key).decodeValue(type)
    }

    func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type, forKey key: Key) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try child(key).container(keyedBy: type)
    }

    func nestedUnkeyedContainer(forKey key: Key) throws -> any UnkeyedDecodingContainer {
        try child(key).unkeyedContainer()
    }

    func superDecoder() throws -> any Decoder { try child(Key(stringValue: "super")!) }
    func superDecoder(forKey key: Key) throws -> any Decoder { try child(key) }
}

private struct UnkeyedPayloadContainer: UnkeyedDecodingContainer {
    let items: [Payload]
    let codingPath: [any CodingKey]
    var currentIndex = 0
    var count: Int? { items.count }
    var isAtEnd: Bool { currentIndex >= items.count }

    private mutating func next() throws -> PayloadDecoding {
        guard !isAtEnd else {
            throw DecodingError.valueNotFound(
                Payload.self, .init(codingPath: codingPath, debugDescription: "has too few items"))
        }
        defer { currentIndex += 1 }
        return PayloadDecoding(payload: items[currentIndex], codingPath: codingPath + [AnyKey(intValue: currentIndex)!])
    }

    mutating func decodeNil() throws -> Bool {
        guard !isAtEnd, items[currentIndex] == .null else { return false }
        currentIndex += 1
        return true
    }

    mutating func decode<Value: Decodable>(_ type: Value.Type) throws -> Value { try next().decodeValue(type) }

    mutating func nestedContainer<NestedKey: CodingKey>(keyedBy type: NestedKey.Type) throws
        -> KeyedDecodingContainer<NestedKey>
    {
        try next().container(keyedBy: type)
    }

    mutating func nestedUnkeyedContainer() throws -> any UnkeyedDecodingContainer { try next().unkeyedContainer() }
    mutating func superDecoder() throws -> any Decoder { try next() }
}

private struct SinglePayloadContainer: SingleValueDecodingContainer {
    let decoder: PayloadDecoding
    var codingPath: [any CodingKey] { decoder.codingPath }

    func decodeNil() -> Bool { decoder.payload == .null }
    func decode<Value: Decodable>(_ type: Value.Type) throws -> Value { try decoder.decodeValue(type) }
}
