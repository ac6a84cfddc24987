import Crypto

/// A SHA-256 digest in the hash chain: an event's `hash`, or the `prevHash` it continues from.
public struct ChainHash: Hashable, Sendable, CustomStringConvertible {
    public static let byteCount = 32
    /// The chain starts from 32 zero bytes.
    public static let genesis = ChainHash(storage: SIMD32(repeating: 0))

    var storage: SIMD32<UInt8>

    init(storage: SIMD32<UInt8>) {
        self.storage = storage
    }

    /// Four 64-bit words, compared and hashed at once (a fold compares the hash of
    /// every event it reads several times).
    private var words: (UInt64, UInt64, UInt64, UInt64) { unsafeBitCast(storage, to: (UInt64, UInt64, UInt64, UInt64).self) }

    public static func == (left: ChainHash, right: ChainHash) -> Bool {
        let (l, r) = (left.words, right.words)
        return l.0 == r.0 && l.1 == r.1 && l.2 == r.2 && l.3 == r.3
    }

    public func hash(into hasher: inout Hasher) {
        let words = self.words
        hasher.combine(words.0)
        hasher.combine(words.1)
        hasher.combine(words.2)
        hasher.combine(words.3)
    }

    /// Reads 32 bytes; `bytes` must hold at least that many.
    init(bytes: UnsafeRawBufferPointer) {
        precondition(bytes.count >= Self.byteCount)
        storage = bytes.loadUnaligned(as: SIMD32<UInt8>.self)
    }

    /// The SHA-256 digest of `bytes`.
    static func digest(of bytes: UnsafeRawBufferPointer) -> ChainHash {
        var hasher = SHA256()
        hasher.update(bufferPointer: bytes)
        return hasher.finalize().withUnsafeBytes { ChainHash(bytes: $0) }
    }

    /// Parses 64 lowercase or uppercase hexadecimal digits.
    public init?(hex: String) {
        let digits = Array(hex.utf8)
        guard digits.count == 2 * Self.byteCount else { return nil }
        var storage = SIMD32<UInt8>(repeating: 0)
        for index in 0..<Self.byteCount {
            guard let high = hexValue(digits[2 * index], false), let low = hexValue(digits[2 * index + 1], false) else { return nil }
            storage[index] = high << 4 | low
        }
        self.storage = storage
    }

    /// 64 lowercase hexadecimal digits.
    public var hex: String {
        var text = ""
        text.reserveCapacity(2 * Self.byteCount)
        let alphabet = Array("0123456789abcdef".unicodeScalars)
        for index in 0..<Self.byteCount {
            text.unicodeScalars.append(alphabet[Int(storage[index] >> 4)])
            text.unicodeScalars.append(alphabet[Int(storage[index] & 0x0f)])
        }
        return text
    }

    public var description: String { hex }

    public var bytes: [UInt8] {
        withUnsafeBytes(of: storage) { Array($0) }
    }
}

/// The bytes a string of hexadecimal digits spells, or nil when it is not one; with
/// `lowercaseOnly`, digits `A`–`F` are refused (a stored field has one spelling).
public func hexBytes(_ text: String, lowercaseOnly: Bool = false) -> [UInt8]? {
    let digits = Array(text.utf8)
    guard digits.count.isMultiple(of: 2) else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(digits.count / 2)
    for index in stride(from: 0, to: digits.count, by: 2) {
        guard let high = hexValue(digits[index], lowercaseOnly), let low = hexValue(digits[index + 1], lowercaseOnly) else { return nil }
        bytes.append(high << 4 | low)
    }
    return bytes
}

/// Lowercase hexadecimal digits of `bytes`.
public func hex(_ bytes: some Sequence<UInt8>) -> String {
    let digits = Array("0123456789abcdef".utf8)
    var text: [UInt8] = []
    text.reserveCapacity(bytes.underestimatedCount * 2)
    for byte in bytes {
        text.append(digits[Int(byte >> 4)])
        text.append(digits[Int(byte & 0x0f)])
    }
    return String(decoding: text, as: UTF8.self)
}

private func hexValue(_ digit: UInt8, _ lowercaseOnly: Bool) -> UInt8? {
    switch digit {
    case UInt8(ascii: "0")...UInt8(ascii: "9"): return digit - UInt8(ascii: "0")
    case UInt8(ascii: "a")...UInt8(ascii: "f"): return digit - UInt8(ascii: "a") + 10
    case UInt8(ascii: "A")...UInt8(ascii: "F") where !lowercaseOnly: return digit - UInt8(ascii: "A") + 10
    default: return nil
    }
}
