import Crypto
import EventLog
import Foundation
import Ledger

/// The ward's transparency log: the log's Merkle tree published as C2SP checkpoints
/// signed with the ward's key, proofs any donor can check, and the tiles.
public enum WardLog {
    /// The setting that fixes the log's origin (the checkpoints' first line and the key's
    /// name); set by `keys init --origin`, else the first time a checkpoint is made.
    static let originSetting = "log.origin"
    /// The address of the ward's public site, where receipts' QR codes point.
    static let publicURLSetting = "public.url"

    /// The log's origin: the one set, or `ansinh/<province>/<ward>` in ASCII.
    public static func origin(of ledger: Ledger) throws -> String {
        if let origin = try ledger.setting(originSetting), !origin.isEmpty { return origin }
        return ["ansinh", slug(try ledger.province() ?? ""), slug(try ledger.ward() ?? "")].filter { !$0.isEmpty }.joined(separator: "/")
    }

    /// Checks that `origin` may name a log (no space, no plus sign), writing nothing.
    public static func checkOrigin(_ origin: String) throws {
        guard NoteKey.isValidName(origin) else { throw TransparencyError.badOrigin(origin) }
    }

    /// Fixes the origin (the one given, else the default) as the ward's key is made: a log
    /// keeps its origin for ever once it can sign a checkpoint, so a ward that has a key
    /// cannot change it.
    public static func fixOrigin(_ origin: String?, of ledger: Ledger, store: String) throws {
        guard !FileManager.default.fileExists(atPath: SigningKeys.privatePath(store: store)) else {
            throw TransparencyError.originFixed(try self.origin(of: ledger))
        }
        let chosen = try origin ?? self.origin(of: ledger)
        try checkOrigin(chosen)
        try ledger.setSetting(originSetting, to: chosen)
    }

    /// Checks that `url` is a web site's address, writing nothing.
    public static func checkPublicURL(_ url: String) throws {
        guard let parsed = URL(string: url), ["https", "http"].contains(parsed.scheme ?? ""), parsed.host != nil else {
            throw TransparencyError.badPublicURL(url)
        }
    }

    public static func publicURL(of ledger: Ledger) throws -> String? {
        try ledger.setting(publicURLSetting).flatMap { $0.isEmpty ? nil : $0 }
    }

    public static func setPublicURL(_ url: String, of ledger: Ledger) throws {
        try checkPublicURL(url)
        try ledger.setSetting(publicURLSetting, to: url.hasSuffix("/") ? String(url.dropLast()) : url)
    }

    /// The ward's checkpoint signer: its signing key, named by the origin (which a key
    /// made before origins were kept fixes now, as the default).
    public static func signer(of ledger: Ledger, store: String) throws -> NoteSigner {
        guard let key = try SigningKeys.load(store: store) else { throw TransparencyError.noSigningKey }
        let origin = try origin(of: ledger)
        if try ledger.setting(originSetting) == nil { try ledger.setSetting(originSetting, to: origin) }
        return try NoteSigner(name: origin, kind: .ed25519, privateKey: key)
    }

    /// The verifier key of the ward's checkpoints, as witnesses and clients take it.
    public static func verifierKey(of ledger: Ledger, publicKey: Curve25519.Signing.PublicKey) throws -> NoteKey {
        try NoteKey(name: try origin(of: ledger), kind: .ed25519, publicKey: publicKey)
    }

    /// The checkpoint of the tree of `reader`'s whole log, signed by `signer`.
    public static func checkpoint(_ reader: LogReader, signer: NoteSigner) throws -> (Checkpoint, SignedNote) {
        try checkpoint(try reader.tree(size: try reader.head().position), signer: signer)
    }

    /// The checkpoint of `tree` (any size the log has had), signed by `signer`.
    public static func checkpoint(_ tree: StoredTree, signer: NoteSigner) throws -> (Checkpoint, SignedNote) {
        let checkpoint = Checkpoint(origin: signer.key.name, size: tree.size, rootHash: try tree.root())
        return (checkpoint, try signer.sign(checkpoint.text))
    }

