import Foundation
import TestSupport
import Testing

/// `ansinh province`: wards' verified public feeds loaded into a real PostgreSQL
/// (started by the test on loopback), cross-ward reports, rewrites refused, crashes
/// survived, a hot standby serving reports.
@Suite(.serialized) struct ProvinceTests {
    /// A ward: the demo's books (the same history in each, by design), its own key and
    /// a few entries of its own, so that no two wards' figures are alike.
    final class Ward {
        let id: String
        let store: StoreFolder
        let publicKey: String

        init(id: String, store: StoreFolder, publicKey: String) {
            (self.id, self.store, self.publicKey) = (id, store, publicKey)
        }

        init(_ id: String, extra: Int?) throws {
            self.id = id
            store = StoreFolder()
            #expect(try ansinh(["demo", "--store", store.path]).status == 0)
            let keys = try ansinh(["keys", "init", "--store", store.path])
            #expect(keys.status == 0, "\(keys.stderr)")
            publicKey = String(keys.stdout.split(separator: "\n").last!)
            if let extra { try record(extra: extra) }
        }

        /// A donation, a disbursement and the reversal of a second donation, `extra` đồng apart from other wards'.
        func record(extra: Int) throws {
            let reversed = UUID()
            let lines = [
                Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000_000 + extra, on: "2024-06-01"),
                Lines.donation(fund: "khuyen-hoc", amount: 500_000 + extra, id: reversed, on: "2024-06-02"),
                Lines.disbursement(fund: "vi-nguoi-ngheo", amount: 300_000 + extra, id: "chi-\(UUID().uuidString.prefix(8))", on: "2024-06-03"),
                #"{"type":"EntryReversed","data":{"reversesEventId":"\#(reversed.uuidString.lowercased())","reversedOn":"2024-07-01","reason":"Ghi nhầm quỹ"}}"#,
            ]
            let run = try ansinh(["import", "-", "--store", store.path], input: Data((lines.joined(separator: "\n") + "\n").utf8))
            #expect(run.status == 0, "\(run.stderr)")
        }

        /// A signed public export of the whole log.
        func export() throws -> String {
            let folder = store.path + "-export-\(UUID().uuidString.prefix(6))"
            let run = try ansinh(["export", "--store", store.path, "--out", folder])
            #expect(run.status == 0, "\(run.stderr)")
            return folder
        }

