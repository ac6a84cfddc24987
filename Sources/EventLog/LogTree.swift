import Crypto
import LMDB

/// The log's Merkle tree (RFC 9162 §2.1), kept in the store beside the events: leaf `i`
/// is the 32-byte record hash of the event at position `i + 1`.
///
/// The table `tree` holds the hash of every *perfect* subtree (leaves
/// `index·2^level ..< (index+1)·2^level`), keyed by the leaf that completes it and its
/// level: `last leaf ‖ level` (a big-endian u64, then one byte). Those nodes never
/// change once written; an append adds its leaf and then one node for each level it
/// completes (two puts an append on average), every key after all the keys before it,
/// so each put appends to the table's last page (which LMDB then fills whole, not
/// half). Any other subtree's hash, hence any root and any proof of any tree size, is a
/// few of them combined: O(log n) reads. The C2SP tiles are its levels 0, 8, 16, …
enum LogTree {
    /// The leaf that completes node `index` of `level`.
    static func lastLeaf(level: Int, index: UInt64) -> UInt64 { (index + 1) << UInt64(level) - 1 }

    static func key(level: Int, index: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(9)
        EventRecord.appendBigEndian(lastLeaf(level: level, index: index), to: &key)
        key.append(UInt8(level))
        return key
    }

    /// The number of leaves stored: one past the leaf that completed the last node.
    static func size(in transaction: Transaction, _ tree: Database) throws -> UInt64 {
        try transaction.withCursor(tree) { cursor in
            guard let entry = try cursor.last(), entry.key.count == 9 else { return 0 }
            return entry.key.loadBigEndian(fromByteOffset: 0, as: UInt64.self) + 1
        }
    }

    /// A leaf's hash, SHA-256(0x00 ‖ record hash): hashed from the stack, no array made.
    static func leafHash(_ recordHash: ChainHash) -> ChainHash {
        withUnsafeTemporaryAllocation(byteCount: 33, alignment: 1) { buffer in
            buffer[0] = 0x00
            withUnsafeBytes(of: recordHash.storage) { UnsafeMutableRawBufferPointer(rebasing: buffer[1...]).copyMemory(from: $0) }
            return ChainHash.digest(of: UnsafeRawBufferPointer(buffer))
        }
    }

    /// An interior node's hash, SHA-256(0x01 ‖ left ‖ right).
    static func nodeHash(_ left: ChainHash, _ right: ChainHash) -> ChainHash {
        withUnsafeTemporaryAllocation(byteCount: 65, alignment: 1) { buffer in
            buffer[0] = 0x01
            withUnsafeBytes(of: left.storage) { UnsafeMutableRawBufferPointer(rebasing: buffer[1..<33]).copyMemory(from: $0) }
            withUnsafeBytes(of: right.storage) { UnsafeMutableRawBufferPointer(rebasing: buffer[33...]).copyMemory(from: $0) }
            return ChainHash.digest(of: UnsafeRawBufferPointer(buffer))
        }
    }

    /// Stores `hash` as node `index` of `level`, after every key in the table (the key
    /// built on the stack).
    static func append(_ hash: ChainHash, level: Int, index: UInt64, in transaction: WriteTransaction, _ tree: Database) throws {
        try withUnsafeTemporaryAllocation(byteCount: 9, alignment: 1) { key in
            withUnsafeBytes(of: lastLeaf(level: level, index: index).bigEndian) {
                UnsafeMutableRawBufferPointer(rebasing: key[0..<8]).copyMemory(from: $0)
            }
            key[8] = UInt8(level)
            try withUnsafeBytes(of: hash.storage) { try transaction.put(tree, key: UnsafeRawBufferPointer(key), value: $0, flags: .append) }
        }
    }
}

/// Adds leaves to the stored tree inside one write transaction, remembering the last
/// left child written at each level: the sibling the next append combines with.
final class TreeAppender {
    private let transaction: WriteTransaction
    private let tree: Database
    /// The leaves the tree holds, as this transaction sees them.
    private(set) var size: UInt64
    /// The last node of even index written at each level in this transaction: (index, hash).
    private var lefts: [(index: UInt64, hash: ChainHash)?] = Array(repeating: nil, count: 64)

    init(transaction: WriteTransaction, tree: Database) throws {
        self.transaction = transaction
        self.tree = tree
        size = try LogTree.size(in: transaction, tree)
    }

    /// Appends the leaf of the event at position `size + 1`, and each node it completes.
    func append(_ recordHash: ChainHash) throws {
        var hash = LogTree.leafHash(recordHash)
        var level = 0
        var index = size
        while true {
            try LogTree.append(hash, level: level, index: index, in: transaction, tree)
            guard index & 1 == 1 else {
                lefts[level] = (index, hash)
                break
            }
            // A right child: its left sibling is complete, and so is their parent.
            let left: ChainHash
            if let known = lefts[level], known.index == index - 1 {
                left = known.hash
            } else if let stored = try transaction.get(tree, LogTree.key(level: level, index: index - 1)), stored.count == 32 {
                left = ChainHash(bytes: stored)
            } else {
                throw LogError.corruptRecord(
                    position: size + 1, reason: "the Merkle tree lacks node \(index - 1) of level \(level)")
            }
            hash = LogTree.nodeHash(left, hash)
            level += 1
            index >>= 1
        }
        size += 1
    }

