/// Constants and writers of the deterministic CBOR subset used for event data.
public enum CBOR {
    static let majorUnsigned: UInt8 = 0
    static let majorNegative: UInt8 = 1
    static let majorText: UInt8 = 3
    static let majorArray: UInt8 = 4
    static let majorMap: UInt8 = 5
    static let majorSimple: UInt8 = 7
    static let `false`: UInt8 = 0xf4
    static let `true`: UInt8 = 0xf5
    static let null: UInt8 = 0xf6

    /// Appends a head: the major type and its argument in the shortest form.
    @inline(__always)
    public static func appendHead(major: UInt8, argument: UInt64, to bytes: inout [UInt8]) {
        let type = major << 5
        switch argument {
        case 0..<24:
            bytes.append(type | UInt8(argument))
        case 24...0xff:
            bytes.append(type | 24)
            bytes.append(UInt8(argument))
        case 0x100...0xffff:
            bytes.append(type | 25)
            appendBigEndian(argument, byteCount: 2, to: &bytes)
        case 0x1_0000...0xffff_ffff:
            bytes.append(type | 26)
            appendBigEndian(argument, byteCount: 4, to: &bytes)
        default:
            bytes.append(type | 27)
            appendBigEndian(argument, byteCount: 8, to: &bytes)
        }
    }

    @inline(__always)
    static func appendBigEndian(_ value: UInt64, byteCount: Int, to bytes: inout [UInt8]) {
        var shift = (byteCount - 1) * 8
        while shift >= 0 {
            bytes.append(UInt8(truncatingIfNeeded: value >> UInt64(shift)))
            shift -= 8
        }
    }

    @inline(__always)
    public static func appendInteger(_ value: Int64, to bytes: inout [UInt8]) {
        if value >= 0 {
            appendHead(major: majorUnsigned, argument: UInt64(value), to: &bytes)
        } else {
            appendHead(major: majorNegative, argument: UInt64(~value), to: &bytes)
        }
    }

    @inline(__always)
    public static func appendText(_ value: String, to bytes: inout [UInt8]) {
        var value = value
        value.withUTF8 { utf8 in
            appendHead(major: majorText, argument: UInt64(utf8.count), to: &bytes)
            bytes.append(contentsOf: utf8)
        }
    }

    /// Appends a map of `members` (each a key and its value's encoded bytes), its keys
    /// put in canonical order: for writing a record's data directly.
    public static func appendMap(_ members: [(key: String, value: [UInt8])], to bytes: inout [UInt8]) {
        appendHead(major: majorMap, argument: UInt64(members.count), to: &bytes)
        for member in members.sorted(by: { keyPrecedes($0.key, $1.key) }) {
            appendText(member.key, to: &bytes)
            bytes.append(contentsOf: member.value)
        }
    }

    /// The encoded bytes of text, of a whole number, of `true` or `false`.
    public static func text(_ value: String) -> [UInt8] {
        var bytes: [UInt8] = []
        appendText(value, to: &bytes)
        return bytes
    }

    public static func integer(_ value: Int64) -> [UInt8] {
        var bytes: [UInt8] = []
        appendInteger(value, to: &bytes)
        return bytes
    }

    public static func bool(_ value: Bool) -> [UInt8] { [value ? Self.true : Self.false] }

    /// Canonical key order (RFC 8949 §4.2.1): by encoded bytes, so shorter keys
    /// first and keys of one length by their UTF-8 bytes.
    public static func keyPrecedes(_ left: String, _ right: String) -> Bool {
        let leftCount = left.utf8.count
        let rightCount = right.utf8.count
        if leftCount != rightCount { return leftCount < rightCount }
        return left.utf8.lexicographicallyPrecedes(right.utf8)
    }
}

/// Reads deterministic CBOR straight from memory (for example the memory map)
/// without copying; the reader for hot paths that decode event data field by field.
public struct CBORReader {
    public let bytes: UnsafeRawBufferPointer
    public private(set) var offset: Int = 0

    public init(_ bytes: UnsafeRawBufferPointer) {
        self.bytes = bytes
    }

    public var isAtEnd: Bool { offset == bytes.count }

