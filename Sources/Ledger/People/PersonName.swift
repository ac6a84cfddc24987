import Crypto
import EventLog
import Foundation

/// A person's name as the log keeps it: sealed under the person's own key
/// (``SubjectKeys``) with AES-256-GCM, so that the chain commits to it while the name
/// itself can be erased by destroying the key.
///
/// - The plaintext is the name in NFC, padded with zero bytes to a multiple of 32, so
///   that its length tells little.
/// - The nonce is derived from the key and the name (HMAC-SHA256, the first 12 bytes):
///   the same name under the same key seals to the same bytes, so recording an event
///   again (a retry with its event id) gives the same event. Only equal names share a
///   nonce, and they give equal ciphertexts, which the subject id already tells.
/// - The subject id is the additional authenticated data: a sealed name cannot be moved
///   to another subject.
/// - `keyCommitment` is SHA-256 of a label and the key. GCM alone does not bind a
///   ciphertext to one key; with the commitment in the chain, whoever holds the key can
///   prove that the name opened is the one recorded.
public struct SealedName: Hashable, Sendable {
    public var subjectId: String
    /// nonce ‖ ciphertext ‖ tag
    public var sealed: [UInt8]
    /// SHA-256("ansinh subject key v1" ‖ key)
    public var keyCommitment: [UInt8]

    public init(subjectId: String, sealed: [UInt8], keyCommitment: [UInt8]) {
        self.subjectId = subjectId
        self.sealed = sealed
        self.keyCommitment = keyCommitment
    }

    static let blockSize = 32

    /// `name` (in NFC) sealed for subject `number` under `key`.
    static func seal(_ name: String, subject number: UInt32, key: SymmetricKey) -> SealedName {
        let subjectId = SubjectKeys.subjectId(number)
        var plaintext = Array(name.utf8)
        let padded = max(blockSize, (plaintext.count + blockSize - 1) / blockSize * blockSize)
        plaintext += [UInt8](repeating: 0, count: padded - plaintext.count)
        let derived = HMAC<SHA256>.authenticationCode(for: Array("ansinh name nonce v1".utf8) + plaintext, using: key)
        do {
            let nonce = try AES.GCM.Nonce(data: Array(derived.prefix(12)))
            let box = try AES.GCM.seal(plaintext, using: key, nonce: nonce, authenticating: Array(subjectId.utf8))
            return SealedName(subjectId: subjectId, sealed: Array(box.combined!), keyCommitment: commitment(to: key))
        } catch {
            preconditionFailure("AES-GCM refused a 12-byte nonce and a 256-bit key: \(error)")
        }
    }

    /// SHA-256 of a label and `key`.
    static func commitment(to key: SymmetricKey) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: Array("ansinh subject key v1".utf8))
        key.withUnsafeBytes { hash.update(bufferPointer: $0) }
        return Array(hash.finalize())
    }

    /// The name, opened with `key`.
    /// - Throws: ``SealedNameError`` when the key is not the one committed to, or the
    ///   sealed bytes do not open under it.
    func open(with key: SymmetricKey) throws -> String {
        guard Self.commitment(to: key) == keyCommitment else { throw SealedNameError.keyNotCommitted(subjectId) }
        do {
            let box = try AES.GCM.SealedBox(combined: sealed)
            var plaintext = Array(try AES.GCM.open(box, using: key, authenticating: Array(subjectId.utf8)))
            while plaintext.last == 0 { plaintext.removeLast() }
            guard let name = String(validating: plaintext, as: UTF8.self) else { throw SealedNameError.doesNotOpen(subjectId) }
            return name
        } catch let error as SealedNameError {
            throw error
        } catch {
            throw SealedNameError.doesNotOpen(subjectId)
        }
    }
}

/// Why a sealed name does not open.
public enum SealedNameError: Error, Hashable, Sendable, CustomStringConvertible {
    case keyNotCommitted(String)
    case doesNotOpen(String)

    public var description: String {
        switch self {
        case .keyNotCommitted(let subject): return "the key held for \(subject) is not the one its entries were sealed under"
        case .doesNotOpen(let subject): return "the name of \(subject) does not open under its key: it was altered"
        }
    }
}

