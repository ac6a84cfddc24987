import Foundation
import TestSupport
import Testing

@Suite("The ansinh command line", .serialized)
struct CLITests {
    static let subcommands: [[String]] = [
        ["init"], ["demo"], ["fund"], ["fund", "open"], ["fund", "show"], ["member"], ["member", "enrol"], ["member", "leave"],
        ["member", "history"], ["pledge", "make"], ["pledge", "cancel"], ["donate"], ["piggybank", "start"],
        ["piggybank", "close"], ["piggybank", "summary"], ["deposit"], ["disburse"], ["external", "record"], ["reverse"],
        ["import"], ["funds"], ["members"], ["cells"], ["report"], ["log"], ["status"], ["projections", "rebuild"], ["period", "close"], ["periods"], ["audit", "replay"],
    ]

    @Test("--help for the command and every subcommand")
    func help() throws {
        let root = try ansinh(["--help"])
        #expect(root.status == 0)
        for name in ["init", "demo", "fund", "donate", "disburse", "import", "funds", "report", "status", "Exit status"] {
            #expect(root.stdout.contains(name), "\(name) missing from --help")
        }
        for command in Self.subcommands {
            let run = try ansinh(command + ["--help"])
            #expect(run.status == 0, "\(command)")
            #expect(run.stdout.contains("USAGE: ansinh \(command.joined(separator: " "))"), "\(command): \(run.stdout.prefix(200))")
            #expect(run.stdout.contains("OVERVIEW") || run.stdout.contains("SUBCOMMANDS"), "\(command)")
        }
    }

    @Test("a missing store says how to create one; init refuses an existing store")
    func missingStore() throws {
        let folder = StoreFolder()
        let run = try folder.run("funds")
        #expect(run.status == 74)
        #expect(run.stderr == "ansinh: no store at \(folder.path); create one with `ansinh init --ward NAME --province NAME` (and --store PATH for another place)\n")
        #expect(!FileManager.default.fileExists(atPath: folder.path))
        let created = try StoreFolder.initialised()
        let again = try ansinh(["init", "--ward", "X", "--province", "Y", "--store", created.path])
        #expect(again.status == 73)
        #expect(again.stderr.hasPrefix("ansinh: a store already exists at"))
    }

    @Test("the store comes from --store, else $ANSINH_STORE, else ./ansinh-data")
    func storeResolution() throws {
        let folder = StoreFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let created = try ansinh(["init", "--ward", "Núi Sam", "--province", "An Giang"], in: folder.path)
        #expect(created.status == 0)
        #expect(FileManager.default.fileExists(atPath: folder.path + "/ansinh-data/data.mdb"))
        let viaEnvironment = try ansinh(["status"], environment: ["ANSINH_STORE": folder.path + "/ansinh-data"])
        #expect(viaEnvironment.status == 0)
        #expect(viaEnvironment.stdout.contains("phường Núi Sam, An Giang"))
    }

