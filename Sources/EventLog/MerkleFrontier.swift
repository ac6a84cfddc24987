/// The right edge of an RFC 9162 Merkle tree: the roots of its perfect subtrees, largest
/// (leftmost) first, one for each 1 bit of its size. It is all a follower of a log must
/// keep to extend the tree by new leaves and compute its root, without the leaves it
/// already holds (a "compact range" of the whole tree).
public struct MerkleFrontier: Hashable, Sendable {
    /// The number of leaves.
    public private(set) var size: UInt64
    /// The roots of the perfect subtrees, largest first: `size.nonzeroBitCount` hashes.
    public private(set) var subtrees: [[UInt8]]

    /// The empty tree.
    public init() {
        size = 0
        subtrees = []
    }

    /// A frontier kept earlier: `subtrees` must hold one 32-byte hash for each 1 bit of `size`.
    public init?(size: UInt64, subtrees: [[UInt8]]) {
        guard subtrees.count == size.nonzeroBitCount, subtrees.allSatisfy({ $0.count == MerkleTree.hashSize }) else { return nil }
        self.size = size
        self.subtrees = subtrees
    }

    /// Adds a leaf, given its leaf hash (``MerkleTree/leafHash(_:)`` of its entry).
    public mutating func append(leafHash: [UInt8]) {
        var hash = leafHash
        // Each trailing 1 bit of the size is a subtree of the new leaf's height: merge it.
        var merges = (~size).trailingZeroBitCount
        while merges > 0 {
            hash = MerkleTree.nodeHash(subtrees.removeLast(), hash)
            merges -= 1
        }
        subtrees.append(hash)
        size += 1
    }

    /// MTH of the tree: the subtrees' roots hashed together from the right.
    public var root: [UInt8] {
        guard var hash = subtrees.last else { return MerkleTree.emptyRoot }
        for left in subtrees.dropLast().reversed() { hash = MerkleTree.nodeHash(left, hash) }
        return hash
    }
}
