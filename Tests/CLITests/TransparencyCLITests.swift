import Foundation
import TestSupport
import Testing

/// The transparency log from the command line: checkpoints, proofs checked by ansinh and
/// by the independent Python checker, receipts, witnesses, and exports that stay
/// consistent as the log grows.
@Suite("The transparency log from the command line")
struct TransparencyCLITests {
    static let verifyExport = packageRoot.appendingPathComponent("tools/verify-export.py").path

    /// The demo ward with its signing key and public site.
    static func wardStore() throws -> StoreFolder {
        let store = try AuditCLITests.demoStore()
        let run = try store.run("keys", "init", "--origin", "congkhai.nuisam.example", "--public-url", "https://congkhai.nuisam.example")
        #expect(run.status == 0, "\(run.stderr)")
        return store
    }

    static func verifierKey(_ store: StoreFolder) throws -> String {
        let run = try store.run("keys", "show")
        return run.stdout.split(separator: "\n").first { $0.hasPrefix("Verifier key: ") }.map { String($0.dropFirst(14)) } ?? ""
    }

    /// Records `count` donations, each a new event.
    static func donate(_ store: StoreFolder, _ count: Int, from first: Int = 0) throws {
        for number in first..<(first + count) {
            let run = try store.run(
                "donate", "--fund", "vi-nguoi-ngheo", "--donor", "Công ty số \(number)", "--donor-kind", "business",
                "--amount", "\(100_000 + number)", "--date", "2025-01-10", "--receipt", "BN-\(number)")
            #expect(run.status == 0, "\(run.stderr)")
        }
    }

    static func write(_ text: String, _ path: String) throws {
        try Data(text.utf8).write(to: URL(fileURLWithPath: path))
    }

