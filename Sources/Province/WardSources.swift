import Crypto
import EventLog
import Foundation
import LedgerTools

/// Where a ward's events come from: its nightly export, or its live feed.
public protocol WardSource: Sendable {
    /// "the export /path" or "the feed http://…", for messages and evidence.
    var description: String { get }
    /// The first position it can give (an export made with `--since` begins later).
    var firstPosition: UInt64 { get }
    /// The ward's signed checkpoint (a C2SP signed note).
    func checkpoint() async throws -> String
    /// RFC 9162 PROOF(from, D[to]) of the ward's tree.
    func consistencyProof(from: UInt64, to: UInt64) async throws -> [[UInt8]]
    /// The entries from `first` through `last`, in order, handed to `body` a batch at a time.
    func entries(from first: UInt64, through last: UInt64, batch: Int, _ body: ([PublicEntry]) async throws -> Void) async throws
    /// The entry at `position`, when the source has it: to find where a rewritten history begins.
    func entry(at position: UInt64) async throws -> PublicEntry?
}

/// A ward's export folder (`ansinh export --out DIR`): its signed manifest, checkpoint,
/// tiles and `public-events.jsonl`. Every file read is checked against the manifest's
/// SHA-256, and the manifest against the ward's signature.
public final class ExportSource: WardSource {
    public let folder: String
    let manifest: ExportManifest
    let note: String
    /// The public entries, by position from `manifest.fromPosition`.
    let lines: [Substring]
    private let tiles = TileCache()

    public var description: String { "the export \(folder)" }
    public var firstPosition: UInt64 { manifest.fromPosition }

    public init(folder: String, wardKey keyBytes: [UInt8]) throws {
        self.folder = folder
        let wardKey = try Curve25519.Signing.PublicKey(rawRepresentation: keyBytes)
        func read(_ name: String) throws -> Data {
            guard let data = FileManager.default.contents(atPath: folder + "/" + name) else {
                throw ProvinceError.source("the export \(folder) has no \(name)")
            }
            return data
        }
        let manifestBytes = try read("manifest.json")
        let manifest: ExportManifest
        do {
            manifest = try JSONDecoder().decode(ExportManifest.self, from: manifestBytes)
        } catch {
            throw ProvinceError.source("the export \(folder): manifest.json is not an export's manifest")
        }
        let signatureText = String(decoding: try read("manifest.sig"), as: UTF8.self).trimmingCharacters(in: .whitespacesAndNewlines)
        guard let signature = hexBytes(signatureText), wardKey.isValidSignature(signature, for: manifestBytes) else {
            throw ProvinceError.source("the export \(folder): manifest.sig is not the ward's signature of manifest.json (another key, or the files were changed)")
        }
        func checked(_ name: String) throws -> Data {
            let data = try read(name)
            guard let file = manifest.files.first(where: { $0.name == name }) else {
                throw ProvinceError.source("the export \(folder): \(name) is not in its manifest")
            }
            guard hex(Array(SHA256.hash(data: data))) == file.sha256 else {
                throw ProvinceError.source("the export \(folder): \(name) does not match its SHA-256 in the manifest")
            }
            return data
        }
        guard manifest.files.contains(where: { $0.name == PublicEntries.fileName }) else {
            throw ProvinceError.source("the export \(folder) has no \(PublicEntries.fileName): it was written by an older ansinh; export again")
        }
        let note = String(decoding: try checked("checkpoint"), as: UTF8.self)
        let text = String(decoding: try checked(PublicEntries.fileName), as: UTF8.self)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: true)
        guard UInt64(lines.count) == manifest.eventCount else {
            throw ProvinceError.source("the export \(folder): \(PublicEntries.fileName) has \(lines.count) lines, the manifest says \(manifest.eventCount)")
        }
        (self.manifest, self.note, self.lines) = (manifest, note, lines)
        tiles.read = { name in try checked(name) }
    }

    public func checkpoint() async throws -> String { note }

    public func consistencyProof(from: UInt64, to: UInt64) async throws -> [[UInt8]] {
        guard to <= (manifest.treeSize ?? 0) else {
            throw ProvinceError.source("the export \(folder) has the tree of \(manifest.treeSize ?? 0) entries, not \(to)")
        }
        return try MerkleTree.consistencyProof(from: from, to: to) { start, count in try tiles.hash(start, count, size: to) }
    }

    public func entries(from first: UInt64, through last: UInt64, batch: Int, _ body: ([PublicEntry]) async throws -> Void) async throws {
        guard first >= manifest.fromPosition else {
            throw ProvinceError.source(
                "the export \(folder) begins at position \(manifest.fromPosition); the province needs it from \(first): export from position \(first - 1) on (`ansinh export --since \(first - 1)`) or in full")
        }
        guard last <= manifest.headPosition else {
            throw ProvinceError.source("the export \(folder) ends at position \(manifest.headPosition), before \(last)")
        }
        var position = first
        while position <= last {
            let end = min(last, position + UInt64(batch) - 1)
            var entries: [PublicEntry] = []
            entries.reserveCapacity(Int(end - position + 1))
            for index in position...end {
                let line = lines[Int(index - manifest.fromPosition)]
                entries.append(try PublicEntry(line: line, origin: "the export \(self.folder), \(PublicEntries.fileName) line \(index - self.manifest.fromPosition + 1)"))
            }
            try await body(entries)
            position = end + 1
        }
    }

    public func entry(at position: UInt64) async throws -> PublicEntry? {
        guard position >= manifest.fromPosition, position <= manifest.headPosition else { return nil }
        let line = lines[Int(position - manifest.fromPosition)]
        return try PublicEntry(line: line, origin: "the export \(folder), position \(position)")
    }
}