    /// A name in ASCII for an origin: lower case, dashes for spaces, no diacritics (đ → d).
    static func slug(_ text: String) -> String {
        let folded = text.replacingOccurrences(of: "đ", with: "d").replacingOccurrences(of: "Đ", with: "d")
            .decomposedStringWithCanonicalMapping.unicodeScalars.filter { $0.properties.generalCategory != .nonspacingMark }
        var slug = ""
        for scalar in String(String.UnicodeScalarView(folded)).lowercased().unicodeScalars {
            if scalar.isASCII, CharacterSet.alphanumerics.contains(scalar) {
                slug.unicodeScalars.append(scalar)
            } else if !slug.isEmpty, !slug.hasSuffix("-") {
                slug += "-"
            }
        }
        return slug.hasSuffix("-") ? String(slug.dropLast()) : slug
    }
}

/// Why a checkpoint, a proof or a witness's step was refused.
public enum TransparencyError: Error, Hashable, Sendable, CustomStringConvertible {
    case noSigningKey
    case badOrigin(String)
    case originFixed(String)
    case badPublicURL(String)
    case noSuchEvent(String)
    case badSize(String)
    case proofUnreadable(path: String, reason: String)
    case proofFails(String)

    public var description: String {
        switch self {
        case .noSigningKey: "the ward has no signing key: make it with `ansinh keys init`, then publish the key it prints"
        case .badOrigin(let origin): "\(origin) cannot be a log's origin: it must not be empty, nor hold a space or a plus sign"
        case .originFixed(let origin):
            "the ward's log is \(origin) for ever: it has a signing key, and checkpoints signed under that name"
        case .badPublicURL(let url): "\(url) is not the address of a web site (https://…)"
        case .noSuchEvent(let id): "the log holds no event \(id)"
        case .badSize(let reason): reason
        case .proofUnreadable(let path, let reason): "\(path) is not a proof ansinh printed: \(reason)"
        case .proofFails(let reason): "the proof does not hold: \(reason)"
        }
    }
}

/// An inclusion proof as `ansinh prove inclusion --format json` prints it: that the
/// event is leaf `leafIndex` of the tree of `treeSize` leaves whose root is `rootHash`.
public struct InclusionProof: Codable, Hashable, Sendable {
    public var leafIndex: UInt64
    public var treeSize: UInt64
    public var rootHash: String
    public var proof: [String]
    /// Added to the four fields: which event, where, the leaf itself (its record
    /// hash), and the event's whole record (hex), whose hash the leaf is: so the proof is
    /// checked without the log, and binds the event's id, position and data, not a hash alone.
    public var eventId: String
    public var position: UInt64
    public var entry: String
    public var record: String

    public init(reader: LogReader, eventId: UUID, size: UInt64?) throws {
        guard let event = try reader.event(id: eventId) else { throw TransparencyError.noSuchEvent(eventId.uuidString.lowercased()) }
        if let size, size < event.position {
            throw TransparencyError.badSize(
                "event \(eventId.uuidString.lowercased()) is at position \(event.position), so it is in no tree of fewer leaves than that (--size \(size))")
        }
        let tree = try reader.tree(size: size ?? reader.head().position)
        leafIndex = event.position - 1
        treeSize = tree.size
        rootHash = hex(try tree.root())
        proof = try tree.inclusionProof(leafIndex: leafIndex).map { hex($0) }
        self.eventId = eventId.uuidString.lowercased()
        position = event.position
        entry = event.hash.hex
        record = hex(Array(event.canonicalBytes) + event.hash.bytes)
    }

    public var json: JSONOut {
        .object([
            ("leafIndex", .integer(Int64(leafIndex))), ("treeSize", .integer(Int64(treeSize))), ("rootHash", .string(rootHash)),
            ("proof", .array(proof.map { .string($0) })), ("eventId", .string(eventId)), ("position", .integer(Int64(position))),
            ("entry", .string(entry)), ("record", .string(record)),
        ])
    }

