import Crypto

/// The Merkle tree of RFC 9162 §2.1 (Certificate Transparency 2.0) over a list of
/// entries: the tree hash, inclusion proofs and consistency proofs, and their
/// verification, exactly as the RFC defines them, so that any tlog client can check
/// what ansinh publishes. Hashes are SHA-256, 32 bytes.
///
/// This is the definition, computed from the leaves' hashes: it is what a kept tree
/// (updated as events are appended) must agree with, and what tests hold it to.
public enum MerkleTree {
    public static let hashSize = 32

    /// The hash of an empty tree: SHA-256 of no bytes.
    public static var emptyRoot: [UInt8] { Array(SHA256.hash(data: [UInt8]())) }

    /// A leaf's hash: SHA-256(0x00 ‖ entry).
    public static func leafHash(_ entry: some Collection<UInt8>) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: [0x00])
        hash.update(data: Array(entry))
        return Array(hash.finalize())
    }

    /// An interior node's hash: SHA-256(0x01 ‖ left ‖ right).
    public static func nodeHash(_ left: [UInt8], _ right: [UInt8]) -> [UInt8] {
        var hash = SHA256()
        hash.update(data: [0x01])
        hash.update(data: left)
        hash.update(data: right)
        return Array(hash.finalize())
    }

    /// The largest power of 2 smaller than `n` (n > 1): where the tree splits.
    static func split(_ n: Int) -> Int {
        precondition(n > 1)
        var k = 1
        while k << 1 < n { k <<= 1 }
        return k
    }

    /// MTH(D[n]): the root hash of the tree whose leaves have `leafHashes`.
    public static func rootHash(_ leafHashes: ArraySlice<[UInt8]>) -> [UInt8] {
        Subtrees(leafHashes).hash(leafHashes.startIndex, leafHashes.count)
    }

    /// PATH(m, D[n]): the inclusion proof of leaf `index` (from 0) in the tree of
    /// `leafHashes`, from the leaf up.
    public static func inclusionProof(index: Int, _ leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        Subtrees(leafHashes).inclusionProof(index: index, size: leafHashes.count)
    }

    /// PROOF(m, D[n]): the consistency proof that the tree of the first `size` leaves is
    /// a prefix of the tree of all `leafHashes` (0 < size ≤ n; empty when size = n).
    public static func consistencyProof(from size: Int, _ leafHashes: ArraySlice<[UInt8]>) -> [[UInt8]] {
        Subtrees(leafHashes).consistencyProof(from: size, to: leafHashes.count)
    }

    /// The hashes of a list of leaves' subtrees, each computed once: the root of any
    /// prefix, and proofs in it, cost one hash a node however many are asked for.
    public final class Subtrees {
        private let leaves: ArraySlice<[UInt8]>
        /// (first leaf, leaf count) → MTH of those leaves.
        private var known: [Int: [UInt8]] = [:]

        public init(_ leafHashes: ArraySlice<[UInt8]>) { leaves = leafHashes }

        /// MTH of `count` leaves from leaf `start` (an index of the slice given).
        public func hash(_ start: Int, _ count: Int) -> [UInt8] {
            switch count {
            case 0: return emptyRoot
            case 1: return leaves[start]
            default:
                let key = start << 32 | count
                if let hash = known[key] { return hash }
                let k = split(count)
                let hash = nodeHash(self.hash(start, k), self.hash(start + k, count - k))
                known[key] = hash
                return hash
            }
        }

        /// PATH(index, D[size]) over the first `size` leaves.
        public func inclusionProof(index: Int, size: Int) -> [[UInt8]] {
            precondition(index >= 0 && index < size && size <= leaves.count, "leaf \(index) is not in a tree of \(size)")
            let first = UInt64(leaves.startIndex)
            return MerkleTree.inclusionProof(index: UInt64(index), size: UInt64(size)) { hash(Int(first + $0), Int($1)) }
        }

        /// PROOF(from, D[to]) over the first `to` leaves (0 < from ≤ to).
        public func consistencyProof(from m: Int, to n: Int) -> [[UInt8]] {
            precondition(m > 0 && m <= n && n <= leaves.count, "no consistency proof from \(m) to \(n)")
            let first = UInt64(leaves.startIndex)
            return MerkleTree.consistencyProof(from: UInt64(m), to: UInt64(n)) { hash(Int(first + $0), Int($1)) }
        }
    }

    /// PATH(index, D[size]), given MTH of any range of leaves as `hash(start, count)`:
    /// the same steps whether the hashes are computed from leaves or read from a store.
    public static func inclusionProof(
        index: UInt64, size: UInt64, hash: (_ start: UInt64, _ count: UInt64) throws -> [UInt8]
    ) rethrows -> [[UInt8]] {
        precondition(index < size, "leaf \(index) is not in a tree of \(size)")
        var proof: [[UInt8]] = []
        // PATH(m, D[start ..< start + n]), from the leaf up.
        func path(_ m: UInt64, _ start: UInt64, _ n: UInt64) throws {
            guard n > 1 else { return }
            let k = UInt64(split(Int(n)))
            if m < k {
                try path(m, start, k)
                proof.append(try hash(start + k, n - k))
            } else {
                try path(m - k, start + k, n - k)
                proof.append(try hash(start, k))
            }
        }
        try path(index, 0, size)
        return proof
    }

    /// PROOF(from, D[to]) (0 < from ≤ to), given MTH of any range of leaves as `hash(start, count)`.
    public static func consistencyProof(
        from m: UInt64, to n: UInt64, hash: (_ start: UInt64, _ count: UInt64) throws -> [UInt8]
    ) rethrows -> [[UInt8]] {
        precondition(m > 0 && m <= n, "no consistency proof from \(m) to \(n)")
        var proof: [[UInt8]] = []
        // SUBPROOF(m, D[start ..< start + n], complete).
        func subproof(_ m: UInt64, _ start: UInt64, _ n: UInt64, complete: Bool) throws {
            if m == n {
                if !complete { proof.append(try hash(start, n)) }
                return
            }
            let k = UInt64(split(Int(n)))
            if m <= k {
                try subproof(m, start, k, complete: complete)
                proof.append(try hash(start + k, n - k))
            } else {
                try subproof(m - k, start + k, n - k, complete: false)
                proof.append(try hash(start, k))
            }
        }
        try subproof(m, 0, n, complete: true)
        return proof
    }

    /// Shifts `fn` and `sn` right together until `fn` is odd or 0: the RFC's step after
    /// a sibling on the left.
    private static func shiftUntilOdd(_ fn: inout UInt64, _ sn: inout UInt64) {
        while fn & 1 == 0 && fn != 0 {
            fn >>= 1
            sn >>= 1
        }
    }

    /// Whether `proof` shows that the leaf whose hash is `leafHash` is leaf `index` of
    /// the tree of `size` leaves whose root is `root` (RFC 9162 §2.1.3.2).
    public static func verifyInclusion(index: UInt64, size: UInt64, leafHash: [UInt8], proof: [[UInt8]], root: [UInt8]) -> Bool {
        guard index < size, leafHash.count == hashSize, root.count == hashSize else { return false }
        var fn = index
        var sn = size - 1
        var r = leafHash
        for p in proof {
            guard p.count == hashSize, sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                r = nodeHash(p, r)
                shiftUntilOdd(&fn, &sn)
            } else {
                r = nodeHash(r, p)
            }
            fn >>= 1
            sn >>= 1
        }
        return sn == 0 && r == root
    }

    /// Whether `proof` shows that the tree of `firstSize` leaves with root `firstRoot`
    /// is a prefix of the tree of `secondSize` leaves with root `secondRoot` (RFC 9162
    /// §2.1.4.2). Equal sizes are consistent with an empty proof and equal roots; an
    /// empty tree, with any tree and an empty proof.
    public static func verifyConsistency(
        firstSize: UInt64, secondSize: UInt64, firstRoot: [UInt8], secondRoot: [UInt8], proof: [[UInt8]]
    ) -> Bool {
        guard firstSize <= secondSize else { return false }
        if firstSize == secondSize { return proof.isEmpty && firstRoot == secondRoot }
        if firstSize == 0 { return proof.isEmpty }
        guard !proof.isEmpty, proof.allSatisfy({ $0.count == hashSize }), firstRoot.count == hashSize,
            secondRoot.count == hashSize
        else { return false }
        var path = proof
        if firstSize & (firstSize - 1) == 0 { path.insert(firstRoot, at: 0) }
        var fn = firstSize - 1
        var sn = secondSize - 1
        while fn & 1 == 1 {
            fn >>= 1
            sn >>= 1
        }
        var fr = path[0]
        var sr = path[0]
        for c in path.dropFirst() {
            guard sn != 0 else { return false }
            if fn & 1 == 1 || fn == sn {
                fr = nodeHash(c, fr)
                sr = nodeHash(c, sr)
                shiftUntilOdd(&fn, &sn)
            } else {
                sr = nodeHash(sr, c)
            }
            fn >>= 1
            sn >>= 1
        }
        return fr == firstRoot && sr == secondRoot && sn == 0
    }
}
