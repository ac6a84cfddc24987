import EventLog
import Foundation
import Testing

/// ansinh's Merkle tree against an implementation written separately from RFC 9162's
/// text, in Python (`tools/rfc9162.py`), the one the export's verifier builds on: the
/// same roots, the same proofs, each proof verified by the other's algorithm.
@Suite("The Merkle tree against an independent implementation")
struct MerkleCrossCheckTests {
    static func cases(leafCount: Int) -> [String: Any] {
        let leaves = (0..<leafCount).map { MerkleTree.leafHash(Array("sự kiện \($0)".utf8)) }
        let subtrees = MerkleTree.Subtrees(leaves[...])
        var inclusion: [[Any]] = []
        var consistency: [[Any]] = []
        for size in 1...leafCount {
            for index in 0..<size { inclusion.append([index, size, subtrees.inclusionProof(index: index, size: size).map { hex($0) }]) }
            for first in 1...size { consistency.append([first, size, subtrees.consistencyProof(from: first, to: size).map { hex($0) }]) }
        }
        return [
            "leaves": leaves.map { hex($0) }, "roots": (0...leafCount).map { hex(subtrees.hash(0, $0)) }, "inclusion": inclusion,
            "consistency": consistency,
        ]
    }

    static func crossCheck(_ cases: [String: Any]) throws -> (status: Int32, output: String) {
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-merkle-\(UUID().uuidString.prefix(8)).json")
        defer { try? FileManager.default.removeItem(at: file) }
        try JSONSerialization.data(withJSONObject: cases).write(to: file)
        let script = packageRoot.appendingPathComponent("tools/rfc9162.py").path
        return try runProcess("/bin/bash", ["-c", "python3 '\(script)' cross-check < '\(file.path)'"])
    }

    @Test("every root, inclusion proof and consistency proof of trees up to 64 leaves is the one Python makes, and verifies there")
    func sameAsPython() throws {
        let (status, output) = try Self.crossCheck(Self.cases(leafCount: 64))
        // 65 roots, 2 080 inclusion proofs, 2 080 consistency proofs.
        #expect(status == 0 && output == "ok 4225\n", "\(output)")
    }

    @Test("a changed proof is named by the other implementation")
    func changedProof() throws {
        var cases = Self.cases(leafCount: 9)
        var inclusion = cases["inclusion"] as! [[Any]]
        var proof = inclusion[20][2] as! [String]
        proof[0] = String(proof[0].reversed())
        inclusion[20][2] = proof
        cases["inclusion"] = inclusion
        let (status, output) = try Self.crossCheck(cases)
        #expect(status == 1 && output.hasPrefix("the inclusion proof of leaf \(inclusion[20][0]) in \(inclusion[20][1]) differs"), "\(output)")
    }

    @Test("the Python checker's C2SP half passes the published vectors: Go's signed note, tlog-tiles' examples, Sigsum's cosignatures")
    func tlogSelfTest() throws {
        let (status, output) = try python([packageRoot.appendingPathComponent("tools/tlog.py").path, "self-test"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("ok: tlog self-test") && !output.contains("formats only"), "signatures checked too: \(output)")
    }
}