    @Test("recording prints position, event id and balance; retries change nothing; refusals exit non-zero")
    func recording() throws {
        let store = try StoreFolder.initialised()
        var run = try store.run("fund", "open", "vi-nguoi-ngheo", "--name", "Quỹ “Vì người nghèo”", "--date", "2024-01-01")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Recorded FundOpened at position 1 (event "))
        run = try store.run(
            "donate", "--fund", "vi-nguoi-ngheo", "--donor", "Chùa Tây An", "--donor-kind", "religiousBody", "--amount", "57.248.000",
            "--date", "2024-02-01")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Fund vi-nguoi-ngheo balance: 57.248.000 đ"))
        let id = "6f1c2a3b-4d5e-4f60-8a7b-9c0d1e2f3a4b"
        let disburse = [
            "disburse", "d-1", "--fund", "vi-nguoi-ngheo", "--purpose", "healthInsurance", "--beneficiary", "Hộ bà Lê Thị Mai",
            "--beneficiary-kind", "poorHousehold", "--amount", "50752000", "--quantity", "93", "--date", "2024-03-01", "--event-id", id,
        ]
        run = try ansinh(disburse + ["--store", store.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "Recorded DisbursementMade at position 3 (event \(id)).\nFund vi-nguoi-ngheo balance: 6.496.000 đ\n")
        run = try ansinh(disburse + ["--store", store.path])
        #expect(run.status == 0)
        #expect(run.stdout.hasPrefix("Already recorded: DisbursementMade at position 3 (event \(id)); nothing written."))
        run = try store.run(
            "disburse", "d-2", "--fund", "vi-nguoi-ngheo", "--purpose", "housing", "--beneficiary", "Hộ ông Tư",
            "--beneficiary-kind", "poorHousehold", "--amount", "50.000.000", "--date", "2024-03-02")
        #expect(run.status == 65)
        #expect(
            run.stderr
                == "ansinh: fund vi-nguoi-ngheo has 6.496.000 đ on 2024-03-02, less than the 50.000.000 đ asked: its balance would go below 0 on that date\n")
        run = try store.run("fund", "open", "vi-nguoi-ngheo", "--name", "Again", "--date", "2024-01-01")
        #expect(run.status == 73)
        #expect(run.stderr == "ansinh: fund vi-nguoi-ngheo already exists\n")
        run = try store.run("donate", "--fund", "vi-nguoi-ngheo", "--donor", "X", "--donor-kind", "alien", "--amount", "5")
        #expect(run.status == 64)
        run = try store.run("member", "enrol", "dv-1", "--name", "A", "--cell", "B", "--date", "2024-02-30")
        #expect(run.status == 64)
        run = try store.run("status", "--format", "json")
        let status = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        #expect(status["headPosition"] as? Int == 3)
        #expect((status["eventsByType"] as! [String: Int])["DisbursementMade"] == 1)
    }

    @Test("import: all or nothing, the bad line named, re-import without effect, stdin, quiet when piped")
    func importFiles() throws {
        let store = try StoreFolder.initialised()
        let good = """
            {"type":"FundOpened","data":{"fundId":"q","name":"Quỹ Q","openedOn":"2024-01-01"},"eventId":"00000000-0000-4000-8000-000000000001"}
            {"type":"DonationReceived","data":{"fundId":"q","donor":{"name":"A, \\"B\\"","kind":"individual"},"amount":5000,"receivedOn":"2024-02-01"},"eventId":"00000000-0000-4000-8000-000000000002"}

            """
        let bad = good + #"{"type":"DisbursementMade","data":{"disbursementId":"d","fundId":"q","purpose":"gift","beneficiary":{"name":"H","kind":"poorHousehold"},"amount":0,"quantity":1,"disbursedOn":"2024-03-01"}}"# + "\n"
        let file = store.path + "-import.jsonl"
        defer { try? FileManager.default.removeItem(atPath: file) }
        try Data(bad.utf8).write(to: URL(fileURLWithPath: file))
        var run = try store.run("import", file)
        #expect(run.status == 65)
        #expect(run.stderr == "ansinh: line 3: DisbursementMade.amount: must be > 0\n")
        #expect(try store.run("status", "--format", "json").stdout.contains("\"headPosition\": 0"))
        run = try store.run("import", "-", input: Data(good.utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "Imported 2 events: 2 recorded; head position 2.\n")
        #expect(run.stderr.isEmpty, "no progress bar when not on a terminal")
        run = try store.run("import", "-", input: Data(good.utf8))
        #expect(run.stdout == "Imported 2 events: 0 recorded, 2 already recorded.\n")
        run = try store.run("import", store.path + "-missing.jsonl")
        #expect(run.status == 65)
        // A line that opens a fund that exists is a conflict, not bad input.
        run = try store.run("import", "-", input: Data(#"{"type":"FundOpened","data":{"fundId":"q","name":"Again","openedOn":"2024-01-01"}}"#.utf8))
        #expect(run.status == 73)
        #expect(run.stderr == "ansinh: line 1: FundOpened: fund q already exists\n")
    }

    @Test("queries print tables, JSON and CSV that parse back")
    func queryFormats() throws {
        let store = try StoreFolder.initialised()
        _ = try store.run("fund", "open", "q", "--name", "Quỹ \"Khuyến học, Khuyến tài\"", "--date", "2024-01-01", "--opening-balance", "211300000")
        _ = try store.run("donate", "--fund", "q", "--donor", "Ông Nguyễn Văn Ấn", "--donor-kind", "individual", "--amount", "400000000", "--date", "2024-08-16")
        var run = try store.run("funds", "--format", "json")
        #expect(run.status == 0)
        let funds = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [[String: Any]]
        #expect(funds.count == 1)
        #expect(funds[0]["fundId"] as? String == "q")
        #expect(funds[0]["name"] as? String == "Quỹ \"Khuyến học, Khuyến tài\"")
        #expect(funds[0]["received"] as? Int == 400_000_000)
        #expect(funds[0]["disbursed"] as? Int == 0)
        #expect(funds[0]["balance"] as? Int == 611_300_000)
        run = try store.run("funds", "--format", "csv")
        let lines = run.stdout.components(separatedBy: "\r\n")
        #expect(lines[0] == "fundId,name,openingBalance,received,pledged,outstandingPledges,disbursed,balance")
        #expect(lines[1] == #"q,"Quỹ ""Khuyến học, Khuyến tài""",211300000,400000000,0,0,0,611300000"#)
        run = try store.run("funds", "--format", "csv", "--excel")
        #expect(run.stdout.utf8.starts(with: [0xEF, 0xBB, 0xBF]))
        #expect(try store.run("funds", "--excel").status == 64)
        run = try store.run("funds")
        let table = run.stdout.split(separator: "\n").map(String.init)
        #expect(table.count == 3)
        #expect(table[2].contains("611.300.000 đ"))
        // Columns line up by what a terminal shows, diacritics and all.
        let balanceColumn = table.map { displayColumns($0) }
        #expect(Set(balanceColumn).count == 1, "\(table)")
        run = try store.run("fund", "show", "q", "--format", "json")
        let register = (try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any])["register"] as! [[String: Any]]
        #expect(register.map { $0["balance"] as! Int } == [211_300_000, 611_300_000])
        #expect(register.map { $0["recordedBy"] as! String } == ["lan", "lan"])
        run = try store.run("log", "--type", "DonationReceived", "--format", "json")
        let events = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [[String: Any]]
        #expect(events.count == 1)
        #expect((events[0]["data"] as! [String: Any])["amount"] as? Int == 400_000_000)
        #expect(try store.run("fund", "show", "nope").status == 65)
    }

    @Test("the demo loads the ward's figures and prints the report and the piggy-bank summary; again, it changes nothing")
    func demo() throws {
        let store = StoreFolder()
        var run = try ansinh(["demo", "--store", store.path], in: packageRoot.path)
        #expect(run.status == 0, "\(run.stderr)")
        for figure in [
            "624.845.000 đồng", "02 căn nhà với số tiền 100.000.000 đồng", "tặng quà 1.507 lượt với số tiền 416.845.000 đồng",
            "cấp phát 93 thẻ BHYT với số tiền 50.752.000 đồng", "Số dư cuối kỳ: 57.248.000 đồng", "24.500.000 đồng",
            "tặng quà 76 lượt", "nâng tổng quỹ 611.300.000 đồng", "133.251.000", "3.480.000", "78.430.000", "20.900.000",
            "240.000.000", "Members enrolled:     120, saving: 117", "Collected:            26.043.000 đ",
            "Expected at target:   22.949.000 đ",
        ] {
            #expect(run.stdout.contains(figure), "\(figure) missing from the demo")
        }
        let first = run.stdout
        run = try ansinh(["demo", "--store", store.path], in: packageRoot.path)
        #expect(run.status == 0)
        #expect(run.stdout.contains("Imported nui-sam-2024.jsonl: 0 recorded, 108 already there."))
        #expect(run.stdout.components(separatedBy: "\n").dropFirst(2) == first.components(separatedBy: "\n").dropFirst(2))
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-09-30", "--format", "json")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let poor = (report["funds"] as! [[String: Any]]).first { $0["fundId"] as? String == "vi-nguoi-ngheo" }!
        #expect(poor["closing"] as? Int == 57_248_000)
        run = try store.run("piggybank", "summary", "--format", "json")
        let summary = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        #expect(summary["expected"] as? Int == 22_949_000)
        #expect((summary["belowTarget"] as! [Any]).count == 22)
        run = try store.run("member", "history", "dv-017")
        #expect(run.stdout.hasPrefix("Nguyễn Thị Ngọc Hường (dv-017)"))
        run = try store.run("projections", "rebuild")
        #expect(run.stdout == "Rebuilt the projections from 2292 events.\n")
        #expect(try store.run("cells", "--format", "csv").stdout.hasPrefix("cell,membersNow,membersEver,deposits,deposited\r\n"))
    }
}

/// Where each "đ" column ends on screen, for checking alignment.
func displayColumns(_ line: String) -> Int {
    var width = 0
    for scalar in line.unicodeScalars where scalar.properties.generalCategory != .nonspacingMark {
        width += 1
    }
    return width
}

@Suite("Progress on a terminal")
struct TerminalTests {
    @Test("import and rebuild draw a progress bar on a terminal",
          .enabled(if: FileManager.default.fileExists(atPath: "/usr/bin/script"), "needs util-linux's `script` for a pseudo-terminal"))
    func progressOnTerminal() throws {
        let store = try StoreFolder.initialised()
        let file = packageRoot.appendingPathComponent("Sources/ansinh/Demo/piggybank-2024.jsonl").path
        let (status, text) = try onTerminal(["import", file, "--store", store.path, "--actor", "demo"])
        #expect(status == 0, "\(text)")
        #expect(text.contains("Checking "), "\(text.prefix(300))")
        #expect(text.contains("Recording"), "\(text.prefix(300))")
        #expect(text.contains("100% (2184/2184)"), "\(text.prefix(300))")
        #expect(text.contains("Imported 2184 events: 2184 recorded"))
    }
}

@Suite("Audit, export, keys, backup and the nightly job from the command line", .serialized)
struct AuditCLITests {
    static func demoStore() throws -> StoreFolder {
        let store = StoreFolder()
        let run = try ansinh(["demo", "--store", store.path], in: packageRoot.path)
        #expect(run.status == 0, "\(run.stderr)")
        return store
    }

    @Test("audit verify passes on an honest store and fails, exit 1, on a damaged one")
    func auditVerify() throws {
        let store = try Self.demoStore()
        var run = try store.run("audit", "verify")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Audit passed: 2292 events"))
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: store.path + "/data.mdb")))
        for start in bytes.ranges(of: Array("Miếu Bà Chúa Xứ".utf8)).map(\.lowerBound) { bytes[start + 1] ^= 0x01 }
        try Data(bytes).write(to: URL(fileURLWithPath: store.path + "/data.mdb"))
        run = try store.run("audit", "verify")
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("ansinh: audit failed: position "), "\(run.stderr)")
        #expect(run.stderr.contains("bytes changed"))
    }

    @Test("keys, a signed export checked by Python, a backup that opens and passes the audit")
    func exportAndBackup() throws {
        let store = try Self.demoStore()
        var run = try store.run("keys", "init")
        #expect(run.status == 0)
        let publicKey = run.stdout.split(separator: "\n").last.map(String.init) ?? ""
        let mode = try FileManager.default.attributesOfItem(atPath: store.path + "/signing.key")[.posixPermissions] as? Int
        #expect(mode == 0o600)
        #expect(try store.run("keys", "init").status == 73)
        let out = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: out) }
        run = try store.run("export", "--out", out)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("Signed with key \(publicKey)"))
        let check = try runProcess(
            "/usr/bin/env", ["python3", packageRoot.appendingPathComponent("tools/verify-export.py").path, out, "--public-key", publicKey])
        #expect(check.status == 0, "\(check.output)")
        #expect(try store.run("export", "--out", out).status == 65, "an existing folder is refused")
        let backup = store.path + "-backup.mdb"
        let restored = store.path + "-restored"
        defer {
            try? FileManager.default.removeItem(atPath: backup)
            try? FileManager.default.removeItem(atPath: restored)
        }
        run = try store.run("backup", "--out", backup)
        #expect(run.status == 0, "\(run.stderr)")
        try FileManager.default.createDirectory(atPath: restored, withIntermediateDirectories: true)
        try FileManager.default.copyItem(atPath: backup, toPath: restored + "/data.mdb")
        run = try ansinh(["audit", "verify", "--store", restored])
        #expect(run.status == 0, "\(run.stderr)")
        run = try ansinh(["funds", "--store", restored, "--format", "csv"])
        #expect(run.stdout == (try store.run("funds", "--format", "csv")).stdout)
    }

    @Test("audit replay and audit trail")
    func replayAndTrail() throws {
        let store = try Self.demoStore()
        var run = try store.run("audit", "replay", "--until-position", "108", "--format", "json")
        #expect(run.status == 0, "\(run.stderr)")
        let past = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let funds = past["funds"] as! [[String: Any]]
        #expect(funds.map { $0["fundId"] as! String } == ["den-on-dap-nghia", "khuyen-hoc", "vi-nguoi-ngheo"], "no piggy-bank fund yet")
        #expect(try store.run("audit", "replay").status == 64)
        run = try store.run("audit", "trail", "--fund", "khuyen-hoc", "--format", "csv")
        #expect(run.stdout.components(separatedBy: "\r\n").filter { !$0.isEmpty }.count == 6)
        run = try store.run("audit", "trail", "--recorded-by", "nobody")
        #expect(run.stdout.split(separator: "\n").count == 2, "only the header")
    }

    @Test("the nightly job exports, checks, backs up, holds the store to last night's head, and keeps the last N")
    func nightlyJob() throws {
        let store = try Self.demoStore()
        let archive = store.path + "-archive"
        defer { try? FileManager.default.removeItem(atPath: archive) }
        for old in ["2020-01-01", "2020-01-02"] {
            try FileManager.default.createDirectory(atPath: archive + "/" + old, withIntermediateDirectories: true)
        }
        let environment = [
            "PATH": ansinhExecutable.deletingLastPathComponent().path + ":" + (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin"),
            "ANSINH_STORE": store.path, "ANSINH_ARCHIVE": archive, "ANSINH_KEEP": "2",
            // The night's folder is named by the ward's date: fixed, so that a run spanning
            // midnight in Asia/Ho_Chi_Minh (17:00 UTC) names no second folder.
            "ANSINH_TEST_TODAY": "2025-01-15",
        ]
        func runJob() throws -> (status: Int32, output: String) {
            try runProcess("/bin/bash", [packageRoot.appendingPathComponent("tools/nightly-export.sh").path], environment: environment)
        }
        var (status, log) = try runJob()
        #expect(status == 0, "\(log)")
        let kept = try FileManager.default.contentsOfDirectory(atPath: archive).sorted()
        #expect(kept.count == 2, "\(kept)")
        #expect(kept.first == "2020-01-02")
        let today = "2025-01-15"
        #expect(kept.last == today)
        #expect(FileManager.default.fileExists(atPath: archive + "/" + today + "/export/manifest.json"))
        #expect(FileManager.default.fileExists(atPath: archive + "/" + today + "/data.mdb"))
        #expect(log.contains("ansinh-nightly: done:"))
        // A second run the same day refuses to overwrite, with a clear last line.
        (status, log) = try runJob()
        #expect(status != 0)
        #expect(log.contains("FAILED: "), "\(log)")
        // The next night holds the backup to the head this night published.
        try FileManager.default.moveItem(atPath: archive + "/" + today, toPath: archive + "/2020-01-03")
        (status, log) = try runJob()
        #expect(status == 0, "\(log)")
        #expect(log.contains("auditing the backup against \(archive)/2020-01-03"), "\(log)")
        // Had someone rewritten history since, the head published would not match.
        try FileManager.default.removeItem(atPath: archive + "/" + today)
        let published = archive + "/2020-01-03/export/manifest.json"
        let manifest = try String(contentsOfFile: published, encoding: .utf8)
        try Data(manifest.replacingOccurrences(of: "\"headPosition\" : 2292", with: "\"headPosition\" : 2300").utf8)
            .write(to: URL(fileURLWithPath: published))
        (status, log) = try runJob()
        #expect(status != 0)
        #expect(log.contains("FAILED: audit of the backup: ansinh: audit failed: position 2300"), "\(log)")
        #expect(!FileManager.default.fileExists(atPath: archive + "/" + today), "a failed night leaves no dated folder")
        // Once the ward has a key, only a signed manifest counts: the forged, unsigned one
        // is passed over with a warning, and tonight's export is signed.
        #expect(try store.run("keys", "init").status == 0)
        (status, log) = try runJob()
        #expect(status == 0, "\(log)")
        #expect(log.contains("WARNING: \(published) is not signed; not holding the store to it"), "\(log)")
        #expect(FileManager.default.fileExists(atPath: archive + "/" + today + "/export/manifest.sig"))
        // The next night holds the store to that signed manifest, checked with the key.
        try FileManager.default.moveItem(atPath: archive + "/" + today, toPath: archive + "/2020-01-04")
        (status, log) = try runJob()
        #expect(status == 0, "\(log)")
        #expect(log.contains("auditing the backup against \(archive)/2020-01-04"), "\(log)")
        let audit = try String(contentsOfFile: archive + "/" + today + "/audit.log", encoding: .utf8)
        #expect(audit.contains("its signature checked with the given key"), "\(audit)")
    }
}
