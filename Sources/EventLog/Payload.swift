/// The data of an event: a JSON value without fractions, stored as deterministic CBOR.
///
/// Stored events keep their data as canonical bytes: the core deterministic encoding
/// of RFC 8949 §4.2.1 restricted to what JSON can say with whole numbers — integers
/// that fit `Int64`, UTF-8 text, arrays, maps with text keys, `true`, `false`, `null`.
/// Every value has exactly one encoding, so the bytes can be rebuilt from an exported
/// JSON line and hashed again (see the README's "Hash chain" section).
///
/// ```swift
/// let data: Payload = .object(["fundId": .text("khuyen-hoc"), "amount": .integer(400_000_000)])
/// let bytes = data.canonicalBytes()
/// ```
public enum Payload: Hashable, Sendable {
    case null
    case bool(Bool)
    case integer(Int64)
    case text(String)
    case array([Payload])
    case object([String: Payload])
}

extension Payload {
    /// Nesting deeper than this is refused when reading stored or incoming data.
    public static let depthMax = 16

    /// The value's deterministic CBOR encoding.
    public func canonicalBytes() -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(128)
        encode(into: &bytes)
        return bytes
    }

    /// Appends the value's deterministic CBOR encoding to `bytes`.
    public func encode(into bytes: inout [UInt8]) {
        switch self {
        case .null:
            bytes.append(CBOR.null)
        case .bool(let value):
            bytes.append(value ? CBOR.true : CBOR.false)
        case .integer(let value):
            CBOR.appendInteger(value, to: &bytes)
        case .text(let value):
            CBOR.appendText(value, to: &bytes)
        case .array(let items):
            CBOR.appendHead(major: CBOR.majorArray, argument: UInt64(items.count), to: &bytes)
            for item in items { item.encode(into: &bytes) }
        case .object(let members):
            CBOR.appendHead(major: CBOR.majorMap, argument: UInt64(members.count), to: &bytes)
            for key in members.keys.sorted(by: CBOR.keyPrecedes) {
                CBOR.appendText(key, to: &bytes)
                members[key]!.encode(into: &bytes)
            }
        }
    }

    /// Decodes canonical bytes, refusing anything that is not the one deterministic
    /// encoding of a value (see ``Payload``).
    /// - Throws: ``PayloadError`` naming the offset and the fault.
    public init(canonicalBytes bytes: UnsafeRawBufferPointer) throws(PayloadError) {
        var reader = CBORReader(bytes)
        self = try reader.readPayload(depth: 0)
        guard reader.isAtEnd else { throw PayloadError(offset: reader.offset, reason: .trailingBytes) }
    }

    public init(canonicalBytes bytes: [UInt8]) throws(PayloadError) {
        do {
            self = try bytes.withUnsafeBytes { raw in try Payload(canonicalBytes: raw) }
        } catch let error as PayloadError {
            throw error
        } catch {
            preconditionFailure("unexpected error \(error)")
        }
    }

    /// Checks that `bytes` are one value's canonical encoding, without building it.
    public static func validate(canonicalBytes bytes: UnsafeRawBufferPointer) throws(PayloadError) {
        var reader = CBORReader(bytes)
        try reader.skipValue(validating: true, depth: 0)
        guard reader.isAtEnd else { throw PayloadError(offset: reader.offset, reason: .trailingBytes) }
    }

    /// The member named `key` of an object, or `nil`.
    public subscript(key: String) -> Payload? {
        guard case .object(let members) = self else { return nil }
        return members[key]
    }
}

/// Data that is not the canonical encoding of a ``Payload``.
public struct PayloadError: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Reason: Hashable, Sendable {
        case truncated
        case trailingBytes
        case unsupportedType(initialByte: UInt8)
        case nonMinimalLength
        case integerOutOfRange
        case invalidUTF8
        case keyNotText
        case keysOutOfOrder
        case nestedTooDeep
    }

    /// Byte offset of the fault inside the data.
    public let offset: Int
    public let reason: Reason

    public var description: String {
        let what: String
        switch reason {
        case .truncated: what = "the data ends in the middle of a value"
        case .trailingBytes: what = "bytes follow the end of the value"
        case .unsupportedType(let byte): what = "a value of an unsupported kind (initial byte \(byte))"
        case .nonMinimalLength: what = "a number or length not in its shortest form"
        case .integerOutOfRange: what = "an integer outside the 64-bit signed range"
        case .invalidUTF8: what = "text that is not valid UTF-8"
        case .keyNotText: what = "an object key that is not text"
        case .keysOutOfOrder: what = "object keys not in canonical order, or repeated"
        case .nestedTooDeep: what = "nesting deeper than \(Payload.depthMax) levels"
        }
        return "event data is not canonical at byte \(offset): \(what)"
    }
}