        /// `ansinh report --format json` for 2024.
        func report() throws -> [String: Any] {
            let run = try ansinh(["report", "--store", store.path, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"])
            #expect(run.status == 0, "\(run.stderr)")
            return try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        }
    }

    static func province(_ arguments: [String], environment: [String: String] = [:]) throws -> Run {
        try ansinh(["province"] + arguments, environment: environment, timeLimit: 300)
    }

    /// A database with the schema and `wards` registered.
    static func database(on server: TemporaryPostgres, named name: String, wards: [Ward]) throws -> String {
        try server.createDatabase(name)
        let url = server.url(name)
        let initialised = try province(["init", "--db", url])
        #expect(initialised.status == 0, "\(initialised.stderr)")
        for ward in wards {
            let added = try province(["ward", "add", ward.id, "--db", url, "--name", "Phường \(ward.id)", "--public-key", ward.publicKey])
            #expect(added.status == 0, "\(added.stderr)")
        }
        return url
    }

    /// Everything the province holds, in order, but the instants it was loaded at.
    static func dump(_ server: TemporaryPostgres, database: String) throws -> String {
        try server.psql(
            """
            SELECT string_agg(t, E'\\n') FROM (
              SELECT concat_ws('|', ward_id, position, event_id, type, stream, recorded_at, encode(prev_hash, 'hex'), encode(hash, 'hex'),
                               checkpoint_size, data::text, fund_id, counts_on, movement, purpose, count, quantity, amount) AS t
                FROM (SELECT * FROM province.events ORDER BY ward_id, position) e
              UNION ALL SELECT concat_ws('|', 'day', ward_id, fund_id, day, movement, purpose, count, quantity, amount, last_position)
                FROM (SELECT * FROM province.fund_days ORDER BY 1, 2, 3, 4, 5) d
              UNION ALL SELECT concat_ws('|', 'month', ward_id, fund_id, month, movement, purpose, count, quantity, amount, last_position)
                FROM (SELECT * FROM province.fund_months ORDER BY 1, 2, 3, 4, 5) m
              UNION ALL SELECT concat_ws('|', 'member', ward_id, member_id, cell, enrolled_on, left_on, position)
                FROM (SELECT * FROM province.members ORDER BY 1, 2) m
              UNION ALL SELECT concat_ws('|', 'model', ward_id, model_id, fund_id, starts_on, ends_on, closed_on, position)
                FROM (SELECT * FROM province.piggybank_models ORDER BY 1, 2) m
              UNION ALL SELECT concat_ws('|', 'cell', ward_id, model_id, cell, deposits, collected, last_position)
                FROM (SELECT * FROM province.piggybank_cells ORDER BY 1, 2, 3) c
              UNION ALL SELECT concat_ws('|', 'support', ward_id, position, value, beneficiaries, counts_on, reverses_position)
                FROM (SELECT * FROM province.external_support ORDER BY 1, 2) s
              UNION ALL SELECT concat_ws('|', 'fund', ward_id, fund_id, name, opened_on, position)
                FROM (SELECT * FROM province.funds ORDER BY 1, 2) f
              UNION ALL SELECT concat_ws('|', 'head', ward_id, position, encode(hash, 'hex'), array_length(frontier, 1), checkpoint_size,
                                         encode(checkpoint_root, 'hex'), origin)
                FROM (SELECT * FROM province.ward_heads ORDER BY 1) h
              UNION ALL SELECT concat_ws('|', 'checkpoint', ward_id, size, encode(root_hash, 'hex'))
                FROM (SELECT * FROM province.checkpoints ORDER BY 1, 2) c
            ) x
            """, database: database)
    }

    @Test func wardsFromExportsAndLiveFeedsAtOnceAddUpToTheirOwnReports() throws {
        let server = try TemporaryPostgres()
        let wards = try [Ward("phuong-a", extra: 1_000), Ward("phuong-b", extra: 2_000), Ward("xa-c", extra: 3_000), Ward("xa-d", extra: 4_000)]
        let url = try Self.database(on: server, named: "province", wards: wards)
        let exports = try wards.prefix(2).map { try $0.export() }
        let feeds = try wards.suffix(2).map { try RunningServer(store: $0.store.path) }

        // Four pulls at once: two from exports, two from live feeds.
        let ids = wards.map(\.id)
        let sources = exports.map { ["--export", $0] } + feeds.map { ["--feed", $0.url] }
        func pullAll() throws -> [Run] {
            let results = ResultsBox(count: 4)
            onThreads(4) { index in
                results.set(index, Result { try Self.province(["pull", "--db", url, "--ward", ids[index], "--batch-size", "700"] + sources[index]) })
            }
            return try results.values.map { try $0!.get() }
        }
        for (index, run) in try pullAll().enumerated() {
            #expect(run.status == 0, "\(wards[index].id): \(run.stderr)")
            #expect(run.stdout.contains("checkpoint"), "\(run.stdout)")
        }

        // More entries on the live wards, recorded while they serve: the next pull takes just those.
        for ward in wards.suffix(2) { try ward.record(extra: 7) }
        let again = try pullAll()
        #expect(again[0].stdout.contains("up to date"), "\(again[0].stdout)")
        #expect(again[2].stdout.contains("2297–2300"), "\(again[2].stdout)")

        // The province's report: each ward's funds equal the ward's own report, and the totals are their sum.
        let run = try Self.province(["report", "--db", url, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"])
        #expect(run.status == 0, "\(run.stderr)")
        let report = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as! [String: Any]
        let provinceWards = report["wards"] as! [[String: Any]]
        #expect(provinceWards.map { $0["wardId"] as! String } == wards.map(\.id))
        var sums = [String: Int](), expected = [String: Int]()
        for (ward, held) in zip(wards, provinceWards) {
            let own = try ward.report()
            let ownFunds = own["funds"] as! [[String: Any]]
            let heldFunds = held["funds"] as! [[String: Any]]
            #expect(heldFunds.count == ownFunds.count)
            for (mine, theirs) in zip(ownFunds, heldFunds) {
                #expect(mine["fundId"] as? String == theirs["fundId"] as? String)
                for key in ["opening", "received", "disbursed", "closing"] {
                    #expect(mine[key] as? Int == theirs[key] as? Int, "\(ward.id) \(mine["fundId"]!) \(key)")
                    expected[key, default: 0] += mine[key] as! Int
                    sums[key, default: 0] += theirs[key] as! Int
                }
                for key in ["donations", "deposits"] {
                    #expect(NSDictionary(dictionary: mine[key] as! [String: Any]) == NSDictionary(dictionary: theirs[key] as! [String: Any]))
                }
                let ownPurposes = (mine["disbursedByPurpose"] as! [String: [String: Any]]).filter { ($0.value["count"] as! Int) != 0 }
                let heldPurposes = theirs["disbursedByPurpose"] as! [String: [String: Any]]
                #expect(Set(ownPurposes.keys) == Set(heldPurposes.keys), "\(ward.id) \(mine["fundId"]!)")
                for (purpose, totals) in ownPurposes {
                    for key in ["count", "quantity", "amount"] { #expect(totals[key] as? Int == heldPurposes[purpose]?[key] as? Int) }
                }
            }
            #expect(own["externalSupportValue"] as? Int == held["externalSupportValue"] as? Int)
            #expect(own["externalSupportBeneficiaries"] as? Int == held["externalSupportBeneficiaries"] as? Int)
            // Traceable: the position and the checkpoint accepted over it.
            let checkpoint = held["checkpoint"] as! [String: Any]
            #expect(checkpoint["size"] as? Int == held["position"] as? Int)
            #expect((checkpoint["rootHash"] as? String)?.count == 64)
        }
        let totals = report["totals"] as! [String: Any]
        for key in ["opening", "received", "disbursed", "closing"] {
            #expect(totals[key] as? Int == expected[key], "\(key)")
            #expect(sums[key] == expected[key])
        }

        // The piggy-bank cells: what each ward's own summary says.
        let summary = try ansinh(["piggybank", "summary", "ong-heo-2024", "--store", wards[0].store.path, "--format", "json"])
        let cells = ((try JSONSerialization.jsonObject(with: Data(summary.stdout.utf8)) as! [String: Any])["cells"] as! [[String: Any]])
        let heldCells = (report["piggyBankCells"] as! [[String: Any]]).filter { $0["wardId"] as? String == wards[0].id }
        #expect(cells.count == heldCells.count && !cells.isEmpty)
        for cell in cells {
            let held = heldCells.first { $0["cell"] as? String == cell["cell"] as? String }
            #expect(held?["collected"] as? Int == cell["collected"] as? Int, "\(cell["cell"]!)")
            #expect(held?["expected"] as? Int == cell["expected"] as? Int, "\(cell["cell"]!)")
            #expect(held?["members"] as? Int == cell["members"] as? Int, "\(cell["cell"]!)")
        }

        // No personal data the ward would not publish: no clerk, no full name, no reason.
        let stored = try server.psql("SELECT string_agg(data::text, E'\\n') FROM province.events")
        #expect(!stored.contains("Nguyễn Thị Lan") && !stored.contains("Ghi nhầm quỹ") && !stored.contains("recordedBy"))
        #expect(stored.contains("Hộ bà N.T.L."))

        // CSV and the workbook carry the same rows; trace lists the entries behind a figure.
        let csv = try Self.province(["report", "--db", url, "--from", "2024-01-01", "--to", "2024-12-31", "--format", "csv"])
        #expect(csv.stdout.split(whereSeparator: \.isNewline).count == 1 + 4 * 4)
        #expect(csv.stdout.hasPrefix("wardId,wardName,fundId,name,opening,donations,deposits,received,disbursed,closing,throughPosition,checkpointSize,checkpointRoot"))
        let trace = try Self.province(["trace", "--db", url, "--ward", "phuong-a", "--fund", "khuyen-hoc", "--format", "json"])
        let entries = try JSONSerialization.jsonObject(with: Data(trace.stdout.utf8)) as! [[String: Any]]
        #expect(entries.reduce(0) { $0 + ($1["amount"] as! Int) } == 211_300_000 + 400_000_000 + 501_000 - 501_000)

        // The province's public site.
        let site = try ProvinceSiteProcess(url: url)
        let page = try site.get("/?from=2024-01-01&to=2024-12-31")
        #expect(page.contains("Công khai tài chính các quỹ toàn tỉnh") && page.contains("Phường phuong-a"))
        #expect(page.contains("Quỹ “Vì người nghèo”") && page.contains("Chi bộ khóm Vĩnh Đông 1"))
        let json = try site.get("/v1/report?from=2024-01-01&to=2024-12-31")
        #expect(json == run.stdout)
    }

    @Test func aWardThatRewritesItsHistoryIsRefusedAndTheRefusalKept() throws {
        let server = try TemporaryPostgres()
        let ward = try Ward("nui-sam", extra: nil)
        // A copy of the ward's store, keys and all, before its own last entries: its forger.
        let forged = StoreFolder()
        try FileManager.default.copyItem(atPath: ward.store.path, toPath: forged.path)
        try ward.record(extra: 0)
        let url = try Self.database(on: server, named: "province", wards: [ward])
        let first = try Self.province(["pull", "--db", url, "--ward", "nui-sam", "--export", try ward.export()])
        #expect(first.status == 0, "\(first.stderr)")

        // The same books up to position 2292, then other entries in place of the ward's own, signed with its key.
        let impostor = ProvinceTests.Ward(id: "nui-sam", store: forged, publicKey: ward.publicKey)
        try impostor.record(extra: 999)
        let refused = try Self.province(["pull", "--db", url, "--ward", "nui-sam", "--export", try impostor.export()])
        #expect(refused.status == 65)
        #expect(refused.stderr.contains("ward nui-sam refused at position 2293"), "\(refused.stderr)")
        #expect(refused.stderr.contains("rewritten"), "\(refused.stderr)")
        // Nothing was loaded, and the evidence is kept: both signed checkpoints, both leaves.
        #expect(try server.psql("SELECT position FROM province.ward_heads").trimmingCharacters(in: .whitespacesAndNewlines) == "2296")
        let evidence = try server.psql(
            "SELECT position, held_hash <> offered_hash, offered_checkpoint IS NOT NULL AND held_checkpoint IS NOT NULL FROM province.refusals")
        #expect(evidence.trimmingCharacters(in: .whitespacesAndNewlines) == "2293|t|t")

        // Its live feed is refused the same way.
        let feed = try RunningServer(store: impostor.store.path)
        let live = try Self.province(["pull", "--db", url, "--ward", "nui-sam", "--feed", feed.url])
        #expect(live.status == 65 && live.stderr.contains("position 2293"), "\(live.stderr)")
        // A checkpoint signed by another key is refused before anything is read.
        let stranger = try Ward("nui-sam", extra: 0)
        let unsigned = try Self.province(["pull", "--db", url, "--ward", "nui-sam", "--export", try stranger.export()])
        #expect(unsigned.status == 65 && unsigned.stderr.contains("signature"), "\(unsigned.stderr)")
    }

    @Test func aPullKilledMidBatchThenResumedEqualsAnUninterruptedOne() throws {
        let server = try TemporaryPostgres()
        let ward = try Ward("nui-sam", extra: 5)
        let export = try ward.export()
        let calm = try Self.database(on: server, named: "calm", wards: [ward])
        let killed = try Self.database(on: server, named: "killed", wards: [ward])
        #expect(try Self.province(["pull", "--db", calm, "--ward", "nui-sam", "--export", export, "--batch-size", "100"]).status == 0)

        // Each batch waits before its commit, so the kill lands inside an open transaction.
        let process = Process()
        process.executableURL = ansinhExecutable
        process.arguments = ["province", "pull", "--db", killed, "--ward", "nui-sam", "--export", export, "--batch-size", "100"]
        var environment = ProcessInfo.processInfo.environment
        environment["ANSINH_TEST_PULL_PAUSE_MS"] = "150"
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var held = 0
        while held < 500, Date() < deadline {
            held = Int(try server.psql("SELECT position FROM province.ward_heads", database: "killed").trimmingCharacters(in: .whitespacesAndNewlines)) ?? 0
            usleep(30_000)
        }
        usleep(60_000)
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        let partial = Int(try server.psql("SELECT position FROM province.ward_heads", database: "killed").trimmingCharacters(in: .whitespacesAndNewlines))!
        #expect(partial >= 500 && partial < 2296 && partial % 100 == 0, "held \(partial)")
        #expect(try server.psql("SELECT count(*) FROM province.events", database: "killed").trimmingCharacters(in: .whitespacesAndNewlines) == String(partial))

        let resumed = try Self.province(["pull", "--db", killed, "--ward", "nui-sam", "--export", export, "--batch-size", "100"])
        #expect(resumed.status == 0, "\(resumed.stderr)")
        #expect(resumed.stdout.contains("positions \(partial + 1)–2296"), "\(resumed.stdout)")
        #expect(try Self.dump(server, database: "killed") == (try Self.dump(server, database: "calm")))
        #expect(try Self.dump(server, database: "calm").contains("head|nui-sam|2296|"))
    }

    @Test func aHotStandbyServesTheReport() throws {
        let primary = try TemporaryPostgres()
        let ward = try Ward("nui-sam", extra: 11)
        let url = try Self.database(on: primary, named: "province", wards: [ward])
        let standby = try TemporaryPostgres(standbyOf: primary)
        #expect(try Self.province(["pull", "--db", url, "--ward", "nui-sam", "--export", try ward.export()]).status == 0)
        // Wait until the standby has replayed what the primary wrote.
        let lsn = try primary.psql("SELECT pg_current_wal_lsn()").trimmingCharacters(in: .whitespacesAndNewlines)
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline,
            try standby.psql("SELECT pg_last_wal_replay_lsn() >= '\(lsn)'::pg_lsn").trimmingCharacters(in: .whitespacesAndNewlines) != "t"
        {
            usleep(50_000)
        }
        #expect(try standby.psql("SELECT pg_is_in_recovery()").trimmingCharacters(in: .whitespacesAndNewlines) == "t")
        let arguments = ["--from", "2024-01-01", "--to", "2024-12-31", "--format", "json"]
        let fromPrimary = try Self.province(["report", "--db", url] + arguments)
        let fromStandby = try Self.province(["report", "--db", standby.url()] + arguments)
        #expect(fromStandby.status == 0, "\(fromStandby.stderr)")
        #expect(fromStandby.stdout == fromPrimary.stdout && fromPrimary.stdout.contains("\"position\": 2296"))
        // The standby only reads: a pull of new entries into it is refused by PostgreSQL, and says so.
        try ward.record(extra: 12)
        let pull = try Self.province(["pull", "--db", standby.url(), "--ward", "nui-sam", "--export", try ward.export()])
        #expect(pull.status == 74 && pull.stderr.contains("read-only"), "\(pull.stderr)")
    }
}

/// Results set from several threads.
final class ResultsBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: [Result<Run, any Error>?]
    init(count: Int) { stored = Array(repeating: nil, count: count) }
    func set(_ index: Int, _ result: Result<Run, any Error>) { lock.withLock { stored[index] = result } }
    var values: [Result<Run, any Error>?] { lock.withLock { stored } }
}

/// `ansinh province serve` on a free port, stopped when released.
final class ProvinceSiteProcess {
    let process = Process()
    let address: String
    private let output = temporaryOutputFile()

    init(url: String) throws {
        process.executableURL = ansinhExecutable
        process.arguments = ["province", "serve", "--db", url, "--listen", "127.0.0.1:0"]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
            found = text.range(of: "listening on http://").map { String(text[$0.upperBound...].prefix { $0 != "\n" }) }
            if found == nil { usleep(20_000) }
        }
        guard let found else { throw ServerDidNotStart(log: "ansinh province serve did not start") }
        address = found
    }

    deinit {
        kill(process.processIdentifier, SIGTERM)
        process.waitUntilExit()
        try? FileManager.default.removeItem(at: output)
    }

    func get(_ path: String) throws -> String {
        let run = Process()
        run.executableURL = URL(fileURLWithPath: "/usr/bin/curl")
        run.arguments = ["-sS", "--max-time", "60", "http://\(address)\(path)"]
        let file = temporaryOutputFile()
        defer { try? FileManager.default.removeItem(at: file) }
        run.standardOutput = try FileHandle(forWritingTo: file)
        try run.run()
        run.waitUntilExit()
        return String(decoding: try Data(contentsOf: file), as: UTF8.self)
    }
}
