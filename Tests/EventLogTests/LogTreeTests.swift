@testable import EventLog
import Foundation
import LMDB
import Testing

/// The Merkle tree the log keeps as it appends (``LogTree``) against the definition
/// computed from the record hashes (``MerkleTree``): every root, every proof.
@Suite("The log's kept Merkle tree")
struct LogTreeTests {
    /// The record hashes of every event, as leaves.
    static func leafHashes(_ log: EventLog) throws -> [[UInt8]] {
        try log.read { reader in try reader.events().map { $0.hash.withBytes { MerkleTree.leafHash($0) } } }
    }

    @Test("appended in transactions of random sizes, the kept tree gives the defined root and proofs: every leaf of every size up to 300, every pair up to 130")
    func keptTreeAgreesWithDefinition() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        var generator = SystemRandomNumberGenerator()
        var appended = 0
        while appended < 700 {
            let count = Int.random(in: 1...90, using: &generator)
            try log.append((0..<count).map { sampleEvent(appended + $0) }, to: "s\(appended % 3)", actor: "a")
            appended += count
        }
        let leaves = try Self.leafHashes(log)
        let definition = MerkleTree.Subtrees(leaves[...])
        try log.read { reader throws in
            #expect(try reader.treeSize() == UInt64(leaves.count))
            #expect(try reader.tree(size: 0).root() == MerkleTree.emptyRoot)
            var wrong: [String] = []
            for size in 1...leaves.count {
                let tree = try reader.tree(size: UInt64(size))
                if try tree.root() != definition.hash(0, size) { wrong.append("root of \(size)") }
                // Every leaf of every tree up to 300; past that, one at random.
                for leaf in size <= 300 ? Array(0..<size) : [Int.random(in: 0..<size, using: &generator)]
                where try tree.inclusionProof(leafIndex: UInt64(leaf)) != definition.inclusionProof(index: leaf, size: size) {
                    wrong.append("inclusion of \(leaf) in \(size)")
                }
                // Every earlier size, for trees up to 130; past that, one at random.
                for from in size <= 130 ? Array(1...size) : [Int.random(in: 1...size, using: &generator)]
                where try tree.consistencyProof(from: UInt64(from)) != definition.consistencyProof(from: from, to: size) {
                    wrong.append("consistency from \(from) to \(size)")
                }
            }
            #expect(wrong.isEmpty, "\(wrong.prefix(10))")
            #expect(throws: LogError.treeSizeUnavailable(size: UInt64(leaves.count + 1), treeSize: UInt64(leaves.count))) {
                try reader.tree(size: UInt64(leaves.count + 1))
            }
        }
        let report = try log.verify()
        #expect(report.isValid)
        #expect(report.treeSize == UInt64(leaves.count))
    }

    @Test("a store without a tree (an earlier version's) gets it when opened for writing; read-only, it has none")
    func earlierStoreGetsItsTree() throws {
        let folder = TemporaryFolder()
        var expected: [UInt8] = []
        do {
            let log = try openLog(folder)
            for batch in 0..<10 { try log.append((0..<37).map { sampleEvent(batch * 37 + $0) }, to: "s", actor: "a") }
            expected = try log.read { try $0.tree(size: 370).root() }
            try log.environment.write { transaction in
                try transaction.dropDatabase(try transaction.openDatabase("tree"))
            }
        }
        do {
            let readOnly = try openLog(folder) { $0.readOnly = true }
            try readOnly.read { reader throws in
                #expect(try reader.treeSize() == 0)
                #expect(throws: LogError.treeNotKept) { try reader.tree(size: 1) }
            }
            #expect(try readOnly.verify().isValid, "a missing tree is not a damaged log")
        }
        let log = try openLog(folder) { $0.projectionBatchEventCountMax = 64 }
        try log.read { reader throws in
            #expect(try reader.treeSize() == 370)
            #expect(try reader.tree(size: 370).root() == expected)
        }
        try log.append([sampleEvent(999)], to: "s", actor: "a")
        #expect(try log.read { try $0.tree(size: 371).root() } == MerkleTree.rootHash(try Self.leafHashes(log)[...]))
    }

    @Test("an append by a process that kept no tree is caught up by the next append")
    func appendWithoutTreeIsCaughtUp() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append((0..<20).map { sampleEvent($0) }, to: "s", actor: "a")
        // As an earlier version appends: the events, and no leaves.
        try log.environment.write { transaction in
            try transaction.removeAll(try transaction.openDatabase("tree"))
        }
        #expect(try log.read { try $0.treeSize() } == 0)
        try log.append([sampleEvent(20)], to: "s", actor: "a")
        let leaves = try Self.leafHashes(log)
        #expect(try log.read { try $0.tree(size: 21).root() } == MerkleTree.rootHash(leaves[...]))
        #expect(try log.verify().isValid)
    }

    @Test("a changed, missing or extra node of the tree is found by verify, naming the leaves it covers; appends refuse a tree longer than the log")
    func changedNodeIsFound() throws {
        for damage in ["changed", "missing", "extra", "stray"] {
            let folder = TemporaryFolder()
            let log = try openLog(folder)
            try log.append((0..<40).map { sampleEvent($0) }, to: "s", actor: "a")
            try log.environment.write { transaction in
                let tree = try transaction.openDatabase("tree")
                let key = LogTree.key(level: 2, index: 5)  // leaves 20 … 23
                switch damage {
                case "changed": try transaction.put(tree, key: key, value: [UInt8](repeating: 7, count: 32))
                case "missing": try transaction.delete(tree, key: key)
                case "extra":  // a node past the last leaf: the tree claims more leaves than the log has
                    try transaction.put(tree, key: LogTree.key(level: 5, index: 9), value: [UInt8](repeating: 7, count: 32))
                default:  // a key no node has, among the others: completed by leaf 39, at level 7
                    try transaction.put(tree, key: [0, 0, 0, 0, 0, 0, 0, 39, 7] as [UInt8], value: [UInt8](repeating: 7, count: 32))
                }
            }
            let report = try log.verify()
            guard case .treeMismatch(let reason) = report.failure?.problem else {
                Issue.record("\(damage): expected the tree to disagree, got \(String(describing: report.failure))")
                continue
            }
            if damage == "extra" {
                #expect(report.failure?.position == 40 && reason.contains("it has 320 leaves, but the log has 40 events"), "\(reason)")
                #expect(throws: LogError.self, "no leaf is added to a tree that does not match the log") {
                    try log.append([sampleEvent(41)], to: "s", actor: "a")
                }
                #expect(try log.head().position == 40)
            } else if damage == "stray" {
                #expect(report.failure?.position == 40 && reason.contains("it holds 79 nodes, but a tree of 40 leaves has 78"), "\(reason)")
            } else {
                #expect(report.failure?.position == 24, "\(reason)")
                #expect(reason.contains("node 5 of level 2 (leaves 20 to 23)"), "\(reason)")
            }
        }
    }
}

extension ChainHash {
    func withBytes<Result>(_ body: ([UInt8]) -> Result) -> Result { body(hexBytes(hex)!) }
}