extension SealedName: Codable {
    private enum CodingKeys: String, CodingKey {
        case subject
        case sealed
        case keyCommitment
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        subjectId = try container.decode(String.self, forKey: .subject)
        guard SubjectKeys.number(ofSubject: subjectId) != nil else {
            throw DecodingError.dataCorruptedError(forKey: .subject, in: container, debugDescription: "must be a subject id such as ds-000012")
        }
        guard let sealed = Data(base64Encoded: try container.decode(String.self, forKey: .sealed)), sealed.count >= 12 + 32 + 16 else {
            throw DecodingError.dataCorruptedError(forKey: .sealed, in: container, debugDescription: "must be a sealed name in base64")
        }
        self.sealed = Array(sealed)
        let commitment = try container.decode(String.self, forKey: .keyCommitment)
        guard let bytes = hexBytes(commitment, lowercaseOnly: true), bytes.count == 32 else {
            throw DecodingError.dataCorruptedError(
                forKey: .keyCommitment, in: container, debugDescription: "must be 64 lowercase hexadecimal digits")
        }
        keyCommitment = bytes
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode(subjectId, forKey: .subject)
        try container.encode(Data(sealed).base64EncodedString(), forKey: .sealed)
        try container.encode(hex(keyCommitment), forKey: .keyCommitment)
    }
}

/// A person's name in an event: in the clear as it arrives (a command, an import
/// line), sealed as the log keeps it (``SealedName``). In JSON and CBOR the first is a
/// string, the second an object.
public enum PersonName: Hashable, Sendable {
    case plain(String)
    case sealed(SealedName)

    /// The name in the clear, when it is.
    public var plainText: String? {
        if case .plain(let name) = self { return name }
        return nil
    }

    /// The subject, when sealed.
    public var subjectId: String? {
        if case .sealed(let sealed) = self { return sealed.subjectId }
        return nil
    }
}

extension PersonName: Codable {
    public init(from decoder: any Decoder) throws {
        if let container = try? decoder.singleValueContainer(), let name = try? container.decode(String.self) {
            self = .plain(name)
        } else {
            self = .sealed(try SealedName(from: decoder))
        }
    }

    public func encode(to encoder: any Encoder) throws {
        switch self {
        case .plain(let name):
            var container = encoder.singleValueContainer()
            try container.encode(name)
        case .sealed(let sealed):
            try sealed.encode(to: encoder)
        }
    }
}

extension PersonName: ExpressibleByStringLiteral {
    public init(stringLiteral value: String) { self = .plain(value) }
}

extension PersonName {
    /// Reads a stored name straight from canonical CBOR, as ``init(from:)`` would: text,
    /// or the sealed object. `nil` when the bytes hold anything else: the general
    /// decoder then says what.
    init?(reading reader: inout CBORReader) {
        guard let major = try? reader.peekMajor() else { return nil }
        if major == 3 {  // text
            guard let text = reader.storedText() else { return nil }
            self = .plain(text)
            return
        }
        guard let count = try? reader.readMapHeader(), count == 3 else { return nil }
        var subjectId: String?
        var sealed: [UInt8]?
        var commitment: [UInt8]?
        for _ in 0..<count {
            guard let key = try? reader.readTextBytes(), let value = try? reader.readTextBytes() else { return nil }
            if key.isText("subject") {
                subjectId = String(decoding: value, as: UTF8.self)
            } else if key.isText("sealed") {
                sealed = Data(base64Encoded: Data(value)).map { Array($0) }
            } else if key.isText("keyCommitment") {
                commitment = hexBytes(String(decoding: value, as: UTF8.self), lowercaseOnly: true)
            } else {
                return nil
            }
        }
        guard let subjectId, SubjectKeys.number(ofSubject: subjectId) != nil, let sealed, sealed.count >= 12 + 32 + 16,
            let commitment, commitment.count == 32
        else { return nil }
        self = .sealed(SealedName(subjectId: subjectId, sealed: sealed, keyCommitment: commitment))
    }
}

extension PersonName {
    /// Its encoded bytes as ``encode(to:)`` writes them in canonical CBOR: text, or the
    /// sealed object.
    var canonicalBytes: [UInt8] {
        switch self {
        case .plain(let name): return CBOR.text(name)
        case .sealed(let sealed):
            var bytes: [UInt8] = []
            bytes.reserveCapacity(200)
            CBOR.appendMap(
                [
                    ("subject", CBOR.text(sealed.subjectId)), ("sealed", CBOR.text(Data(sealed.sealed).base64EncodedString())),
                    ("keyCommitment", CBOR.text(hex(sealed.keyCommitment))),
                ], to: &bytes)
            return bytes
        }
    }
}
