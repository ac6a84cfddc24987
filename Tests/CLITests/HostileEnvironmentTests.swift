import Foundation
import LMDB
import TestSupport
import Testing

/// Whether this machine lets an unprivileged user namespace mount (a small tmpfs, a
/// read-only bind mount): the way to get a full disk and a read-only file system
/// without root.
let namespacesAvailable: Bool = {
    guard FileManager.default.isExecutableFile(atPath: "/usr/bin/unshare") else { return false }
    let probe = Process()
    probe.executableURL = URL(fileURLWithPath: "/usr/bin/unshare")
    probe.arguments = ["--user", "--map-root-user", "--mount", "sh", "-c", "mount -t tmpfs -o size=64k tmpfs /mnt"]
    probe.standardOutput = FileHandle.nullDevice
    probe.standardError = FileHandle.nullDevice
    guard (try? probe.run()) != nil, (try? waitForExit(probe, timeLimit: 30)) != nil else { return false }
    return probe.terminationStatus == 0
}()

/// Runs `script` with sh in a new user and mount namespace, with $A the built ansinh.
/// Each step of the script echoes `name=STATUS`; the result maps names to statuses.
func inNamespace(_ script: String, environment: [String: String]) throws -> [String: Int32] {
    let (_, output) = try runProcess(
        "/usr/bin/unshare", ["--user", "--map-root-user", "--mount", "sh", "-c", script],
        environment: environment.merging(["A": ansinhExecutable.path, "ANSINH_ACTOR": "lan"]) { $1 })
    var statuses: [String: Int32] = [:]
    for line in output.split(separator: "\n") {
        let parts = line.split(separator: "=", maxSplits: 1)
        if parts.count == 2, let status = Int32(parts[1]) { statuses[String(parts[0])] = status }
    }
    return statuses
}

func contents(_ path: String) -> String { (try? String(contentsOfFile: path, encoding: .utf8)) ?? "" }

@Suite("A hostile environment", .serialized)
struct HostileEnvironmentTests {
    @Test("options with bad values are refused with exit 64, naming the option, and write nothing")
    func badOptionValues() throws {
        let store = try StoreFolder.initialised()
        #expect(try store.run("fund", "open", "q", "--name", "Q").status == 0)
        let cases: [(arguments: [String], mentions: String)] = [
            (["donate", "--fund", "q", "--donor", "X", "--amount", "abc"], "--amount"),
            (["donate", "--fund", "q", "--donor", "X", "--amount", "12.5"], "--amount"),
            (["donate", "--fund", "q", "--donor", "X", "--amount", "99999999999999999999999"], "--amount"),
            (["donate", "--fund", "q", "--donor", "X", "--amount", "1000", "--date", "2024-02-30"], "--date"),
            (["donate", "--fund", "q", "--donor", "X", "--amount", "1000", "--date", "2024-1-1"], "--date"),
            (["donate", "--fund", "q", "--donor", "X", "--amount", "1000", "--event-id", "not-a-uuid"], "--event-id"),
            (["funds", "--format", "xml"], "--format"),
            (["log", "--limit", "-3"], "--limit"),
            (["export", "--out", store.path + "-x", "--since-position", "-1"], "--since-position"),
            (["report", "--from", "2024-13-01", "--to", "2024-12-31"], "--from"),
        ]
        for (arguments, mentions) in cases {
            let run = try ansinh(arguments + ["--store", store.path, "--actor", "lan"])
            #expect(run.status == 64, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.contains(mentions), "\(arguments): \(run.stderr)")
            #expect(run.stderr.hasPrefix("ansinh: ") && run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)")
        }
        let help = try ansinh(["donate", "--amount", "abc"])
        #expect(help.stderr.hasSuffix("see `ansinh donate --help`\n"), "\(help.stderr)")
        let log = try store.run("log", "--format", "json")
        #expect(log.stdout.components(separatedBy: "\"position\"").count - 1 == 1, "only the fund was recorded")
        #expect(!FileManager.default.fileExists(atPath: store.path + "-x"))
    }