    /// Adds the leaves of the events after the tree's size, through `position`.
    func catchUp(through position: UInt64, reader: LogReader) throws {
        guard size < position else { return }
        try reader.forEachEvent(from: size + 1, limit: Int(position - size)) { event in
            try append(event.hash)
        }
    }
}

extension LogReader {
    /// How many leaves the log's Merkle tree holds: the head's position, unless the
    /// store was written by an earlier version and has not been opened for writing
    /// since (the tree is completed then).
    public func treeSize() throws -> UInt64 {
        guard let tree = databases.tree else { return 0 }
        return try LogTree.size(in: transaction, tree)
    }

    /// The stored hash of the perfect subtree `index` of `level` (leaves
    /// `index·2^level ..< (index+1)·2^level`), or `nil` when it is not complete.
    public func treeNode(level: Int, index: UInt64) throws -> [UInt8]? {
        guard let tree = databases.tree, let bytes = try transaction.get(tree, LogTree.key(level: level, index: index)) else {
            return nil
        }
        guard bytes.count == MerkleTree.hashSize else {
            throw LogError.corruptRecord(position: index << level + 1, reason: "a node of the Merkle tree is not 32 bytes")
        }
        return Array(bytes)
    }

    /// Calls `body` with the stored nodes of `level` from `index` on, in order, while they
    /// are stored, at most `limit` of them.
    public func forEachTreeNode(level: Int, from index: UInt64, limit: Int, _ body: (UInt64, [UInt8]) throws -> Void) throws {
        var current = index
        while current - index < UInt64(limit), let node = try treeNode(level: level, index: current) {
            try body(current, node)
            current += 1
        }
    }

    /// The tree of the first `size` leaves, from the stored nodes; throws
    /// ``LogError/treeSizeUnavailable(size:treeSize:)`` past the stored tree.
    public func tree(size: UInt64) throws -> StoredTree {
        guard databases.tree != nil else { throw LogError.treeNotKept }
        let stored = try treeSize()
        guard size <= stored else { throw LogError.treeSizeUnavailable(size: size, treeSize: stored) }
        return StoredTree(reader: self, size: size)
    }
}

/// The log's Merkle tree at one size, read from the stored nodes in one snapshot: its
/// root and proofs (RFC 9162 §2.1.1–2.1.4), each from O(log n) stored hashes.
public struct StoredTree {
    let reader: LogReader
    public let size: UInt64

    /// MTH of the leaves `start ..< start + count`.
    func hash(_ start: UInt64, _ count: UInt64) throws -> [UInt8] {
        if count == 0 { return MerkleTree.emptyRoot }
        if count & (count - 1) == 0, start % count == 0 {
            let level = count.trailingZeroBitCount
            guard let node = try reader.treeNode(level: level, index: start >> UInt64(level)) else {
                throw LogError.corruptRecord(position: start + 1, reason: "the Merkle tree lacks node \(start >> UInt64(level)) of level \(level)")
            }
            return node
        }
        let k = UInt64(MerkleTree.split(Int(count)))
        return MerkleTree.nodeHash(try hash(start, k), try hash(start + k, count - k))
    }

    /// The root hash.
    public func root() throws -> [UInt8] { try hash(0, size) }

    /// PATH(leafIndex, D[size]).
    public func inclusionProof(leafIndex: UInt64) throws -> [[UInt8]] {
        guard leafIndex < size else { throw LogError.treeSizeUnavailable(size: leafIndex + 1, treeSize: size) }
        return try MerkleTree.inclusionProof(index: leafIndex, size: size, hash: hash)
    }

    /// PROOF(from, D[size]) (0 < from ≤ size; empty when equal).
    public func consistencyProof(from: UInt64) throws -> [[UInt8]] {
        guard from > 0, from <= size else { throw LogError.treeSizeUnavailable(size: from, treeSize: size) }
        return try MerkleTree.consistencyProof(from: from, to: size, hash: hash)
    }
}

extension EventLog {
    /// Adds the leaves a store written by an earlier version lacks, in transactions of at
    /// most `batchEventCountMax` events.
    func completeTree(batchEventCountMax: Int) throws {
        guard let tree = databases.tree else { return }
        // Most opens find the tree whole: a read says so without taking the writers' lock.
        let whole = try environment.read { transaction in
            try LogTree.size(in: transaction, tree) >= LogReader(transaction: transaction, databases: databases).head().position
        }
        guard !whole else { return }
        while true {
            let finished = try environment.write { transaction -> Bool in
                let reader = LogReader(transaction: transaction, databases: databases)
                let head = try reader.head().position
                let appender = try TreeAppender(transaction: transaction, tree: tree)
                guard appender.size < head else { return true }
                try appender.catchUp(through: min(head, appender.size + UInt64(batchEventCountMax)), reader: reader)
                return appender.size == head
            }
            if finished { return }
        }
    }
}