/// Hashes of a tree read from its tiles (c2sp.org/tlog-tiles), each tile checked once.
final class TileCache: @unchecked Sendable {
    var read: (String) throws -> Data = { _ in Data() }
    private var tiles: [String: [UInt8]] = [:]
    private let lock = NSLock()

    /// MTH of leaves `start ..< start + count` of the tree of `size` leaves.
    func hash(_ start: UInt64, _ count: UInt64, size: UInt64) throws -> [UInt8] {
        if count.nonzeroBitCount == 1, start % count == 0 {
            return try node(level: count.trailingZeroBitCount, index: start / count, size: size)
        }
        var split: UInt64 = 1
        while split << 1 < count { split <<= 1 }
        return MerkleTree.nodeHash(try hash(start, split, size: size), try hash(start + split, count - split, size: size))
    }

    /// The node at `level` (0: leaves), `index`: stored at levels 0, 8, 16…, computed in between.
    private func node(level: Int, index: UInt64, size: UInt64) throws -> [UInt8] {
        let stored = level / Tile.height * Tile.height
        guard stored != level else { return try storedNode(level: level, index: index, size: size) }
        var hashes = try (0..<(UInt64(1) << (level - stored))).map {
            try storedNode(level: stored, index: index << UInt64(level - stored) + $0, size: size)
        }
        while hashes.count > 1 { hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleTree.nodeHash(hashes[$0], hashes[$0 + 1]) } }
        return hashes[0]
    }

    private func storedNode(level: Int, index: UInt64, size: UInt64) throws -> [UInt8] {
        let nodes = size >> UInt64(level)
        let tileIndex = index / UInt64(Tile.fullWidth)
        let width = Int(min(UInt64(Tile.fullWidth), nodes - tileIndex * UInt64(Tile.fullWidth)))
        let path = Tile(level: level / Tile.height, index: tileIndex, width: width).path()
        let bytes = try lock.withLock {
            if let bytes = tiles[path] { return bytes }
            let bytes = Array(try read(path))
            tiles[path] = bytes
            return bytes
        }
        let offset = Int(index % UInt64(Tile.fullWidth)) * MerkleTree.hashSize
        guard offset + MerkleTree.hashSize <= bytes.count else {
            throw ProvinceError.source("the tile \(path) is shorter than its width")
        }
        return Array(bytes[offset..<offset + MerkleTree.hashSize])
    }
}

/// A ward's live feed: `ansinh serve` at `base` (http:// or https://). Its stream's
/// public lines come with the ward's signature after each page (`event: attestation`,
/// ``PublicEntries/attestation(of:from:through:key:)``): no entry is handed on before
/// the signature over it verifies with the ward's key.
public struct FeedSource: WardSource {
    public let base: URL
    let client: FeedClient
    let wardKey: [UInt8]

    public var description: String { "the feed \(base.absoluteString)" }
    public var firstPosition: UInt64 { 1 }

    public init(_ text: String, wardKey: [UInt8]) throws {
        guard let url = URL(string: text.hasSuffix("/") ? String(text.dropLast()) : text), ["http", "https"].contains(url.scheme ?? ""),
            url.host != nil
        else {
            throw ProvinceError.badWard("--feed \(text)", "it must be the ward's address, such as https://ansinh.nuisam.example")
        }
        base = url
        client = FeedClient(base: url)
        self.wardKey = wardKey
    }

    public func checkpoint() async throws -> String {
        let (status, body) = try await client.get("/v1/checkpoint")
        guard status == 200 else { throw ProvinceError.source("\(description): /v1/checkpoint answered \(status): \(body.prefix(200))") }
        return body
    }

