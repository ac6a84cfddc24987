import Crypto
import Foundation

/// A C2SP signed note (c2sp.org/signed-note): a text ending in a newline, a blank line,
/// then one or more signature lines `— <key name> <base64(key id ‖ signature)>`.
/// Checkpoints (``Checkpoint``) and witnesses' cosignatures are notes.
public struct SignedNote: Hashable, Sendable {
    /// The signed text, its final newline included.
    public var text: String
    public var signatures: [Signature]

    public struct Signature: Hashable, Sendable {
        public var keyName: String
        public var keyId: UInt32
        /// The signature bytes after the key id.
        public var bytes: [UInt8]

        public init(keyName: String, keyId: UInt32, bytes: [UInt8]) {
            self.keyName = keyName
            self.keyId = keyId
            self.bytes = bytes
        }

        /// `— <name> <base64>` and a newline.
        public var line: String {
            var raw: [UInt8] = []
            EventRecord.appendBigEndian(keyId, to: &raw)
            return "— \(keyName) \(Data(raw + bytes).base64EncodedString())\n"
        }
    }

    /// The most signatures a note may carry here (the format asks verifiers to take at least 16).
    public static let signatureCountMax = 64
    /// The most bytes a note may have.
    public static let byteCountMax = 64 * 1024

    public init(text: String, signatures: [Signature]) {
        self.text = text
        self.signatures = signatures
    }

    /// The note as published: text, blank line, signature lines.
    public var serialized: String { text + "\n" + signatures.map(\.line).joined() }

    /// Parses a note; the text is what comes before the last blank line.
    /// - Throws: ``NoteError/malformed(_:)`` naming what is wrong.
    public init(parsing note: String) throws(NoteError) {
        let bytes = Array(note.utf8)
        guard bytes.count <= Self.byteCountMax else { throw .malformed("it is over \(Self.byteCountMax) bytes") }
        guard !bytes.contains(where: { $0 < 0x20 && $0 != 0x0a }) else {
            throw .malformed("it holds a control character other than newline")
        }
        guard note.hasSuffix("\n") else { throw .malformed("it does not end in a newline") }
        guard let separator = note.range(of: "\n\n", options: .backwards) else {
            throw .malformed("it has no blank line before its signatures")
        }
        text = String(note[..<separator.lowerBound]) + "\n"
        let lines = note[separator.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        guard !lines.isEmpty else { throw .malformed("it has no signature") }
        guard lines.count <= Self.signatureCountMax else { throw .malformed("it has over \(Self.signatureCountMax) signatures") }
        signatures = []
        for line in lines {
            guard line.hasPrefix("— ") else { throw .malformed("a signature line does not begin with \"— \": \(line)") }
            let parts = line.dropFirst(2).split(separator: " ", omittingEmptySubsequences: false)
            guard parts.count == 2, NoteKey.isValidName(String(parts[0])),
                let raw = Data(base64Encoded: String(parts[1])).map(Array.init), raw.count > 4
            else { throw .malformed("a signature line is not \"— NAME BASE64\": \(line)") }
            signatures.append(
                Signature(
                    keyName: String(parts[0]), keyId: raw.prefix(4).reduce(0) { $0 << 8 | UInt32($1) },
                    bytes: Array(raw.dropFirst(4))))
        }
    }
}

/// Why a note, a checkpoint, a key or a cosignature was refused.
public enum NoteError: Error, Hashable, Sendable, CustomStringConvertible {
    case malformed(String)
    /// No signature of the note is by a key given to check it with.
    case notSignedByKnownKey(names: [String])
    /// A signature by a known key does not verify: the note was changed, or forged.
    case badSignature(keyName: String)
    case malformedKey(String)