    @Test("a bad field in a single command is refused with exit 65 naming the field, not taken for damaged data")
    func badFieldInCommand() throws {
        let store = try StoreFolder.initialised()
        #expect(try store.run("fund", "open", "q", "--name", "Q", "--opening-balance", "1000000").status == 0)
        let cases: [([String], String)] = [
            (["donate", "--fund", "q", "--donor", "A", "--donor-kind", "individual", "--amount", "0"], "DonationReceived.amount: must be > 0"),
            (["donate", "--fund", "q", "--donor", " ", "--donor-kind", "individual", "--amount", "5"], "DonationReceived.donor.name: must not be empty"),
            (["donate", "--fund", "q", "--donor", "A\u{1B}[31m", "--donor-kind", "individual", "--amount", "5"], "must not contain control characters"),
            (["member", "enrol", "dv zz", "--name", "A", "--cell", "B"], "MemberEnrolled.memberId: must be letters, digits"),
        ]
        for (arguments, message) in cases {
            let run = try ansinh(arguments + ["--store", store.path, "--actor", "lan"])
            #expect(run.status == 65, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr.hasPrefix("ansinh: ") && run.stderr.split(separator: "\n").count == 1, "\(arguments): \(run.stderr)")
            #expect(run.stderr.contains(message), "\(arguments): \(run.stderr)")
        }
        #expect(try store.run("log", "--format", "json").stdout.components(separatedBy: "\"position\"").count - 1 == 1)
    }