    /// The major type of the next value (0 unsigned, 1 negative, 3 text, 4 array,
    /// 5 map, 7 simple), without moving.
    public func peekMajor() throws(PayloadError) -> UInt8 {
        guard offset < bytes.count else { throw PayloadError(offset: offset, reason: .truncated) }
        return bytes[offset] >> 5
    }

    /// Reads a head, checking that its argument is in its shortest form.
    @inline(__always)
    mutating func readHead() throws(PayloadError) -> (major: UInt8, argument: UInt64) {
        guard offset < bytes.count else { throw PayloadError(offset: offset, reason: .truncated) }
        let start = offset
        let initial = bytes[offset]
        offset += 1
        let major = initial >> 5
        let additional = initial & 0x1f
        if major == CBOR.majorSimple {
            return (major, UInt64(additional))
        }
        let byteCount: Int
        switch additional {
        case 0..<24: return (major, UInt64(additional))
        case 24: byteCount = 1
        case 25: byteCount = 2
        case 26: byteCount = 4
        case 27: byteCount = 8
        default: throw PayloadError(offset: start, reason: .unsupportedType(initialByte: initial))
        }
        guard bytes.count - offset >= byteCount else { throw PayloadError(offset: start, reason: .truncated) }
        var argument: UInt64 = 0
        for index in offset..<(offset + byteCount) {
            argument = argument << 8 | UInt64(bytes[index])
        }
        offset += byteCount
        let minimum: UInt64 = byteCount == 1 ? 24 : (1 << UInt64(byteCount * 4))
        guard argument >= minimum else { throw PayloadError(offset: start, reason: .nonMinimalLength) }
        return (major, argument)
    }

    /// Reads an integer (major type 0 or 1) that fits `Int64`.
    @inline(__always)
    public mutating func readInteger() throws(PayloadError) -> Int64 {
        let start = offset
        let (major, argument) = try readHead()
        guard argument <= UInt64(Int64.max) else { throw PayloadError(offset: start, reason: .integerOutOfRange) }
        switch major {
        case CBOR.majorUnsigned: return Int64(argument)
        case CBOR.majorNegative: return ~Int64(argument)
        default: throw PayloadError(offset: start, reason: .unsupportedType(initialByte: bytes[start]))
        }
    }

    /// Reads text without copying or checking its UTF-8 (stored data was checked on append).
    @inline(__always)
    public mutating func readTextBytes() throws(PayloadError) -> UnsafeRawBufferPointer {
        let start = offset
        let (major, argument) = try readHead()
        guard major == CBOR.majorText else {
            throw PayloadError(offset: start, reason: .unsupportedType(initialByte: bytes[start]))
        }
        guard UInt64(bytes.count - offset) >= argument else { throw PayloadError(offset: start, reason: .truncated) }
        let text = UnsafeRawBufferPointer(rebasing: bytes[offset..<(offset + Int(argument))])
        offset += Int(argument)
        return text
    }

    /// Reads text into a `String`, checking its UTF-8.
    public mutating func readText() throws(PayloadError) -> String {
        let start = offset
        let raw = try readTextBytes()
        guard let text = String(validating: raw, as: UTF8.self) else {
            throw PayloadError(offset: start, reason: .invalidUTF8)
        }
        return text
    }

    /// Reads a map head, returning how many key–value pairs follow.
    public mutating func readMapHeader() throws(PayloadError) -> Int {
        try readContainerHeader(major: CBOR.majorMap)
    }

    /// Reads an array head, returning how many items follow.
    public mutating func readArrayHeader() throws(PayloadError) -> Int {
        try readContainerHeader(major: CBOR.majorArray)
    }

    private mutating func readContainerHeader(major expected: UInt8) throws(PayloadError) -> Int {
        let start = offset
        let (major, argument) = try readHead()
        guard major == expected else {
            throw PayloadError(offset: start, reason: .unsupportedType(initialByte: bytes[start]))
        }
        // Each entry takes at least one byte: a count beyond what is left is truncated data.
        guard argument <= UInt64(bytes.count - offset) else { throw PayloadError(offset: start, reason: .truncated) }
        return Int(argument)
    }