    public var description: String {
        switch self {
        case .malformed(let reason): "not a signed note: \(reason)"
        case .notSignedByKnownKey(let names):
            "the note is not signed by \(names.joined(separator: " or ")) (no signature by that key and id)"
        case .badSignature(let name): "the signature by \(name) does not verify: the note was changed, or not signed by that key"
        case .malformedKey(let reason): "not a note key: \(reason)"
        }
    }
}

/// A key that signs or checks notes: its name, its type and its Ed25519 public key. A
/// log signs checkpoints with type ``Kind/ed25519`` (0x01); a witness cosigns with
/// ``Kind/cosignature`` (0x04, c2sp.org/tlog-cosignature). Published as a *verifier
/// key*, `<name>+<key id, 8 hex digits>+<base64(type ‖ public key)>`.
public struct NoteKey: Hashable, Sendable {
    public enum Kind: UInt8, Sendable {
        case ed25519 = 0x01
        case cosignature = 0x04
    }

    public let name: String
    public let kind: Kind
    /// The 32 bytes of the Ed25519 public key (RFC 8032).
    public let publicKeyBytes: [UInt8]

    public var publicKey: Curve25519.Signing.PublicKey {
        // Checked when made: the bytes are a public key.
        try! Curve25519.Signing.PublicKey(rawRepresentation: publicKeyBytes)
    }

    public init(name: String, kind: Kind, publicKey: Curve25519.Signing.PublicKey) throws(NoteError) {
        guard Self.isValidName(name) else { throw .malformedKey("the name \"\(name)\" is empty or holds a space or a plus sign") }
        self.name = name
        self.kind = kind
        publicKeyBytes = Array(publicKey.rawRepresentation)
    }

    /// A name is not empty and holds no Unicode space and no `+`.
    public static func isValidName(_ name: String) -> Bool {
        !name.isEmpty && !name.unicodeScalars.contains { $0 == "+" || $0.properties.isWhitespace || $0.value < 0x20 }
    }

    /// SHA-256(name ‖ 0x0A ‖ type ‖ public key)[:4], big-endian.
    public var keyId: UInt32 {
        var hash = SHA256()
        hash.update(data: Array(name.utf8) + [0x0a, kind.rawValue])
        hash.update(data: publicKeyBytes)
        return Array(hash.finalize()).prefix(4).reduce(0) { $0 << 8 | UInt32($1) }
    }

    /// `<name>+<key id>+<base64(type ‖ public key)>`.
    public var verifierKey: String {
        "\(name)+\(String(format: "%08x", keyId))+\(Data([kind.rawValue] + publicKeyBytes).base64EncodedString())"
    }

    /// Parses a verifier key of type 0x01 or 0x04, whose key id must be the one its name and key give.
    public init(verifierKey: String) throws(NoteError) {
        guard let firstPlus = verifierKey.firstIndex(of: "+") else { throw .malformedKey("\(verifierKey) has no \"+\"") }
        let name = String(verifierKey[..<firstPlus])
        let rest = verifierKey[verifierKey.index(after: firstPlus)...]
        guard let secondPlus = rest.firstIndex(of: "+"), rest.distance(from: rest.startIndex, to: secondPlus) == 8,
            let id = UInt32(rest[..<secondPlus], radix: 16),
            let raw = Data(base64Encoded: String(rest[rest.index(after: secondPlus)...])).map(Array.init), raw.count == 33,
            let kind = Kind(rawValue: raw[0]),
            let publicKey = try? Curve25519.Signing.PublicKey(rawRepresentation: raw.dropFirst())
        else { throw .malformedKey("\(verifierKey) is not NAME+KEYID+BASE64 of an Ed25519 key of type 01 or 04") }
        try self.init(name: name, kind: kind, publicKey: publicKey)
        guard keyId == id else { throw .malformedKey("\(verifierKey): its key id is not the one its name and key give") }
    }

