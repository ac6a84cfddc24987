import EventLog
import Foundation
import Testing

/// RFC 9162 §2.1 against the known answers published with the RFC 6962 reference
/// implementation (Certificate Transparency's C++ merkle_tree_test, carried by Trillian
/// and transparency-dev/merkle), and against itself for every leaf of every tree up to
/// 300 leaves: each proof verifies, and every corruption of it is refused.
@Suite("The Merkle tree of RFC 9162")
struct MerkleTreeTests {
    static func bytes(_ hex: String) -> [UInt8] { hexBytes(hex)! }

    /// The eight entries of the published vectors.
    static let entries: [[UInt8]] = ["", "00", "10", "2021", "3031", "40414243", "5051525354555657", "606162636465666768696a6b6c6d6e6f"]
        .map(bytes)

    /// MTH of the first 1 … 8 entries.
    static let roots: [[UInt8]] = [
        "6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
        "fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125",
        "aeb6bcfe274b70a14fb067a5e5578264db0fa9b51af5e0ba159158f329e06e77",
        "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7",
        "4e3bbb1f7b478dcfe71fb631631519a3bca12c9aefca1612bfce4c13a86264d4",
        "76e67dadbcdf1e10e1b74ddc608abd2f98dfb16fbce75277b5232a127f2087ef",
        "ddb89be403809e325750d3d263cd78929c2942b7942a34b77e122c9594a74c8c",
        "5dc9da79a70659a9ad559cb701ded9a2ab9d823aad2f4960cfe370eff4604328",
    ].map(bytes)

    /// (leaf number from 1, tree size, proof)
    static let inclusionProofs: [(leaf: Int, size: Int, proof: [[UInt8]])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"].map(bytes)),
        (6, 8, ["bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"].map(bytes)),
        (3, 3, ["fac54203e7cc696cf0dfcb42c92a1d9dbaf70ad9e621f4bd8d98662f00e3c125"].map(bytes)),
        (2, 5, ["6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"].map(bytes)),
    ]

    static let consistencyProofs: [(first: Int, second: Int, proof: [[UInt8]])] = [
        (1, 1, []),
        (1, 8, ["96a296d224f285c67bee93c30f8a309157f0daa35dc5b87e410b78630a09cfc7",
                "5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "6b47aaf29ee3c2af9af889bc1fb9254dabd31177f16232dd6aab035ca39bf6e4"].map(bytes)),
        (6, 8, ["0ebc5d3437fbe2db158b9f126a1d118e308181031d0a949f8dededebc558ef6a",
                "ca854ea128ed050b41b35ffc1b87b8eb2bde461e9e3b5596ece6b9d5975a0ae0",
                "d37ee418976dd95753c1c73862b9398fa2a2cf9b4ff0fdfe8b30cd95209614b7"].map(bytes)),
        (2, 5, ["5f083f0a1a33ca076a95279832580db3e0ef4584bdff1f54c8a360f50de3031e",
                "bc1a0643b12e4d2d7c77918f44e0f4f79a838b6cf9ec5b5c283e1f4d88599e6b"].map(bytes)),
    ]

    static let leafHashes = entries.map { MerkleTree.leafHash($0) }

    @Test("a frontier grown leaf by leaf, and one kept and restored, has the root of every tree of 0 to 600 leaves")
    func frontierRoots() {
        let leaves = (0..<600).map { MerkleTree.leafHash(Array("entry \($0)".utf8)) }
        var frontier = MerkleFrontier()
        #expect(frontier.root == MerkleTree.emptyRoot)
        for (index, leaf) in leaves.enumerated() {
            frontier.append(leafHash: leaf)
            #expect(frontier.size == UInt64(index + 1))
            #expect(frontier.subtrees.count == (index + 1).nonzeroBitCount)
            #expect(frontier.root == MerkleTree.rootHash(leaves[0...index]), "size \(index + 1)")
            let restored = MerkleFrontier(size: frontier.size, subtrees: frontier.subtrees)
            #expect(restored == frontier)
        }
        #expect(MerkleFrontier(size: 3, subtrees: [leaves[0]]) == nil)
        #expect(MerkleFrontier(size: 1, subtrees: [[1, 2, 3]]) == nil)
    }

    @Test("the root of each prefix of the published entries is the published one; the empty tree's is SHA-256 of nothing")
    func knownRoots() {
        #expect(hex(MerkleTree.emptyRoot) == "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855")
        for size in 1...8 {
            #expect(MerkleTree.rootHash(Self.leafHashes[..<size]) == Self.roots[size - 1], "size \(size)")
        }
    }

    @Test("the published inclusion and consistency proofs are the ones made, and verify")
    func knownProofs() {
        for vector in Self.inclusionProofs {
            let made = MerkleTree.inclusionProof(index: vector.leaf - 1, Self.leafHashes[..<vector.size])
            #expect(made == vector.proof, "leaf \(vector.leaf) of \(vector.size)")
            #expect(
                MerkleTree.verifyInclusion(
                    index: UInt64(vector.leaf - 1), size: UInt64(vector.size), leafHash: Self.leafHashes[vector.leaf - 1], proof: vector.proof,
                    root: Self.roots[vector.size - 1]))
        }
        for vector in Self.consistencyProofs {
            let made = MerkleTree.consistencyProof(from: vector.first, Self.leafHashes[..<vector.second])
            #expect(made == vector.proof, "\(vector.first) → \(vector.second)")
            #expect(
                MerkleTree.verifyConsistency(
                    firstSize: UInt64(vector.first), secondSize: UInt64(vector.second), firstRoot: Self.roots[vector.first - 1],
                    secondRoot: Self.roots[vector.second - 1], proof: vector.proof))
        }
    }

