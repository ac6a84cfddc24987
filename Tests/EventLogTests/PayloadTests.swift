import EventLog
import Foundation
import Testing

@Suite("Canonical data encoding")
struct PayloadTests {
    static let vectors: [(Payload, String)] = [
        // From RFC 8949, appendix A.
        (.integer(0), "00"), (.integer(23), "17"), (.integer(24), "1818"), (.integer(100), "1864"),
        (.integer(1000), "1903e8"), (.integer(1_000_000), "1a000f4240"),
        (.integer(1_000_000_000_000), "1b000000e8d4a51000"), (.integer(-1), "20"), (.integer(-100), "3863"),
        (.integer(-1000), "3903e7"), (.integer(Int64.max), "1b7fffffffffffffff"),
        (.integer(Int64.min), "3b7fffffffffffffff"), (.bool(false), "f4"), (.bool(true), "f5"), (.null, "f6"),
        (.text(""), "60"), (.text("a"), "6161"), (.text("IETF"), "6449455446"), (.text("\u{00fc}"), "62c3bc"),
        (.array([]), "80"), (.array([.integer(1), .array([.integer(2), .integer(3)])]), "8201820203"),
        (.object([:]), "a0"), (.object(["a": .integer(1), "b": .array([.integer(2), .integer(3)])]), "a26161016162820203"),
        // Canonical key order: shorter keys first, then bytewise.
        (.object(["bb": .integer(1), "a": .integer(2), "c": .integer(3)]), "a361610261630362626201"),
    ]

    @Test("encodes as RFC 8949's deterministic CBOR", arguments: vectors)
    func encodesVector(_ value: Payload, _ hex: String) throws {
        #expect(value.canonicalBytes().hex == hex)
        #expect(try Payload(canonicalBytes: value.canonicalBytes()) == value)
    }

    static let rejected: [(String, PayloadError.Reason)] = [
        ("1817", .nonMinimalLength),  // 23 in two bytes
        ("190017", .nonMinimalLength),
        ("1b8000000000000000", .integerOutOfRange),
        ("a2616201616102", .keysOutOfOrder),  // {"b":1,"a":2}
        ("a2616101616102", .keysOutOfOrder),  // {"a":1,"a":2}
        ("a10101", .keyNotText),
        ("62c328", .invalidUTF8),
        ("6461", .truncated),
        ("0000", .trailingBytes),
        ("f97e00", .unsupportedType(initialByte: 0xf9)),  // a half-precision float
        ("c11a514b67b0", .unsupportedType(initialByte: 0xc1)),  // a tagged date
        ("40", .unsupportedType(initialByte: 0x40)),  // a byte string
    ]

    @Test("refuses every encoding but the canonical one", arguments: rejected)
    func rejectsEncoding(_ hex: String, _ reason: PayloadError.Reason) throws {
        let bytes = [UInt8](hex: hex)
        #expect(throws: PayloadError.self) { try Payload(canonicalBytes: bytes) }
        do {
            _ = try Payload(canonicalBytes: bytes)
        } catch {
            #expect(error.reason == reason)
        }
        #expect(throws: PayloadError.self) { try bytes.withUnsafeBytes { try Payload.validate(canonicalBytes: $0) } }
    }

    @Test("refuses nesting past the limit")
    func depthLimit() throws {
        var value = Payload.integer(1)
        for _ in 0...Payload.depthMax { value = .array([value]) }
        #expect(throws: PayloadError.self) { try Payload(canonicalBytes: value.canonicalBytes()) }
    }

    @Test("random values survive encode, validate and decode")
    func randomRoundTrip() throws {
        var generator = SeededGenerator(seed: 0xA115)
        for _ in 0..<500 {
            let value = Payload.random(depth: 0, using: &generator)
            let bytes = value.canonicalBytes()
            try bytes.withUnsafeBytes { try Payload.validate(canonicalBytes: $0) }
            #expect(try Payload(canonicalBytes: bytes) == value)
        }
    }
}

@Suite("Timestamps")
struct TimestampTests {
    @Test("ISO 8601 form with six fractional digits, both ways")
    func iso8601() {
        let instant = Timestamp(microsecondsSince1970: 1_732_838_400_123_456)
        #expect(instant.iso8601 == "2024-11-29T00:00:00.123456Z")
        #expect(Timestamp(iso8601: "2024-11-29T00:00:00.123456Z") == instant)
        #expect(Timestamp(microsecondsSince1970: 0).iso8601 == "1970-01-01T00:00:00.000000Z")
        #expect(Timestamp(microsecondsSince1970: -1).iso8601 == "1969-12-31T23:59:59.999999Z")
        #expect(Timestamp(iso8601: "2024-02-30T00:00:00.000000Z") == nil)
        #expect(Timestamp(iso8601: "2024-02-29T00:00:00.000000Z") != nil)
        #expect(Timestamp(iso8601: "2024-11-29T00:00:00Z") == nil)
        var generator = SeededGenerator(seed: 7)
        for _ in 0..<1_000 {
            let random = Timestamp(microsecondsSince1970: Int64.random(in: -2_000_000_000_000_000...4_000_000_000_000_000, using: &generator))
            #expect(Timestamp(iso8601: random.iso8601) == random)
        }
    }
}

/// A small deterministic generator (SplitMix64), so failures repeat.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
}

extension Payload {
    static func random(depth: Int, using generator: inout SeededGenerator) -> Payload {
        let choice = Int.random(in: 0..<(depth < 3 ? 7 : 5), using: &generator)
        switch choice {
        case 0: return .null
        case 1: return .bool(Bool.random(using: &generator))
        case 2: return .integer(Int64.random(in: Int64.min...Int64.max, using: &generator) >> Int64.random(in: 0..<64, using: &generator))
        case 3, 4:
            let scalars = "aăâđêôơưAZ09 ,\"\\\n\u{1}ệỹ🙂"
            return .text(String((0..<Int.random(in: 0..<12, using: &generator)).map { _ in scalars.randomElement(using: &generator)! }))
        case 5: return .array((0..<Int.random(in: 0..<4, using: &generator)).map { _ in random(depth: depth + 1, using: &generator) })
        default:
            var members: [String: Payload] = [:]
            for _ in 0..<Int.random(in: 0..<4, using: &generator) {
                members["k" + String(Int.random(in: 0..<300, using: &generator))] = random(depth: depth + 1, using: &generator)
            }
            return .object(members)
        }
    }
}

extension Array where Element == UInt8 {
    init(hex: String) {
        let digits = Array(hex.utf8)
        self = stride(from: 0, to: digits.count, by: 2).map { UInt8(String(decoding: digits[$0..<$0 + 2], as: UTF8.self), radix: 16)! }
    }

    var hex: String { map { String(format: "%02x", $0) }.joined() }
}