    /// Checks that `note` holds a valid signature by this key: the log's signature on
    /// the note's text (type 0x01) or a witness's cosignature of a checkpoint (0x04).
    /// Signatures by other keys are ignored. Returns a cosignature's time.
    @discardableResult
    public func verify(_ note: SignedNote) throws(NoteError) -> UInt64? {
        let mine = note.signatures.filter { $0.keyName == name && $0.keyId == keyId }
        guard !mine.isEmpty else { throw .notSignedByKnownKey(names: [name]) }
        var time: UInt64?
        for signature in mine {
            switch kind {
            case .ed25519:
                guard publicKey.isValidSignature(signature.bytes, for: Array(note.text.utf8)) else { throw .badSignature(keyName: name) }
            case .cosignature:
                guard signature.bytes.count == 72 else { throw .badSignature(keyName: name) }
                let timestamp = signature.bytes.prefix(8).reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
                let message = Cosignature.message(checkpointText: note.text, timestamp: timestamp)
                guard timestamp <= UInt64(Int64.max), publicKey.isValidSignature(signature.bytes.dropFirst(8), for: message)
                else { throw .badSignature(keyName: name) }
                time = max(time ?? 0, timestamp)
            }
        }
        return time
    }
}

/// A private key that signs notes: the log's (type 0x01), or a witness's (0x04).
public struct NoteSigner: Sendable {
    public let key: NoteKey
    /// The 32-byte seed of the Ed25519 private key.
    private let seed: [UInt8]
    private var privateKey: Curve25519.Signing.PrivateKey {
        // Checked when made: the bytes are a private key.
        try! Curve25519.Signing.PrivateKey(rawRepresentation: seed)
    }

    public init(name: String, kind: NoteKey.Kind, privateKey: Curve25519.Signing.PrivateKey) throws(NoteError) {
        seed = Array(privateKey.rawRepresentation)
        key = try NoteKey(name: name, kind: kind, publicKey: privateKey.publicKey)
    }

    /// Parses Go's signer key form, `PRIVATE+KEY+<name>+<key id>+<base64(type ‖ seed)>`.
    public init(signerKey: String) throws(NoteError) {
        let parts = signerKey.split(separator: "+", maxSplits: 4, omittingEmptySubsequences: false)
        guard parts.count == 5, parts[0] == "PRIVATE", parts[1] == "KEY", let id = UInt32(parts[3], radix: 16),
            let raw = Data(base64Encoded: String(parts[4])).map(Array.init), raw.count == 33,
            let kind = NoteKey.Kind(rawValue: raw[0]),
            let privateKey = try? Curve25519.Signing.PrivateKey(rawRepresentation: raw.dropFirst())
        else { throw .malformedKey("not PRIVATE+KEY+NAME+KEYID+BASE64") }
        try self.init(name: String(parts[2]), kind: kind, privateKey: privateKey)
        guard key.keyId == id else { throw .malformedKey("the signer key's id is not the one its name and key give") }
    }

    /// The signature of `text` (a note's text, its final newline included): an Ed25519
    /// signature of it, or for a witness the cosignature of the checkpoint it holds at `time`.
    public func signature(of text: String, time: UInt64 = 0) throws -> SignedNote.Signature {
        switch key.kind {
        case .ed25519:
            return SignedNote.Signature(keyName: key.name, keyId: key.keyId, bytes: Array(try privateKey.signature(for: Array(text.utf8))))
        case .cosignature:
            var bytes: [UInt8] = []
            EventRecord.appendBigEndian(time, to: &bytes)
            bytes += try privateKey.signature(for: Cosignature.message(checkpointText: text, timestamp: time))
            return SignedNote.Signature(keyName: key.name, keyId: key.keyId, bytes: bytes)
        }
    }

    /// `text` signed: a note with this key's signature.
    public func sign(_ text: String, time: UInt64 = 0) throws -> SignedNote {
        SignedNote(text: text, signatures: [try signature(of: text, time: time)])
    }
}

/// c2sp.org/tlog-cosignature, Ed25519 (v1): what a witness signs.
public enum Cosignature {
    /// "cosignature/v1\ntime <t>\n" followed by the checkpoint's note text.
    static func message(checkpointText: String, timestamp: UInt64) -> [UInt8] {
        Array("cosignature/v1\ntime \(timestamp)\n\(checkpointText)".utf8)
    }
}

/// A C2SP checkpoint (c2sp.org/tlog-checkpoint): the log's origin, its tree size and the
/// root hash of that tree, as a note's text.
public struct Checkpoint: Hashable, Sendable {
    public var origin: String
    public var size: UInt64
    public var rootHash: [UInt8]
    /// Extension lines, which ansinh never writes but keeps when reading.
    public var extensions: [String] = []