    @Test("two exports, or two backups, to the same path at once: one is written, the other told it exists")
    func sameTargetAtOnce() throws {
        let store = try AuditCLITests.demoStore()
        for round in 0..<3 {
            for command in ["export", "backup"] {
                let folder = store.path + "-race-\(round)-\(command)"
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let target = folder + "/nested/out"
                let processes = (0..<2).map { _ in
                    let process = Process()
                    process.executableURL = ansinhExecutable
                    process.arguments = [command, "--out", target, "--store", store.path]
                    process.standardOutput = FileHandle.nullDevice
                    process.standardError = FileHandle.nullDevice
                    return process
                }
                for process in processes { try process.run() }
                for process in processes { try waitForExit(process, timeLimit: 120) }
                let statuses = processes.map(\.terminationStatus).sorted()
                #expect(statuses == [0, 65], "\(command): \(statuses)")
                let left = try FileManager.default.contentsOfDirectory(atPath: folder + "/nested")
                // A backup is the data, the people's keys, and a checksum of each.
                #expect(
                    left.sorted() == (command == "backup" ? ["out", "out.keys", "out.keys.sha256", "out.sha256"] : ["out"]),
                    "\(command): \(left)")
            }
        }
    }

    @Test("a store path that is a file, or a folder that is not a store, is refused clearly")
    func storeIsAFile() throws {
        let folder = StoreFolder()
        try FileManager.default.createDirectory(atPath: folder.path, withIntermediateDirectories: true)
        let file = folder.path + "/notes.txt"
        try Data("not a store\n".utf8).write(to: URL(fileURLWithPath: file))
        var run = try ansinh(["funds", "--store", file])
        #expect(run.status == 74)
        #expect(run.stderr.contains("is a file"), "\(run.stderr)")
        run = try ansinh(["init", "--ward", "W", "--province", "P", "--store", file])
        #expect(run.status == 74)
        #expect(run.stderr.contains("is a file"), "\(run.stderr)")
        #expect(contents(file) == "not a store\n", "the file is untouched")
        // A data.mdb that is not LMDB.
        let fake = folder.path + "/fake"
        try FileManager.default.createDirectory(atPath: fake, withIntermediateDirectories: true)
        try Data(repeating: 0x41, count: 10_000).write(to: URL(fileURLWithPath: fake + "/data.mdb"))
        run = try ansinh(["funds", "--store", fake])
        #expect(run.status == 74)
        #expect(run.stderr.contains("damaged or not an ansinh store"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    @Test("an init cut short (a power cut between its transactions) is finished by running init again, and only then refused")
    func initCutShort() throws {
        let store = try StoreFolder.initialised()
        // As a power cut after the store's first transactions leaves it: no province yet.
        do {
            let environment = try Environment(path: store.path)
            try environment.write { transaction in
                let meta = try transaction.openDatabase("meta")
                #expect(try transaction.delete(meta, key: "setting.province"))
            }
        }
        var run = try ansinh(["init", "--ward", "Núi Sam", "--province", "An Giang", "--store", store.path])
        #expect(run.status == 0, "\(run.stderr)")
        run = try store.run("status", "--format", "json")
        #expect(run.stdout.contains("\"province\": \"An Giang\""), "\(run.stdout)")
        run = try ansinh(["init", "--ward", "Núi Sam", "--province", "An Giang", "--store", store.path])
        #expect(run.status == 73, "\(run.stderr)")
        #expect(run.stderr.contains("a store already exists"), "\(run.stderr)")
        // A store that holds events is never taken for an unfinished one.
        #expect(try store.run("fund", "open", "q", "--name", "Q").status == 0)
        do {
            let environment = try Environment(path: store.path)
            try environment.write { transaction in
                _ = try transaction.delete(try transaction.openDatabase("meta"), key: "setting.province")
            }
        }
        run = try ansinh(["init", "--ward", "Khác", "--province", "Khác", "--store", store.path])
        #expect(run.status == 73, "\(run.stderr)")
    }

    @Test("store files are created owner-only")
    func ownerOnlyFiles() throws {
        let store = try StoreFolder.initialised()
        #expect(try store.run("keys", "init").status == 0)
        let backup = store.path + "-backup.mdb"
        defer { try? FileManager.default.removeItem(atPath: backup) }
        #expect(try store.run("backup", "--out", backup).status == 0)
        for (path, mode) in [(store.path, 0o700), (store.path + "/data.mdb", 0o600), (store.path + "/lock.mdb", 0o600),
                             (store.path + "/signing.key", 0o600), (backup, 0o600)] {
            let found = try FileManager.default.attributesOfItem(atPath: path)[.posixPermissions] as? Int
            #expect(found == mode, "\(path): \(String(found ?? 0, radix: 8))")
        }
    }

    @Test("a store on a read-only file system answers queries and audits, and refuses to record with exit 74",
          .enabled(if: namespacesAvailable, "needs unprivileged user namespaces to mount read-only"))
    func readOnlyFileSystem() throws {
        let store = try AuditCLITests.demoStore()
        let out = StoreFolder()
        try FileManager.default.createDirectory(atPath: out.path, withIntermediateDirectories: true)
        let statuses = try inNamespace(
            """
            mount --bind "$S" "$S" && mount -o remount,bind,ro "$S" || exit 99
            "$A" funds --store "$S" --format csv >"$O/funds.csv" 2>"$O/funds.err"; echo funds=$?
            "$A" audit verify --store "$S" >"$O/audit.out" 2>"$O/audit.err"; echo audit=$?
            "$A" backup --store "$S" --out "$O/backup.mdb" >/dev/null 2>"$O/backup.err"; echo backup=$?
            "$A" fund open q --name Q --store "$S" 2>"$O/open.err"; echo open=$?
            "$A" projections rebuild --store "$S" 2>"$O/rebuild.err"; echo rebuild=$?
            """, environment: ["S": store.path, "O": out.path])
        #expect(statuses["funds"] == 0, "\(contents(out.path + "/funds.err"))")
        #expect(contents(out.path + "/funds.csv") == (try store.run("funds", "--format", "csv")).stdout)
        #expect(statuses["audit"] == 0, "\(contents(out.path + "/audit.err"))")
        #expect(statuses["backup"] == 0, "\(contents(out.path + "/backup.err"))")
        #expect(FileManager.default.fileExists(atPath: out.path + "/backup.mdb"))
        for step in ["open", "rebuild"] {
            #expect(statuses[step] == 74, "\(step): \(contents(out.path + "/\(step).err"))")
            #expect(contents(out.path + "/\(step).err").contains("read-only file system"), "\(contents(out.path + "/\(step).err"))")
        }
        #expect(try store.run("log", "--format", "json").stdout.components(separatedBy: "\"position\"").count - 1 == 2_292)
    }

    @Test("a full disk refuses the import that does not fit with exit 74; what was acknowledged stays, and the audit passes",
          .enabled(if: namespacesAvailable, "needs unprivileged user namespaces to mount a small tmpfs"))
    func fullDisk() throws {
        let work = StoreFolder()
        try FileManager.default.createDirectory(atPath: work.path + "/disk", withIntermediateDirectories: true)
        let demo = packageRoot.appendingPathComponent("Sources/ansinh/Demo").path
        let statuses = try inNamespace(
            """
            mount -t tmpfs -o size=768k tmpfs "$W/disk" || exit 99
            S="$W/disk/store"
            "$A" init --ward W --province P --store "$S" >/dev/null 2>"$W/init.err"; echo init=$?
            "$A" import "$D/nui-sam-2024.jsonl" --store "$S" >/dev/null 2>"$W/small.err"; echo small=$?
            "$A" import "$D/piggybank-2024.jsonl" --store "$S" >/dev/null 2>"$W/large.err"; echo large=$?
            "$A" log --format json --store "$S" >"$W/log.json" 2>"$W/log.err"; echo log=$?
            "$A" audit verify --store "$S" >/dev/null 2>"$W/audit.err"; echo audit=$?
            "$A" fund open after-full --name F --store "$S" >/dev/null 2>"$W/after.err"; echo after=$?
            "$A" audit verify --store "$S" >/dev/null 2>"$W/audit2.err"; echo audit2=$?
            """, environment: ["W": work.path, "D": demo])
        #expect(statuses["init"] == 0, "\(contents(work.path + "/init.err"))")
        #expect(statuses["small"] == 0, "\(contents(work.path + "/small.err"))")
        #expect(statuses["large"] == 74, "\(contents(work.path + "/large.err"))")
        #expect(contents(work.path + "/large.err").contains("full"), "\(contents(work.path + "/large.err"))")
        #expect(statuses["log"] == 0)
        #expect(contents(work.path + "/log.json").components(separatedBy: "\"position\"").count - 1 == 108, "only the first import is there")
        #expect(statuses["audit"] == 0, "\(contents(work.path + "/audit.err"))")
        #expect(statuses["after"] == 0 || statuses["after"] == 74, "\(contents(work.path + "/after.err"))")
        #expect(statuses["audit2"] == 0, "\(contents(work.path + "/audit2.err"))")
    }

    @Test("audit verify holds the store to a published manifest: a rewritten head or a cut log fails with exit 1")
    func publishedManifest() throws {
        let store = try AuditCLITests.demoStore()
        let export = store.path + "-published"
        defer { try? FileManager.default.removeItem(atPath: export) }
        #expect(try store.run("export", "--out", export).status == 0)
        var run = try store.run("audit", "verify", "--manifest", export)
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("still holds position 2292"), "\(run.stdout)")
        let manifest = contents(export + "/manifest.json")
        let headHash = try #require(manifest.firstMatch(of: /"headHash" : "([0-9a-f]{64})"/)?.1)
        let forged = [
            ("rewritten", manifest.replacingOccurrences(of: String(headHash), with: String(repeating: "ab", count: 32)), "history was rewritten"),
            ("cut", manifest.replacingOccurrences(of: "\"headPosition\" : 2292", with: "\"headPosition\" : 2400"), "events were removed"),
        ]
        for (label, text, expected) in forged {
            let path = store.path + "-\(label).json"
            defer { try? FileManager.default.removeItem(atPath: path) }
            try Data(text.utf8).write(to: URL(fileURLWithPath: path))
            run = try store.run("audit", "verify", "--manifest", path)
            #expect(run.status == 1, "\(label): \(run.stderr)")
            #expect(run.stderr.contains(expected), "\(label): \(run.stderr)")
        }
        // With a key, an unsigned manifest is refused.
        #expect(try store.run("keys", "init").status == 0)
        run = try store.run("audit", "verify", "--manifest", export)
        #expect(run.status == 1)
        #expect(run.stderr.contains("not signed"), "\(run.stderr)")
    }
}
