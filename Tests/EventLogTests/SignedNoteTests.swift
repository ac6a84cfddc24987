import Crypto
import EventLog
import Foundation
import Testing

/// C2SP signed notes, checkpoints, cosignatures and tile paths, against the vectors
/// published with Go's golang.org/x/mod/sumdb/note and the C2SP specifications' own
/// examples.
@Suite("Signed notes, checkpoints and tiles (C2SP)")
struct SignedNoteTests {
    // golang.org/x/mod/sumdb/note, note_test.go and the package's documentation.
    static let goSigner = "PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz"
    static let goVerifier = "PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"
    static let goText = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n"
    static let goNote = goText + "\n— PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n"

    @Test("Go's published note: the key id, the verifier key, and the signature, byte for byte")
    func goVector() throws {
        let signer = try NoteSigner(signerKey: Self.goSigner)
        #expect(signer.key.keyId == 0xc74f_20a3)
        #expect(signer.key.verifierKey == Self.goVerifier)
        #expect(try signer.sign(Self.goText).serialized == Self.goNote, "Ed25519 is deterministic: the same bytes as Go's")
        let key = try NoteKey(verifierKey: Self.goVerifier)
        let note = try SignedNote(parsing: Self.goNote)
        #expect(note.text == Self.goText)
        try key.verify(note)
    }

    @Test("a changed text, signature, name or key id is refused, and signatures by other keys are ignored")
    func tamperingIsRefused() throws {
        let key = try NoteKey(verifierKey: Self.goVerifier)
        let changedText = Self.goNote.replacingOccurrences(of: "cryptography", with: "cryptographY")
        #expect(throws: NoteError.badSignature(keyName: "PeterNeumann")) { try key.verify(try SignedNote(parsing: changedText)) }
        var note = try SignedNote(parsing: Self.goNote)
        note.signatures[0].bytes[10] ^= 1
        #expect(throws: NoteError.badSignature(keyName: "PeterNeumann")) { try key.verify(note) }
        var renamed = try SignedNote(parsing: Self.goNote)
        renamed.signatures[0].keyName = "EnochRoot"
        #expect(throws: NoteError.notSignedByKnownKey(names: ["PeterNeumann"])) { try key.verify(renamed) }
        var otherId = try SignedNote(parsing: Self.goNote)
        otherId.signatures[0].keyId ^= 1
        #expect(throws: NoteError.notSignedByKnownKey(names: ["PeterNeumann"])) { try key.verify(otherId) }
        // Another key's signature beside a good one is ignored.
        let other = try NoteSigner(name: "example.com/other", kind: .ed25519, privateKey: .init())
        var both = try SignedNote(parsing: Self.goNote)
        both.signatures.insert(try other.signature(of: "something else\n"), at: 0)
        try key.verify(try SignedNote(parsing: both.serialized))
        // Manglings of the verifier key are refused.
        for bad in ["PeterNeumann+c74f20a4+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW", "PeterNeumann+c74f20a3", "+c74f20a3+ARpc",
                    "Peter Neumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW"] {
            #expect(throws: NoteError.self) { try NoteKey(verifierKey: bad) }
        }
        for bad in ["no blank line\n— a AAAAAAAA\n", "text\n\n", "text\n\n— a AAAA\n", "text\n\n- a AAAAAAAAAA==\n", "text\u{7}\n\n— a AAAAAAAAAA==\n"] {
            #expect(throws: NoteError.self, "\(bad)") { try SignedNote(parsing: bad) }
        }
    }