    public init(origin: String, size: UInt64, rootHash: [UInt8]) {
        self.origin = origin
        self.size = size
        self.rootHash = rootHash
    }

    /// `origin`, `size` and the base64 root, each on its line.
    public var text: String {
        ([origin, String(size), Data(rootHash).base64EncodedString()] + extensions).map { $0 + "\n" }.joined()
    }

    /// Parses a checkpoint's note text.
    public init(text: String) throws(NoteError) {
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        guard text.hasSuffix("\n"), lines.count >= 4, !lines.dropLast().contains(where: \.isEmpty) else {
            throw .malformed("a checkpoint is at least three non-empty lines: origin, tree size, root hash")
        }
        let sizeText = String(lines[1])
        guard let size = UInt64(sizeText), sizeText == String(size) else {
            throw .malformed("the tree size \"\(sizeText)\" is not a decimal number without leading zeros")
        }
        guard let root = Data(base64Encoded: String(lines[2])), root.count == MerkleTree.hashSize else {
            throw .malformed("the root hash \"\(lines[2])\" is not 32 bytes in base64")
        }
        origin = String(lines[0])
        self.size = size
        rootHash = Array(root)
        extensions = lines.dropFirst(3).dropLast().map(String.init)
    }

    /// Parses a signed checkpoint and checks its signature by `key` (the log's), whose
    /// name must be the origin.
    public static func verified(_ note: String, key: NoteKey) throws(NoteError) -> (Checkpoint, SignedNote) {
        let signed = try SignedNote(parsing: note)
        try key.verify(signed)
        let checkpoint = try Checkpoint(text: signed.text)
        guard checkpoint.origin == key.name else {
            throw .malformed("the checkpoint's origin is \(checkpoint.origin), not \(key.name)")
        }
        return (checkpoint, signed)
    }
}

/// C2SP tlog-tiles (c2sp.org/tlog-tiles): which tiles a tree of a given size has, and
/// their paths.
public struct Tile: Hashable, Sendable {
    /// 0 for leaf hashes; tile level `l` holds hashes of the tree's level `8·l`.
    public var level: Int
    public var index: UInt64
    /// 256 for a full tile; 1 … 255 for a partial one.
    public var width: Int

    public static let height = 8
    public static let fullWidth = 256

    public init(level: Int, index: UInt64, width: Int) {
        self.level = level
        self.index = index
        self.width = width
    }

    /// `tile/<L>/<N>[.p/<W>]`, or `tile/entries/<N>[.p/<W>]` for the entry bundle.
    public func path(entries: Bool = false) -> String {
        var elements: [String] = []
        var rest = index
        repeat {
            elements.append(String(format: "%03d", Int(rest % 1000)))
            rest /= 1000
        } while rest > 0
        let number = elements.reversed().enumerated().map { $0.offset < elements.count - 1 ? "x" + $0.element : $0.element }
            .joined(separator: "/")
        return "tile/" + (entries ? "entries" : String(level)) + "/" + number + (width < Self.fullWidth ? ".p/\(width)" : "")
    }

    /// Every tile of a tree of `size` leaves, level by level: the full ones, then the
    /// partial one of width ⌊size / 256^l⌋ mod 256 when that is not 0.
    public static func tiles(forSize size: UInt64) -> [Tile] {
        var tiles: [Tile] = []
        var level = 0
        var count = size  // hashes at this tile level's tree level
        while count > 0 {
            let full = count / UInt64(fullWidth)
            for index in 0..<full { tiles.append(Tile(level: level, index: index, width: fullWidth)) }
            let partial = Int(count % UInt64(fullWidth))
            if partial > 0 { tiles.append(Tile(level: level, index: full, width: partial)) }
            count = full
            level += 1
        }
        return tiles
    }
}