    public func consistencyProof(from: UInt64, to: UInt64) async throws -> [[UInt8]] {
        let (status, body) = try await client.get("/v1/proofs/consistency?from=\(from)&to=\(to)")
        guard status == 200 else {
            throw ProvinceError.source("\(description): /v1/proofs/consistency answered \(status): \(body.prefix(200))")
        }
        struct Proof: Decodable { var proof: [String] }
        guard let proof = try? JSONDecoder().decode(Proof.self, from: Data(body.utf8)) else {
            throw ProvinceError.source("\(description): its consistency proof is not JSON with hexadecimal hashes")
        }
        let hashes = proof.proof.compactMap(hexBytes)
        guard hashes.count == proof.proof.count else {
            throw ProvinceError.source("\(description): its consistency proof is not JSON with hexadecimal hashes")
        }
        return hashes
    }

    public func entries(from first: UInt64, through last: UInt64, batch: Int, _ body: ([PublicEntry]) async throws -> Void) async throws {
        let key = try Curve25519.Signing.PublicKey(rawRepresentation: wardKey)
        struct Attestation: Decodable {
            var from: UInt64
            var through: UInt64
            var sha256: String
            var signature: String
        }
        var unsigned: [PublicEntry] = []  // read, not yet covered by a signature
        var hasher = SHA256()
        var signed: [PublicEntry] = []  // covered, waiting for a whole batch
        var next = first
        var event = "message"
        var done = false
        try await client.stream("/v1/events/stream?from=\(first)") { line in
            if line.isEmpty {
                event = "message"
                return true
            }
            if line.hasPrefix("event: ") {
                event = String(line.dropFirst(7))
                return true
            }
            guard line.hasPrefix("data: ") else { return true }
            let data = line.dropFirst(6)
            if event == "attestation" {
                guard let attestation = try? JSONDecoder().decode(Attestation.self, from: Data(data.utf8)),
                    let signature = hexBytes(attestation.signature), let firstUnsigned = unsigned.first
                else {
                    throw ProvinceError.source("\(description) sent a signature that is not one, or over nothing: \(data.prefix(200))")
                }
                let digest = hex(Array(hasher.finalize()))
                guard attestation.from == firstUnsigned.position, attestation.through == unsigned.last!.position, attestation.sha256 == digest,
                    key.isValidSignature(signature, for: PublicEntries.attestationMessage(from: attestation.from, through: attestation.through, sha256: digest))
                else {
                    throw ProvinceError.source(
                        "\(description): the ward's signature over positions \(attestation.from)–\(attestation.through) does not verify with its registered key, or does not cover the entries sent")
                }
                signed += unsigned.filter { $0.position <= last }
                done = unsigned.last!.position >= last
                unsigned.removeAll(keepingCapacity: true)
                hasher = SHA256()
                while signed.count >= batch || (done && !signed.isEmpty) {
                    let count = min(batch, signed.count)
                    try await body(Array(signed.prefix(count)))
                    signed.removeFirst(count)
                }
                return !done
            }
            let entry = try PublicEntry(line: data, origin: "\(description), the event after position \(next - 1)")
            guard entry.position == next else {
                throw ProvinceError.source("\(description) sent position \(entry.position) where \(next) was due")
            }
            hasher.update(data: Array(data.utf8))
            hasher.update(data: [0x0A])
            unsigned.append(entry)
            next += 1
            return true
        }
        guard done else {
            throw ProvinceError.source(
                "\(description) ended its stream before its signed entries reached position \(last) (is the ward's signing key in place?); pull again")
        }
    }

    public func entry(at position: UInt64) async throws -> PublicEntry? {
        let (status, body) = try await client.get("/v1/events?from=\(position)&limit=1")
        guard status == 200 else { throw ProvinceError.source("\(description): /v1/events answered \(status)") }
        // The page's single event, cut out of the page as it was sent.
        guard let start = body.range(of: "\"events\":[")?.upperBound, body.hasSuffix("]}\n") || body.hasSuffix("]}") else { return nil }
        let inner = body[start...].dropLast(body.hasSuffix("\n") ? 3 : 2)
        guard !inner.isEmpty else { return nil }
        let entry = try PublicEntry(line: inner, origin: "\(description), position \(position)")
        return entry.position == position ? entry : nil
    }
}

func hexBytes(_ text: String) -> [UInt8]? {
    guard text.count % 2 == 0 else { return nil }
    var bytes: [UInt8] = []
    bytes.reserveCapacity(text.count / 2)
    var index = text.startIndex
    while index < text.endIndex {
        let next = text.index(index, offsetBy: 2)
        guard let byte = UInt8(text[index..<next], radix: 16) else { return nil }
        bytes.append(byte)
        index = next
    }
    return bytes
}
