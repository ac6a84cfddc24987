import EventLog
import Foundation
import Testing

@testable import Province

/// The province's parts that need no database: proofs from tiles, the feed's lines, addresses.
struct ProvincePartsTests {
    /// The stored levels of a tree (0, 8, 16): each complete node's hash, left to right.
    static func levels(_ leaves: [[UInt8]]) -> [[[UInt8]]] {
        var levels = [leaves]
        while levels.count < 3 {
            let below = levels.last!
            levels.append(stride(from: 0, to: below.count - Tile.fullWidth + 1, by: Tile.fullWidth).map { Self.subtree(below[$0..<($0 + Tile.fullWidth)]) })
        }
        return levels
    }

    /// MTH of 256 nodes of a level: 8 levels of node hashes.
    static func subtree(_ nodes: ArraySlice<[UInt8]>) -> [UInt8] {
        var hashes = Array(nodes)
        while hashes.count > 1 { hashes = stride(from: 0, to: hashes.count, by: 2).map { MerkleTree.nodeHash(hashes[$0], hashes[$0 + 1]) } }
        return hashes[0]
    }

    /// The tiles of the tree of the first `size` leaves (c2sp.org/tlog-tiles), by path.
    static func tiles(_ levels: [[[UInt8]]], size: UInt64) -> [String: Data] {
        var tiles: [String: Data] = [:]
        for tile in Tile.tiles(forSize: size) {
            let first = Int(tile.index) * Tile.fullWidth
            tiles[tile.path()] = Data(levels[tile.level][first..<(first + tile.width)].joined())
        }
        return tiles
    }

    @Test("consistency proofs read from an export's tiles are RFC 9162's, for trees across tile edges")
    func proofsFromTiles() throws {
        var generator = SystemRandomNumberGenerator()
        let leaves = (0..<70_000).map { MerkleTree.leafHash(Array("entry \($0)".utf8)) }
        var sizes: [UInt64] = [1, 2, 255, 256, 257, 511, 512, 513, 65_535, 65_536, 65_537, 70_000]
        sizes += (0..<8).map { _ in UInt64.random(in: 1...70_000, using: &generator) }
        let levels = Self.levels(leaves)
        for size in sizes {
            let tiles = Self.tiles(levels, size: size)
            let cache = TileCache()
            cache.read = { path in
                guard let data = tiles[path] else { throw ProvinceError.source("no tile \(path)") }
                return data
            }
            #expect(try cache.hash(0, size, size: size) == MerkleTree.rootHash(leaves[0..<Int(size)]), "root of \(size)")
            for from in Set([1, size / 2, size - 1]).filter({ $0 >= 1 }) {
                let proof = try MerkleTree.consistencyProof(from: from, to: size) { try cache.hash($0, $1, size: size) }
                #expect(proof == MerkleTree.consistencyProof(from: Int(from), leaves[0..<Int(size)]), "\(from) → \(size)")
            }
        }
    }

    @Test("a feed's line is read whole, or refused naming its field")
    func entryLines() throws {
        let hash = String(repeating: "ab", count: 32)
        let line = #"{"position":3,"eventId":"a45b6210-bc69-5522-a2bc-582f1ff6ef8f","type":"DonationReceived","stream":"fund-x","recordedAt":"2025-01-15T05:00:00.123456Z","data":{"fundId":"x","donor":{"name":"Nhà hảo tâm","kind":"individual"},"amount":5000,"receivedOn":"2024-02-01"},"prevHash":"\#(hash)","hash":"\#(hash)"}"#
        let entry = try PublicEntry(line: Substring(line), origin: "line 1")
        #expect(entry.position == 3 && entry.data.amount == 5000 && entry.data.donor?.name == "Nhà hảo tâm")
        #expect(entry.recordedAtText == "2025-01-15T05:00:00.123456Z")
        #expect(entry.leafHash == MerkleTree.leafHash(entry.hash.bytes))
        for (broken, words) in [
            (line.replacingOccurrences(of: #""position":3,"#, with: ""), "the field position is missing"),
            (line.replacingOccurrences(of: #""amount":5000"#, with: #""amount":"5000""#), "data.amount is not valid"),
            (line.replacingOccurrences(of: #""hash":"\#(hash)"}"#, with: #""hash":"zz"}"#), "64 hexadecimal digits"),
            (line.replacingOccurrences(of: "2025-01-15T05", with: "yesterday"), "recordedAt"),
            ("not json", "not a JSON object"),
        ] {
            #expect(throws: (any Error).self) { try PublicEntry(line: Substring(broken), origin: "line 7") }
            do {
                _ = try PublicEntry(line: Substring(broken), origin: "line 7")
            } catch {
                #expect("\(error)".hasPrefix("line 7: ") && "\(error)".contains(words), "\(error)")
            }
        }
    }

    @Test("a database address is postgres://USER@HOST:PORT/DATABASE, its password never shown")
    func addresses() throws {
        let url = try DatabaseURL("postgres://tinh:bi-mat@10.0.0.11:6432/an_giang", environment: [:])
        #expect(url.host == "10.0.0.11" && url.port == 6432 && url.user == "tinh" && url.password == "bi-mat" && url.database == "an_giang")
        #expect(!url.description.contains("bi-mat"))
        let defaults = try DatabaseURL("postgresql://db.example/tinh", environment: ["PGUSER": "ansinh", "PGPASSWORD": "x"])
        #expect(defaults.port == 5432 && defaults.user == "ansinh" && defaults.password == "x")
        #expect(url.sslMode == .disable)
        #expect(try DatabaseURL("postgres://a@h/db?sslmode=verify-full", environment: [:]).sslMode == .verifyFull)
        #expect(try DatabaseURL("postgres://a@h/db", environment: ["PGSSLMODE": "require"]).sslMode == .require)
        for bad in ["http://host/db", "postgres://host", "postgres:///db", "not a url", "postgres://a@h/db?sslmode=sometimes"] {
            #expect(throws: ProvinceError.self) { try DatabaseURL(bad, environment: [:]) }
        }
    }
}