    /// Reads `true` or `false`.
    public mutating func readBool() throws(PayloadError) -> Bool {
        guard offset < bytes.count else { throw PayloadError(offset: offset, reason: .truncated) }
        switch bytes[offset] {
        case CBOR.true: offset += 1; return true
        case CBOR.false: offset += 1; return false
        default: throw PayloadError(offset: offset, reason: .unsupportedType(initialByte: bytes[offset]))
        }
    }

    /// Reads `null` if it comes next, returning whether it did.
    public mutating func readNullIfPresent() -> Bool {
        guard offset < bytes.count, bytes[offset] == CBOR.null else { return false }
        offset += 1
        return true
    }

    /// Reads a whole value into a ``Payload``, checking it is canonical.
    mutating func readPayload(depth: Int) throws(PayloadError) -> Payload {
        guard depth <= Payload.depthMax else { throw PayloadError(offset: offset, reason: .nestedTooDeep) }
        let start = offset
        switch try peekMajor() {
        case CBOR.majorUnsigned, CBOR.majorNegative:
            return .integer(try readInteger())
        case CBOR.majorText:
            return .text(try readText())
        case CBOR.majorArray:
            let count = try readArrayHeader()
            var items: [Payload] = []
            items.reserveCapacity(count)
            for _ in 0..<count { items.append(try readPayload(depth: depth + 1)) }
            return .array(items)
        case CBOR.majorMap:
            let count = try readMapHeader()
            var members: [String: Payload] = [:]
            members.reserveCapacity(count)
            var previousKey: UnsafeRawBufferPointer?
            for _ in 0..<count {
                let keyStart = offset
                guard try peekMajor() == CBOR.majorText else { throw PayloadError(offset: keyStart, reason: .keyNotText) }
                let key = try readText()
                let encodedKey = UnsafeRawBufferPointer(rebasing: bytes[keyStart..<offset])
                if let previousKey, !previousKey.lexicographicallyPrecedes(encodedKey) {
                    throw PayloadError(offset: keyStart, reason: .keysOutOfOrder)
                }
                previousKey = encodedKey
                members[key] = try readPayload(depth: depth + 1)
            }
            return .object(members)
        default:
            if readNullIfPresent() { return .null }
            if let value = try? readBool() { return .bool(value) }
            throw PayloadError(offset: start, reason: .unsupportedType(initialByte: bytes[start]))
        }
    }

    /// Moves past one whole value; with `validating`, checks everything ``Payload``
    /// decoding would (UTF-8, key order, integer range, depth) without building it.
    public mutating func skipValue(validating: Bool = false, depth: Int = 0) throws(PayloadError) {
        guard depth <= Payload.depthMax else { throw PayloadError(offset: offset, reason: .nestedTooDeep) }
        let start = offset
        switch try peekMajor() {
        case CBOR.majorUnsigned, CBOR.majorNegative:
            _ = try readInteger()
        case CBOR.majorText:
            let raw = try readTextBytes()
            if validating, String(validating: raw, as: UTF8.self) == nil {
                throw PayloadError(offset: start, reason: .invalidUTF8)
            }
        case CBOR.majorArray:
            let count = try readArrayHeader()
            for _ in 0..<count { try skipValue(validating: validating, depth: depth + 1) }
        case CBOR.majorMap:
            let count = try readMapHeader()
            var previousKey: UnsafeRawBufferPointer?
            for _ in 0..<count {
                let keyStart = offset
                guard try peekMajor() == CBOR.majorText else { throw PayloadError(offset: keyStart, reason: .keyNotText) }
                try skipValue(validating: validating, depth: depth + 1)
                let encodedKey = UnsafeRawBufferPointer(rebasing: bytes[keyStart..<offset])
                if validating, let previousKey, !previousKey.lexicographicallyPrecedes(encodedKey) {
                    throw PayloadError(offset: keyStart, reason: .keysOutOfOrder)
                }
                previousKey = encodedKey
                try skipValue(validating: validating, depth: depth + 1)
            }
        default:
            if readNullIfPresent() { return }
            _ = try readBool()
        }
    }
}