    /// Whether the record is the event the proof names, its hash the entry, and the proof
    /// shows that entry in the tree whose root it names (RFC 9162 §2.1.3.2).
    public func holds() throws -> Bool {
        guard let entry = hexBytes(entry), entry.count == 32, let root = hexBytes(rootHash), leafIndex + 1 == position,
            let record = hexBytes(record)
        else { return false }
        let recordHolds = record.withUnsafeBytes { bytes in
            guard let event = try? RecordedEventView(record: bytes) else { return false }
            return event.computeHash() == event.hash && event.hash.bytes == entry && event.position == position
                && event.eventId.uuidString.lowercased() == eventId
        }
        guard recordHolds else { return false }
        let path = try proof.map { try Self.hash($0) }
        return MerkleTree.verifyInclusion(
            index: leafIndex, size: treeSize, leafHash: MerkleTree.leafHash(entry), proof: path, root: root)
    }

    static func hash(_ text: String) throws -> [UInt8] {
        guard let bytes = hexBytes(text), bytes.count == 32 else { throw TransparencyError.proofFails("\(text) is not a 32-byte hash") }
        return bytes
    }
}

/// A consistency proof as `ansinh prove consistency --format json` prints it: that the
/// tree of `fromSize` leaves (root `fromRoot`) is a prefix of that of `toSize` (`toRoot`).
public struct ConsistencyProof: Codable, Hashable, Sendable {
    public var fromSize: UInt64
    public var toSize: UInt64
    public var fromRoot: String
    public var toRoot: String
    public var proof: [String]

    public init(reader: LogReader, from: UInt64, to: UInt64?) throws {
        guard from > 0 else { throw TransparencyError.badSize("a consistency proof is from a tree of at least one leaf (--from 1 or more)") }
        if let to, to < from { throw TransparencyError.badSize("--from \(from) is after --to \(to): a tree extends only smaller ones") }
        let tree = try reader.tree(size: to ?? reader.head().position)
        let earlier = try reader.tree(size: from)
        fromSize = from
        toSize = tree.size
        fromRoot = hex(try earlier.root())
        toRoot = hex(try tree.root())
        proof = try tree.consistencyProof(from: from).map { hex($0) }
    }

    public var json: JSONOut {
        .object([
            ("fromSize", .integer(Int64(fromSize))), ("toSize", .integer(Int64(toSize))), ("fromRoot", .string(fromRoot)),
            ("toRoot", .string(toRoot)), ("proof", .array(proof.map { .string($0) })),
        ])
    }

    /// Whether the proof holds (RFC 9162 §2.1.4.2).
    public func holds() throws -> Bool {
        MerkleTree.verifyConsistency(
            firstSize: fromSize, secondSize: toSize, firstRoot: try InclusionProof.hash(fromRoot),
            secondRoot: try InclusionProof.hash(toRoot), proof: try proof.map { try InclusionProof.hash($0) })
    }
}

/// A proof file, of either kind.
public enum TransparencyProof: Sendable {
    case inclusion(InclusionProof)
    case consistency(ConsistencyProof)

    public init(contentsOf path: String) throws {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw TransparencyError.proofUnreadable(path: path, reason: "it cannot be read")
        }
        self = try Self(data: data, path: path)
    }

    public init(data: Data, path: String) throws {
        let decoder = JSONDecoder()
        if let inclusion = try? decoder.decode(InclusionProof.self, from: data) {
            self = .inclusion(inclusion)
        } else if let consistency = try? decoder.decode(ConsistencyProof.self, from: data) {
            self = .consistency(consistency)
        } else {
            throw TransparencyError.proofUnreadable(
                path: path, reason: "it is neither an inclusion proof (leafIndex, treeSize, rootHash, proof, eventId, position, entry, record) "
                    + "nor a consistency proof (fromSize, toSize, fromRoot, toRoot, proof)")
        }
    }
}