    static func json(_ text: String) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any]) ?? [:]
    }

    static func donationIds(_ store: StoreFolder) throws -> [String] {
        let run = try store.run("log", "--type", "DonationReceived", "--format", "json")
        let rows = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]]) ?? []
        return rows.compactMap { $0["eventId"] as? String }
    }

    @Test("proofs printed by ansinh verify with ansinh and with the Python checker; a changed hash, root or signature is refused")
    func proofsAndTampering() throws {
        let store = try Self.wardStore()
        let folder = store.path + "-proofs"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let id = try #require(try Self.donationIds(store).dropFirst(5).first)

        var run = try store.run("checkpoint")
        #expect(run.status == 0, "\(run.stderr)")
        let checkpoint = run.stdout
        #expect(checkpoint.hasPrefix("congkhai.nuisam.example\n2292\n"), "\(checkpoint)")
        #expect(checkpoint.contains("\n\n— congkhai.nuisam.example "), "\(checkpoint)")
        try Self.write(checkpoint, folder + "/checkpoint")

        run = try store.run("prove", "inclusion", id, "--size", "1000", "--format", "json")
        #expect(run.status == 0, "\(run.stderr)")
        let inclusion = Self.json(run.stdout)
        for field in ["leafIndex", "treeSize", "rootHash", "proof"] { #expect(inclusion[field] != nil, "\(field): \(run.stdout)") }
        #expect(inclusion["treeSize"] as? Int == 1000)
        try Self.write(run.stdout, folder + "/inclusion.json")
        run = try store.run("prove", "consistency", "--from", "1000", "--format", "json")
        let consistency = Self.json(run.stdout)
        for field in ["fromSize", "toSize", "fromRoot", "toRoot", "proof"] { #expect(consistency[field] != nil, "\(field): \(run.stdout)") }
        #expect(consistency["toSize"] as? Int == 2292)
        #expect(consistency["fromRoot"] as? String == inclusion["rootHash"] as? String)
        try Self.write(run.stdout, folder + "/consistency.json")

        // Both hold to their published schemas (Python's jsonschema, independent of ansinh).
        let schemas = packageRoot.appendingPathComponent("Schemas").path
        let validate = try python([
            "-c",
            "import json, sys, jsonschema\n"
                + "for schema, proof in ((sys.argv[1], sys.argv[2]), (sys.argv[3], sys.argv[4])):\n"
                + "    jsonschema.Draft202012Validator(json.load(open(schema))).validate(json.load(open(proof)))\n"
                + "print('valid')",
            schemas + "/inclusion-proof.v1.schema.json", folder + "/inclusion.json",
            schemas + "/consistency-proof.v1.schema.json", folder + "/consistency.json",
        ])
        #expect(validate.status == 0 && validate.output.contains("valid"), "\(validate.output)")

        let key = try Self.verifierKey(store)
        let verify = { (arguments: [String]) throws -> Run in
            try ansinh(["verify-proof", "--checkpoint", folder + "/checkpoint", "--key", key] + arguments)
        }
        run = try verify([folder + "/inclusion.json", folder + "/consistency.json"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("ok: inclusion: event \(id)"), "\(run.stdout)")
        // Alone, a proof at 1000 is not anchored to the checkpoint of 2292.
        run = try verify([folder + "/inclusion.json"])
        #expect(run.status == 1 && run.stderr.contains("give a consistency proof from 1000"), "\(run.stderr)")
        // The Python checker, on an export of the same log.
        let export = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: export) }
        #expect(try store.run("export", "--out", export).status == 0)
        var check = try python([Self.verifyExport, export, "--inclusion", folder + "/inclusion.json", "--consistency", folder + "/consistency.json"])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("checkpoint size 2292"), "\(check.output)")

        // Tampered: a hash of the path, the root, the leaf, the checkpoint's root or its signature.
        let inclusionText = try String(contentsOfFile: folder + "/inclusion.json", encoding: .utf8)
        let proofHash = try #require((inclusion["proof"] as? [String])?.first)
        let tampered: [(String, String)] = [
            ("a hash of the path", inclusionText.replacingOccurrences(of: proofHash, with: String(proofHash.reversed()))),
            ("the root", inclusionText.replacingOccurrences(of: inclusion["rootHash"] as! String, with: String(repeating: "ab", count: 32))),
            ("the leaf", inclusionText.replacingOccurrences(of: inclusion["entry"] as! String, with: String(repeating: "cd", count: 32))),
        ]
        for (what, text) in tampered {
            try Self.write(text, folder + "/tampered.json")
            run = try verify([folder + "/tampered.json", folder + "/consistency.json"])
            #expect(run.status == 1, "\(what): \(run.stdout) \(run.stderr)")
            check = try python([Self.verifyExport, export, "--inclusion", folder + "/tampered.json", "--consistency", folder + "/consistency.json"])
            #expect(check.status == 1, "\(what): \(check.output)")
        }
        let lines = checkpoint.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        var otherRoot = lines
        otherRoot[2] = Data(repeating: 7, count: 32).base64EncodedString()
        // One bit of the signature flipped, its length kept.
        var badSignature = lines
        let signatureLine = badSignature[4].split(separator: " ")
        var signatureBytes = [UInt8](try #require(Data(base64Encoded: String(signatureLine[2]))))
        #expect(signatureBytes.count == 68)
        signatureBytes[40] ^= 0x01
        badSignature[4] = "— \(signatureLine[1]) \(Data(signatureBytes).base64EncodedString())"
        for (what, note) in [("another root", otherRoot), ("a changed signature", badSignature)] {
            try Self.write(note.joined(separator: "\n"), folder + "/tampered-checkpoint")
            run = try ansinh(["verify-proof", "--checkpoint", folder + "/tampered-checkpoint", "--key", key, folder + "/consistency.json"])
            #expect(run.status == 1 && run.stderr.contains("the checkpoint does not verify"), "\(what): \(run.stderr)")
        }
        // A checkpoint signed by another key is refused too.
        let other = try AuditCLITests.demoStore()
        #expect(try other.run("keys", "init", "--origin", "congkhai.nuisam.example").status == 0)
        try Self.write(try other.run("checkpoint").stdout, folder + "/other-checkpoint")
        run = try ansinh(["verify-proof", "--checkpoint", folder + "/other-checkpoint", "--key", key])
        #expect(run.status == 1, "\(run.stderr)")
    }

    @Test("an export, more entries, a later incremental export: the later checkpoint extends the earlier, a receipt's proof holds against it")
    func consistencyAcrossExports() throws {
        let store = try Self.wardStore()
        let folder = store.path + "-exports"
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: folder) }
        #expect(try store.run("export", "--out", folder + "/first").status == 0)
        let id = try #require(try Self.donationIds(store).last)
        var run = try store.run("receipt", id, "--out", folder + "/receipt.html")
        #expect(run.status == 0, "\(run.stderr)")

        try Self.donate(store, 300)
        run = try store.run("export", "--incremental", "--out", folder + "/second")
        #expect(run.status == 0, "\(run.stderr)")
        let manifest = Self.json(try String(contentsOfFile: folder + "/second/manifest.json", encoding: .utf8))
        #expect(manifest["treeSize"] as? Int == 2592 && manifest["fromPosition"] as? Int == 2293, "\(manifest)")
        // Every tile of the tree of 2592 leaves: 10 full and a partial at level 0, a partial at level 1.
        for path in ["tile/0/000", "tile/0/009", "tile/0/010.p/32", "tile/1/000.p/10", "tile/entries/010.p/32"] {
            #expect(FileManager.default.fileExists(atPath: folder + "/second/" + path), "\(path)")
        }
        let publicKey = try String(contentsOfFile: store.path + "/signing.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var check = try python([Self.verifyExport, folder + "/second", "--previous", folder + "/first", "--public-key", publicKey])
        #expect(check.status == 0, "\(check.output)")
        #expect(check.output.contains("consistent with 1 earlier checkpoint"), "\(check.output)")

        // The receipt's proof (in the tree of 2292), carried to the later checkpoint by a consistency proof.
        let html = try String(contentsOfFile: folder + "/receipt.html", encoding: .utf8)
        let proofJSON = try #require(html.firstMatch(of: /<script type="application\/json" id="proof">([^<]*)<\/script>/)?.output.1)
        try Self.write(String(proofJSON), folder + "/receipt-proof.json")
        #expect(Self.json(String(proofJSON))["treeSize"] as? Int == 2292)
        run = try store.run("prove", "consistency", "--from", "2292", "--format", "json")
        try Self.write(run.stdout, folder + "/consistency.json")
        run = try ansinh([
            "verify-proof", "--checkpoint", folder + "/second/checkpoint", "--key", publicKey, folder + "/receipt-proof.json",
            folder + "/consistency.json",
        ])
        #expect(run.status == 0 && run.stdout.contains("ok: inclusion: event \(id)"), "\(run.stdout) \(run.stderr)")
        check = try python([
            Self.verifyExport, folder + "/second", "--previous", folder + "/first", "--inclusion", folder + "/receipt-proof.json",
        ])
        #expect(check.status == 0, "\(check.output)")

    }

    @Test("an export of another history (the same key, other entries after the last published head) is refused against the published one")
    func rewrittenHistoryIsRefused() throws {
        let store = try Self.wardStore()
        let fork = StoreFolder()
        try FileManager.default.copyItem(atPath: store.path, toPath: fork.path)
        try Self.donate(store, 2)
        try Self.donate(fork, 2, from: 50)
        let published = store.path + "-published", rewritten = fork.path + "-rewritten"
        defer { for folder in [published, rewritten] { try? FileManager.default.removeItem(atPath: folder) } }
        #expect(try store.run("export", "--out", published).status == 0)
        #expect(try fork.run("export", "--out", rewritten).status == 0)
        let publicKey = try String(contentsOfFile: store.path + "/signing.pub", encoding: .utf8).trimmingCharacters(in: .whitespacesAndNewlines)
        var check = try python([Self.verifyExport, rewritten, "--public-key", publicKey])
        #expect(check.status == 0, "alone, each export checks out: \(check.output)")
        check = try python([Self.verifyExport, rewritten, "--previous", published, "--public-key", publicKey])
        #expect(check.status == 1 && check.output.contains("the history was rewritten"), "\(check.output)")
        // ansinh agrees: the fork's consistency proof does not carry the published tree to its checkpoint.
        let run = try fork.run("prove", "consistency", "--from", "2294", "--format", "json")
        let proof = Self.json(run.stdout)
        let publishedRoot = Self.json(try String(contentsOfFile: published + "/manifest.json", encoding: .utf8))["rootHash"] as? String
        #expect(proof["fromRoot"] as? String != publishedRoot, "the fork's tree of 2294 is not the published one")
    }

    @Test("a receipt in Vietnamese, its QR code read back by zbarimg as the look-up address")
    func receipt() throws {
        let store = try Self.wardStore()
        let id = try #require(try Self.donationIds(store).first)
        var run = try store.run("receipt", id)
        #expect(run.status == 0, "\(run.stderr)")
        for text in ["BIÊN NHẬN ĐÓNG GÓP", "Phường Núi Sam, An Giang", "Số tiền: ", " đ\n", "Mã sự kiện: \(id)", "Ngày nhận: ", "Số biên nhận: ",
                     "https://congkhai.nuisam.example/tra-cuu/#\(id)", "█"] {
            #expect(run.stdout.contains(text), "\(text): \(run.stdout)")
        }
        let out = store.path + "-receipt.html"
        defer { try? FileManager.default.removeItem(atPath: out) }
        run = try store.run("receipt", id, "--out", out)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try store.run("receipt", id, "--out", out).status == 65, "an existing file is kept")
        let html = try String(contentsOfFile: out, encoding: .utf8)
        // The SVG's modules, drawn 8 pixels each into a PBM image, for zbarimg.
        let svg = try #require(html.firstMatch(of: /viewBox="0 0 (\d+) \d+"/))
        let side = try #require(Int(svg.output.1))
        var dark = Set<Int>()
        for match in html.matches(of: /<rect x="(\d+)" y="(\d+)" width="1" height="1"\/>/) {
            dark.insert(Int(match.output.2)! * side + Int(match.output.1)!)
        }
        #expect(dark.count > 100)
        let scale = 8
        var pbm = "P1\n\(side * scale) \(side * scale)\n"
        for y in 0..<(side * scale) {
            pbm += (0..<(side * scale)).map { dark.contains((y / scale) * side + $0 / scale) ? "1" : "0" }.joined(separator: " ") + "\n"
        }
        let image = store.path + "-qr.pbm"
        defer { try? FileManager.default.removeItem(atPath: image) }
        try Self.write(pbm, image)
        let decoded = try runProcess("/usr/bin/env", ["zbarimg", "--raw", "-q", image])
        #expect(decoded.status == 0, "\(decoded.output)")
        #expect(decoded.output.split(separator: "\n").contains("https://congkhai.nuisam.example/tra-cuu/#\(id)"), "\(decoded.output)")
        // A disbursement has no receipt; a ward without a public site is told how to set it.
        let other = try AuditCLITests.demoStore()
        #expect(try other.run("keys", "init").status == 0)
        run = try other.run("receipt", id)
        #expect(run.status == 64 && run.stderr.contains("ansinh keys public-url"), "\(run.stderr)")
    }

    @Test("a witness cosigns checkpoints that extend the last one it saw, and refuses a split view, keeping the evidence")
    func witness() throws {
        let store = try Self.wardStore()
        let folder = store.path + "-witness"
        defer { try? FileManager.default.removeItem(atPath: folder) }
        var run = try ansinh(["witness", "init", "--dir", folder, "--name", "mttq.an-giang.example/witness"])
        #expect(run.status == 0, "\(run.stderr)")
        let witnessKey = try #require(run.stdout.split(separator: "\n").last.map(String.init))
        #expect(witnessKey.hasPrefix("mttq.an-giang.example/witness+"))
        let request = { (old: Int, size: Int?) throws -> String in
            let run = try ansinh(["checkpoint", "--old", "\(old)", "--store", store.path] + (size.map { ["--size", "\($0)"] } ?? []))
            #expect(run.status == 0, "\(run.stderr)")
            return run.stdout
        }
        let addCheckpoint = { (body: String) throws -> Run in
            try ansinh(["witness", "add-checkpoint", "--dir", folder], input: Data(body.utf8))
        }
        // Not following the ward yet: refused.
        run = try addCheckpoint(try request(0, 1000))
        #expect(run.status == 65 && run.stderr.contains("does not follow the log congkhai.nuisam.example"), "\(run.stderr)")
        #expect(try ansinh(["witness", "trust", "--dir", folder, try Self.verifierKey(store)]).status == 0)
        run = try addCheckpoint(try request(0, 1000))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("— mttq.an-giang.example/witness "), "\(run.stdout)")
        // Requests that are not ones: an old size past the checkpoint's, a proof from nothing, a
        // proof line that is not a hash. Refused, and nothing changes.
        let request2000 = try request(1000, 2000)
        run = try addCheckpoint(request2000.replacingOccurrences(of: "old 1000\n", with: "old 2001\n"))
        #expect(run.status == 65 && run.stderr.contains("larger than the checkpoint's"), "\(run.stderr)")
        run = try addCheckpoint(try request(1000, 2000).replacingOccurrences(of: "old 1000\n", with: "old 0\n"))
        #expect(run.status == 73 && run.stdout == "1000\n", "the witness says the size it cosigned: \(run.stdout) \(run.stderr)")
        let fresh = store.path + "-witness-fresh"
        defer { try? FileManager.default.removeItem(atPath: fresh) }
        #expect(try ansinh(["witness", "init", "--dir", fresh, "--name", "fresh.example/w"]).status == 0)
        #expect(try ansinh(["witness", "trust", "--dir", fresh, try Self.verifierKey(store)]).status == 0)
        run = try ansinh(["witness", "add-checkpoint", "--dir", fresh], input: Data(request2000.replacingOccurrences(of: "old 1000\n", with: "old 0\n").utf8))
        #expect(run.status == 73 && run.stderr.contains("the old size is 0, so the consistency proof must be empty"), "\(run.stderr)")
        let badLine = request2000.split(separator: "\n", maxSplits: 2).map(String.init)
        run = try addCheckpoint(badLine[0] + "\nnot-a-hash\n" + badLine[2])
        #expect(run.status == 65 && run.stderr.contains("is not a 32-byte hash in base64"), "\(run.stderr)")
        #expect(try ansinh(["witness", "show", "--dir", folder]).stdout.contains("cosigned size 1000"))
        // A request from an old size the witness did not cosign last: told the size, asked again.
        run = try addCheckpoint(try request(0, nil))
        #expect(run.status == 73 && run.stdout == "1000\n", "\(run.stdout) \(run.stderr)")
        try Self.donate(store, 3)
        run = try addCheckpoint(try request(1000, nil))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try ansinh(["witness", "show", "--dir", folder]).stdout.contains("congkhai.nuisam.example: cosigned size 2295"))

        // A fork: the same key, another history after position 2295. The ward shows the fork to
        // the witness, with a proof computed in the fork: it does not extend what the witness saw.
        let fork = StoreFolder()
        try FileManager.default.copyItem(atPath: store.path, toPath: fork.path)
        try Self.donate(store, 2, from: 10)
        run = try addCheckpoint(try request(2295, nil))
        #expect(run.status == 0, "\(run.stderr)")
        try Self.donate(fork, 4, from: 20)
        var forked = try fork.run("checkpoint", "--old", "2297")
        run = try addCheckpoint(forked.stdout)
        #expect(run.status == 73 && run.stderr.contains("split view") && run.stderr.contains("consistency proof"), "\(run.stderr)")
        // The fork's checkpoint at the size the witness cosigned: another root, refused too.
        forked = try fork.run("checkpoint", "--old", "2297", "--size", "2297")
        run = try addCheckpoint(forked.stdout)
        #expect(run.status == 73 && run.stderr.contains("split view") && run.stderr.contains("another root hash"), "\(run.stderr)")
        let evidence = try FileManager.default.subpathsOfDirectory(atPath: folder + "/logs").filter { $0.contains("refused/") }
        #expect(evidence.count == 2, "the refused requests are kept: \(evidence)")
        #expect(try ansinh(["witness", "show", "--dir", folder]).stdout.contains("cosigned size 2297"))
        // A request whose signature is not the ward's.
        let stranger = try AuditCLITests.demoStore()
        #expect(try stranger.run("keys", "init", "--origin", "congkhai.nuisam.example").status == 0)
        run = try addCheckpoint(try stranger.run("checkpoint", "--old", "2292").stdout)
        #expect(run.status == 65 && run.stderr.contains("not signed by the key of congkhai.nuisam.example"), "\(run.stderr)")
    }

    @Test("the nightly job asks its witnesses to cosign, and holds each night's checkpoint to extend the last night's")
    func nightlyWitnesses() throws {
        let store = try Self.wardStore()
        let archive = store.path + "-archive"
        let witnesses = [store.path + "-witness-mttq", store.path + "-witness-bao"]
        defer { for folder in [archive] + witnesses { try? FileManager.default.removeItem(atPath: folder) } }
        var keys: [String] = []
        for (folder, name) in zip(witnesses, ["mttq.an-giang.example/witness", "bao-an-giang.example/witness"]) {
            let run = try ansinh(["witness", "init", "--dir", folder, "--name", name])
            keys.append(String(run.stdout.split(separator: "\n").last ?? ""))
            #expect(try ansinh(["witness", "trust", "--dir", folder, try Self.verifierKey(store)]).status == 0)
        }
        var environment = [
            "PATH": ansinhExecutable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "ANSINH_STORE": store.path, "ANSINH_ARCHIVE": archive, "ANSINH_WITNESSES": witnesses.joined(separator: " "),
            "ANSINH_TEST_TODAY": "2025-01-15",
        ]
        let job = packageRoot.appendingPathComponent("tools/nightly-export.sh").path
        var (status, log) = try runProcess("/bin/bash", [job], environment: environment)
        #expect(status == 0, "\(log)")
        let first = archive + "/2025-01-15/export"
        var witnessed = try String(contentsOfFile: first + "/checkpoint.witnessed", encoding: .utf8)
        #expect(witnessed.components(separatedBy: "\n— ").count == 4, "the ward's signature and two cosignatures: \(witnessed)")
        var check = try python([Self.verifyExport, first, "--witness-key", keys[0], "--witness-key", keys[1]])
        #expect(check.status == 0 && check.output.contains("2 witnesses cosigned it"), "\(check.output)")

        try Self.donate(store, 4)
        environment["ANSINH_TEST_TODAY"] = "2025-01-16"
        (status, log) = try runProcess("/bin/bash", [job], environment: environment)
        #expect(status == 0, "\(log)")
        let second = archive + "/2025-01-16/export"
        #expect(try String(contentsOfFile: archive + "/2025-01-16/verify.log", encoding: .utf8).contains("consistent with 1 earlier checkpoint"))
        witnessed = try String(contentsOfFile: second + "/checkpoint.witnessed", encoding: .utf8)
        #expect(witnessed.hasPrefix("congkhai.nuisam.example\n2296\n"), "\(witnessed)")
        check = try python([Self.verifyExport, second, "--previous", first, "--witness-key", keys[0], "--witness-key", keys[1]])
        #expect(check.status == 0, "\(check.output)")
        // The site is published beside each export, keeping every night's checkpoint.
        #expect(FileManager.default.fileExists(atPath: archive + "/2025-01-16/site/index.html"))
        let kept = try FileManager.default.contentsOfDirectory(atPath: archive + "/2025-01-16/site/diem-kiem").sorted()
        #expect(kept == ["2025-01-15", "2025-01-15.witnessed", "2025-01-16", "2025-01-16.witnessed"], "\(kept)")
        #expect(
            try String(contentsOfFile: archive + "/2025-01-16/site/diem-kiem/2025-01-15", encoding: .utf8)
                == String(contentsOfFile: first + "/checkpoint", encoding: .utf8))
        // A changed cosignature is refused by the checker.
        var lines = witnessed.split(separator: "\n").map(String.init)
        lines[lines.count - 1] = String(lines[lines.count - 1].dropLast(8)) + "AAAAAAA="
        try Self.write(lines.joined(separator: "\n") + "\n", second + "/checkpoint.witnessed")
        check = try python([Self.verifyExport, second, "--witness-key", keys[1]])
        #expect(check.status == 1, "\(check.output)")
    }
}