    /// Leaves of their own, as many as needed.
    static func leaves(_ count: Int) -> [[UInt8]] {
        (0..<count).map { MerkleTree.leafHash(Array("entry \($0)".utf8)) }
    }

    static let someHash = bytes("abacaba000000000000000000000000000000000000000000060061e00123456")

    @Test("every leaf of every tree of 1 to 300 leaves has a proof that verifies, and no corruption of it does")
    func everyInclusionProof() {
        let leaves = Self.leaves(300)
        let subtrees = MerkleTree.Subtrees(leaves[...])
        var checked = 0
        for size in 1...300 {
            let root = subtrees.hash(0, size)
            #expect(root == MerkleTree.rootHash(leaves[..<size]), "size \(size)")
            for index in 0..<size {
                let proof = subtrees.inclusionProof(index: index, size: size)
                let (i, n) = (UInt64(index), UInt64(size))
                #expect(MerkleTree.verifyInclusion(index: i, size: n, leafHash: leaves[index], proof: proof, root: root), "\(index) of \(size)")
                checked += 1
                // A sample of corruptions at every size (all of them for the small trees). A
                // size whose tree has the same path to the leaf (3 and 4 for leaf 0) gives the
                // same computation: the size is bound to its root by the signed checkpoint.
                guard size <= 40 || index % 37 == 0 || index == size - 1 else { continue }
                var wrong: [(String, UInt64, UInt64, [UInt8], [[UInt8]], [UInt8])] = [
                    ("index + 1", i + 1, n, leaves[index], proof, root), ("size * 2", i, n * 2, leaves[index], proof, root),
                    ("another leaf", i, n, Self.someHash, proof, root),
                    ("another root", i, n, leaves[index], proof, Self.someHash), ("a hash more", i, n, leaves[index], proof + [root], root),
                    ("a hash first", i, n, leaves[index], [root] + proof, root),
                ]
                if i > 0 { wrong.append(("index - 1", i - 1, n, leaves[index], proof, root)) }
                if n > 1 { wrong.append(("size / 2", i, n / 2, leaves[index], proof, root)) }
                if !proof.isEmpty { wrong.append(("a hash less", i, n, leaves[index], Array(proof.dropLast()), root)) }
                for position in proof.indices {
                    var flipped = proof
                    flipped[position][0] ^= 8
                    wrong.append(("proof[\(position)] changed", i, n, leaves[index], flipped, root))
                }
                for (what, index, size, leaf, proof, root) in wrong {
                    #expect(
                        !MerkleTree.verifyInclusion(index: index, size: size, leafHash: leaf, proof: proof, root: root),
                        "leaf \(i) of \(n): verified with \(what)")
                }
            }
        }
        #expect(checked == 300 * 301 / 2)
    }

    @Test("every pair of tree sizes up to 130 has a consistency proof that verifies, and no corruption of it does")
    func everyConsistencyProof() {
        let leaves = Self.leaves(130)
        let subtrees = MerkleTree.Subtrees(leaves[...])
        let roots = (0...130).map { subtrees.hash(0, $0) }
        for second in 1...130 {
            for first in 1...second {
                let proof = subtrees.consistencyProof(from: first, to: second)
                let (m, n) = (UInt64(first), UInt64(second))
                #expect(
                    MerkleTree.verifyConsistency(firstSize: m, secondSize: n, firstRoot: roots[first], secondRoot: roots[second], proof: proof),
                    "\(first) → \(second)")
                guard first < second, second <= 40 || first % 11 == 0 else { continue }
                var wrong: [(String, UInt64, UInt64, [UInt8], [UInt8], [[UInt8]])] = [
                    ("first + 1", m + 1, n, roots[first], roots[second], proof), ("second * 2", m, n * 2, roots[first], roots[second], proof),
                    ("another first root", m, n, Self.someHash, roots[second], proof),
                    ("another second root", m, n, roots[first], Self.someHash, proof),
                    ("roots swapped", m, n, roots[second], roots[first], proof), ("no proof", m, n, roots[first], roots[second], []),
                    ("a hash more", m, n, roots[first], roots[second], proof + [roots[second]]),
                    ("a hash first", m, n, roots[first], roots[second], [proof[0]] + proof),
                    ("a hash less", m, n, roots[first], roots[second], Array(proof.dropLast())),
                ]
                if m > 1 { wrong.append(("first - 1", m - 1, n, roots[first], roots[second], proof)) }
                if n / 2 > m { wrong.append(("second / 2", m, n / 2, roots[first], roots[second], proof)) }
                for position in proof.indices {
                    var flipped = proof
                    flipped[position][0] ^= 16
                    wrong.append(("proof[\(position)] changed", m, n, roots[first], roots[second], flipped))
                }
                for (what, first, second, firstRoot, secondRoot, proof) in wrong {
                    #expect(
                        !MerkleTree.verifyConsistency(firstSize: first, secondSize: second, firstRoot: firstRoot, secondRoot: secondRoot, proof: proof),
                        "\(m) → \(n): verified with \(what)")
                }
            }
        }
        // An empty tree is a prefix of any, with an empty proof; a later tree never of an earlier one.
        #expect(MerkleTree.verifyConsistency(firstSize: 0, secondSize: 5, firstRoot: MerkleTree.emptyRoot, secondRoot: roots[5], proof: []))
        #expect(!MerkleTree.verifyConsistency(firstSize: 5, secondSize: 4, firstRoot: roots[5], secondRoot: roots[4], proof: []))
    }
}