extension WardLog {
    /// Checks `proofs` against the signed `checkpoint`: each must hold, and end at the
    /// checkpoint's tree, either at its size with its root, or at an earlier tree that a
    /// consistency proof among them carries to the checkpoint. Returns one line a proof.
    public static func verify(_ proofs: [TransparencyProof], against checkpoint: Checkpoint) throws -> [String] {
        let root = hex(checkpoint.rootHash)
        // The roots the checkpoint's tree is shown to extend, by size.
        var anchored: [UInt64: String] = [checkpoint.size: root]
        var lines: [String] = []
        for case .consistency(let proof) in proofs {
            guard try proof.holds() else {
                throw TransparencyError.proofFails(
                    "the consistency proof from \(proof.fromSize) to \(proof.toSize) does not verify: one of its hashes or roots was changed")
            }
            guard proof.toSize == checkpoint.size, proof.toRoot == root else {
                throw TransparencyError.proofFails(
                    "the consistency proof ends at the tree of \(proof.toSize) leaves, root \(proof.toRoot); the checkpoint's is \(checkpoint.size), \(root)")
            }
            anchored[proof.fromSize] = proof.fromRoot
            lines.append("consistency: the tree of \(proof.fromSize) leaves (root \(proof.fromRoot)) is a prefix of the checkpoint's tree of \(checkpoint.size)")
        }
        for case .inclusion(let proof) in proofs {
            guard try proof.holds() else {
                throw TransparencyError.proofFails(
                    "the inclusion proof of event \(proof.eventId) does not verify: its record, its entry, a hash of its path or its root was changed")
            }
            guard let expected = anchored[proof.treeSize] else {
                throw TransparencyError.proofFails(
                    "the inclusion proof of event \(proof.eventId) is in the tree of \(proof.treeSize) leaves; the checkpoint's has \(checkpoint.size): "
                        + "give a consistency proof from \(proof.treeSize) (`ansinh prove consistency --from \(proof.treeSize)`)")
            }
            guard proof.rootHash == expected else {
                throw TransparencyError.proofFails(
                    "the inclusion proof of event \(proof.eventId) names root \(proof.rootHash) for the tree of \(proof.treeSize) leaves, "
                        + "but the checkpoint's log has root \(expected) at that size")
            }
            lines.append("inclusion: event \(proof.eventId) is at position \(proof.position) of the checkpoint's log")
        }
        return lines
    }
}

/// Writes the tiles and entry bundles of a tree (c2sp.org/tlog-tiles) into a folder.
enum TileWriter {
    /// Every tile and entry bundle of the tree of `size` leaves, under `folder`/tile/,
    /// flushed to disk with one `sync` (not one flush for each of thousands of small
    /// files); their manifest entries.
    static func write(_ reader: LogReader, size: UInt64, into folder: URL) throws -> [ExportManifest.File] {
        var files: [ExportManifest.File] = []
        var made = Set<String>()
        func add(_ path: String, _ bytes: [UInt8]) throws {
            let url = folder.appendingPathComponent(path)
            let parent = url.deletingLastPathComponent().path
            if made.insert(parent).inserted {
                try FileManager.default.createDirectory(atPath: parent, withIntermediateDirectories: true)
            }
            guard FileManager.default.createFile(atPath: url.path, contents: Data(bytes), attributes: [.posixPermissions: 0o644]) else {
                throw ExportError.cannotWrite(url.path, "the file cannot be created")
            }
            files.append(.init(name: path, bytes: bytes.count, sha256: hex(Array(SHA256.hash(data: bytes)))))
        }
        var bytes: [UInt8] = []
        bytes.reserveCapacity(Tile.fullWidth * 34)
        for tile in Tile.tiles(forSize: size) {
            let first = tile.index * UInt64(Tile.fullWidth)
            bytes.removeAll(keepingCapacity: true)
            try reader.forEachTreeNode(level: Tile.height * tile.level, from: first, limit: tile.width) { _, hash in
                bytes.append(contentsOf: hash)
            }
            guard bytes.count == tile.width * MerkleTree.hashSize else {
                throw LogError.corruptRecord(position: first + 1, reason: "the Merkle tree lacks nodes of tile \(tile.path())")
            }
            try add(tile.path(), bytes)
            guard tile.level == 0 else { continue }
            // The entry bundle: each leaf's entry, the event's 32-byte hash, after its length.
            bytes.removeAll(keepingCapacity: true)
            try reader.forEachEvent(from: first + 1, limit: tile.width) { event in
                bytes.append(contentsOf: [0, UInt8(ChainHash.byteCount)])
                bytes.append(contentsOf: event.hash.bytes)
            }
            try add(tile.path(entries: true), bytes)
        }
        if !files.isEmpty { sync() }
        return files
    }
}