    @Test("a checkpoint is origin, size and base64 root; it parses back, and malformed ones are refused")
    func checkpoints() throws {
        // The example of c2sp.org/tlog-checkpoint.
        let example = "example.com/behind-the-sofa\n20852163\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let parsed = try Checkpoint(text: example)
        #expect(parsed.origin == "example.com/behind-the-sofa")
        #expect(parsed.size == 20_852_163)
        #expect(parsed.text == example)
        for bad in ["a\n012\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n", "a\n12\nCsUY\n", "a\n12\n", "a\n\n12\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"] {
            #expect(throws: NoteError.self, "\(bad)") { try Checkpoint(text: bad) }
        }
        let signer = try NoteSigner(name: "ansinh.example/nui-sam", kind: .ed25519, privateKey: .init())
        let checkpoint = Checkpoint(origin: "ansinh.example/nui-sam", size: 0, rootHash: MerkleTree.emptyRoot)
        let note = try signer.sign(checkpoint.text).serialized
        #expect(try Checkpoint.verified(note, key: signer.key).0 == checkpoint)
        let other = try NoteSigner(name: "ansinh.example/other", kind: .ed25519, privateKey: .init())
        #expect(throws: NoteError.malformed("the checkpoint's origin is ansinh.example/nui-sam, not ansinh.example/other")) {
            try Checkpoint.verified(try other.sign(checkpoint.text).serialized, key: other.key)
        }
    }

    @Test("a witness's cosignature (tlog-cosignature v1) signs its time and the checkpoint, and verifies only with both")
    func cosignatures() throws {
        let witness = try NoteSigner(name: "witness.example/mttq-an-giang", kind: .cosignature, privateKey: .init())
        #expect(witness.key.verifierKey.hasPrefix("witness.example/mttq-an-giang+"))
        #expect(try NoteKey(verifierKey: witness.key.verifierKey) == witness.key)
        let text = "ansinh.example/nui-sam\n5\nCsUYapGGPo4dkMgIAUqom/Xajj7h2fB2MPA3j2jxq2I=\n"
        let log = try NoteSigner(name: "ansinh.example/nui-sam", kind: .ed25519, privateKey: .init())
        var note = try log.sign(text)
        note.signatures.append(try witness.signature(of: text, time: 1_764_547_200))
        let parsed = try SignedNote(parsing: note.serialized)
        #expect(try witness.key.verify(parsed) == 1_764_547_200)
        try log.key.verify(parsed)
        var changedTime = parsed
        changedTime.signatures[1].bytes[7] ^= 1
        #expect(throws: NoteError.badSignature(keyName: witness.key.name)) { try witness.key.verify(changedTime) }
        // The same key as a log key (type 0x01) has another id: the cosignature is not its.
        let asLogKey = try NoteKey(name: witness.key.name, kind: .ed25519, publicKey: witness.key.publicKey)
        #expect(asLogKey.keyId != witness.key.keyId)
        #expect(throws: NoteError.notSignedByKnownKey(names: [witness.key.name])) { try asLogKey.verify(parsed) }
    }

    @Test("tile paths and the tiles of a tree follow c2sp.org/tlog-tiles' own examples")
    func tiles() {
        #expect(Tile(level: 0, index: 1_234_067, width: 256).path() == "tile/0/x001/x234/067")
        #expect(Tile(level: 2, index: 5, width: 17).path() == "tile/2/005.p/17")
        #expect(Tile(level: 0, index: 1000, width: 256).path(entries: true) == "tile/entries/x001/000")
        // "a tree of size 70,000 will be represented by 273 full level 0 tiles, one partial level 0 tile of
        // width 112, one full level 1 tile, one partial level 1 tile of width 17, and one partial level 2
        // tile of width 1"
        let tiles = Tile.tiles(forSize: 70_000)
        #expect(tiles.filter { $0.level == 0 && $0.width == 256 }.count == 273)
        #expect(tiles.filter { $0.level == 0 && $0.width < 256 } == [Tile(level: 0, index: 273, width: 112)])
        #expect(tiles.filter { $0.level == 1 } == [Tile(level: 1, index: 0, width: 256), Tile(level: 1, index: 1, width: 17)])
        #expect(tiles.filter { $0.level == 2 } == [Tile(level: 2, index: 0, width: 1)])
        #expect(tiles.count == 273 + 1 + 2 + 1)
        // "a tree of size 256 will be represented by a full level 0 tile and a partial level 1 tile of width 1"
        #expect(Tile.tiles(forSize: 256) == [Tile(level: 0, index: 0, width: 256), Tile(level: 1, index: 0, width: 1)])
        #expect(Tile.tiles(forSize: 0).isEmpty)
    }
}
