// ansinh's benchmarks, each figure side by side with its baseline in the same run.
//
//   swift run -c release --package-path tools/bench ansinh-bench [--sizes 100000,1000000] [--out FILE]
//   swift run -c release --package-path tools/bench ansinh-bench --people 100000   (what sealing names costs)
//
// Prints a Markdown report (BENCHMARKS.md is one such report).
import EventLog
import Foundation
import LMDB
import Ledger
import LedgerTools

let arguments = CommandLine.arguments
if arguments.count >= 4, arguments[1] == "child" {
    try runChild(arguments[2], store: arguments[3], out: arguments.count > 4 ? arguments[4] : nil)
    exit(0)
}
func option(_ name: String) -> String? {
    guard let index = arguments.firstIndex(of: name), index + 1 < arguments.count else { return nil }
    return arguments[index + 1]
}
let sizes = (option("--sizes") ?? "100000,1000000").split(separator: ",").compactMap { Int($0) }
let scratch = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-bench-\(getpid())").path
try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
defer { try? FileManager.default.removeItem(atPath: scratch) }

if let donations = option("--people").flatMap({ Int($0) }) {
    print(try peopleCost(donations: donations, scratch: scratch))
    try? FileManager.default.removeItem(atPath: scratch)
    exit(0)
}
var report = Report()
report.machine()
let command = "swift run -c release --package-path tools/bench ansinh-bench --sizes " + sizes.map(String.init).joined(separator: ",")
for size in sizes {
    try benchmark(size: size, scratch: scratch + "/\(size)", into: &report)
    try? FileManager.default.removeItem(atPath: scratch + "/\(size)")
    // Written after each size, so a long run keeps what it measured.
    if let out = option("--out") {
        try Data(report.markdown(command: command).utf8).write(to: URL(fileURLWithPath: out))
    }
}
print(report.markdown(command: command))

func log(_ message: String) {
    FileHandle.standardError.write(Data("[bench] \(message)\n".utf8))
}

func benchmark(size requestedSize: Int, scratch: String, into report: inout Report) throws {
    try FileManager.default.createDirectory(atPath: scratch, withIntermediateDirectories: true)
    log("\(requestedSize): generating the history")
    let workload = Workload(eventCount: requestedSize)
    let size = workload.commands.count
    let batch = ImportLimits.lineCountMax
    let files = stride(from: 0, to: workload.commands.count, by: batch).map {
        workload.jsonLines($0..<min($0 + batch, workload.commands.count))
    }
    let megabytes = Double(files.reduce(0) { $0 + $1.count }) / 1e6
    let storePath = scratch + "/store"
    var section = Section(size: size)
    precondition(size >= requestedSize)

    log("\(size): bulk import (\(String(format: "%.0f", megabytes)) MB of JSON Lines)")
    let ledger = try Ledger(path: storePath)
    let importSeconds = try seconds { for file in files { _ = try ledger.importLines(file, actor: "bench") } }
    let records = try RawLMDB.records(storePath: storePath)
    let rawAppend = try RawLMDB.append(records, batch: batch, path: scratch + "/raw")
    let sqlite = try SQLiteBaseline(path: scratch + "/sqlite.db")
    let sqliteAppend = try sqlite.append(records, batch: batch)
    section.add("Bulk import, durable (events/s)", ansinh: Double(size) / importSeconds, raw: Double(size) / rawAppend,
                sqlite: Double(size) / sqliteAppend, target: "≥ 0.35× raw and ≥ 250 000/s")

    log("\(size): rebuild and scans")
    let rebuildSeconds = try seconds { try ledger.rebuildProjections() }
    let rawScan = try RawLMDB.scan(storePath: storePath)
    let decodeScan = try seconds {
        try ledger.readLog { reader in
            try reader.forEachEvent { event in try Payload.validate(canonicalBytes: event.data) }
        }
    }
    let sqliteScan = try sqlite.scanDecoding()
    section.add("Projection rebuild (events/s)", ansinh: Double(size) / rebuildSeconds, raw: Double(rawScan.count) / rawScan.seconds,
                sqlite: nil, target: "≥ 0.33× raw scan")
    section.add("Scan decoding every event (events/s)", ansinh: Double(size) / decodeScan, raw: Double(rawScan.count) / rawScan.seconds,
                sqlite: Double(sqliteScan.count) / sqliteScan.seconds, target: "ahead of SQLite")

    log("\(size): verification")
    let chainSeconds = try seconds {
        let valid = try ledger.readLog { try $0.verify() }.isValid
        precondition(valid)
    }
    section.add("Chain verification (events/s)", ansinh: Double(size) / chainSeconds, raw: Double(rawScan.count) / rawScan.seconds, sqlite: nil, target: "")
    let auditSeconds = try seconds {
        let valid = try Auditor.audit(ledger, scratchFolder: scratch + "/audit").isValid
        precondition(valid)
    }
    section.add("audit verify: chain, rules, replay, compare (events/s)", ansinh: Double(size) / auditSeconds, raw: nil, sqlite: nil, target: "≥ 1 000 000/s")

    log("\(size): export")
    var exportBytes = 0
    let exportSeconds = try seconds {
        let manifest = try Exporter.export(ledger, to: scratch + "/export")
        exportBytes = manifest.files.reduce(0) { $0 + $1.bytes }
    }
    section.add("Export (events/s)", ansinh: Double(size) / exportSeconds, raw: nil, sqlite: nil, target: "")
    section.notes.append(String(format: "Export wrote %.1f MB at %.1f MB/s.", Double(exportBytes) / 1e6, Double(exportBytes) / 1e6 / exportSeconds))

    log("\(size): queries")
    var random = SplitMix(seed: 7)
    let members = try ledger.members()
    let model = try ledger.models().last!.modelId
    let fundsLatency = try (0..<200).map { _ in try seconds { _ = try ledger.funds() } }
    let historyLatency = try (0..<200).map { _ in
        try seconds { _ = try ledger.memberHistory(members[random.next(below: members.count)].memberId) }
    }
    let summaryLatency = try (0..<50).map { _ in try seconds { _ = try ledger.piggyBankSummary(model) } }
    let firstModel = try ledger.models().first!.modelId
    let finishedSummaryLatency = try (0..<200).map { _ in try seconds { _ = try ledger.piggyBankSummary(firstModel) } }
    let gets = try RawLMDB.pointGets(storePath: storePath, positions: (0..<200).map { _ in UInt64(1 + random.next(below: size)) })
    section.latencies.append(("Fund balances", fundsLatency))
    section.latencies.append(("Member history", historyLatency))
    section.latencies.append(("Piggy-bank summary, a finished year (few below target)", finishedSummaryLatency))
    section.latencies.append(("Piggy-bank summary, the running year (every member below target)", summaryLatency))
    section.latencies.append(("Raw LMDB point get (baseline)", gets))

    log("\(size): single durable commands")
    let deposit = { (index: Int) in
        LedgerCommand(.piggyBankDeposited(PiggyBankDeposited(
            modelId: model, memberId: members[index % members.count].memberId, amount: VND(1_000),
            depositedOn: try! ledger.models().last!.startsOn)))
    }
    let single = try (0..<200).map { index in try seconds { try ledger.record([deposit(index)], actor: "bench") } }
    let rawSingle = try RawLMDB.singleCommits(records[records.count / 2], count: 200, path: scratch + "/raw-single")
    let sqliteSingle = try sqlite.singleCommits(records[records.count / 2], count: 200, firstPosition: Int64(size) + 1)
    section.latencies.append(("Durable single command (ansinh)", single))
    // The same commands without the flush: what the program itself spends.
    var noSync = EventLog.Options()
    noSync.durability = .bulkLoadNoSync
    let unsynced = try Ledger(path: scratch + "/nosync", options: noSync)
    // Enough of the history to hold the first model and 20 000 of its deposits.
    let firstModelStart = workload.commands.firstIndex { $0.event.type == .piggyBankModelStarted } ?? 0
    _ = try unsynced.importLines(workload.jsonLines(0..<min(workload.commands.count, firstModelStart + 20_000)), actor: "bench")
    let unsyncedModel = try unsynced.models().last!
    let unsyncedMembers = try unsynced.members()
    let cpuOnly = try (0..<200).map { index in
        try seconds {
            try unsynced.record([LedgerCommand(.piggyBankDeposited(PiggyBankDeposited(
                modelId: unsyncedModel.modelId, memberId: unsyncedMembers[index % unsyncedMembers.count].memberId,
                amount: VND(1_000), depositedOn: unsyncedModel.startsOn)))], actor: "bench")
        }
    }
    section.latencies.append(("Single command without the disk flush (ansinh, no-sync)", cpuOnly))
    section.latencies.append(("Durable one-record commit (raw LMDB)", rawSingle))
    section.latencies.append(("Durable one-row transaction (SQLite)", sqliteSingle))

    let storeBytes = (try FileManager.default.attributesOfItem(atPath: storePath + "/data.mdb")[.size] as? Int) ?? 0
    section.notes.append(String(format: "Store: %.1f MB, %.0f bytes an event (events, indexes and projections).",
                                Double(storeBytes) / 1e6, Double(storeBytes) / Double(size)))
    section.notes.append(String(format: "Import input: %.1f MB of JSON Lines in %d file(s) of at most %d lines.", megabytes, files.count, batch))

    log("\(size): peak memory")
    section.memory.append(("rebuild", try childPeakKilobytes("rebuild", store: storePath)))
    section.memory.append(("export", try childPeakKilobytes("export", store: storePath, out: scratch + "/export-child")))
    section.memory.append(("audit", try childPeakKilobytes("audit", store: storePath)))
    report.sections.append(section)
}

/// Runs this program as a child doing one operation, and returns its peak resident
/// memory (VmHWM, as the child reads it from /proc/self/status when done) and the
/// peak of its anonymous memory (RssAnon, sampled here every 10 ms while it runs):
/// the resident peak counts the store's memory-mapped pages the child read, which
/// are shared page cache, while RssAnon is what the child itself allocated.
func childPeakKilobytes(_ operation: String, store: String, out: String? = nil) throws -> (resident: Int, anonymous: Int) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    process.arguments = ["child", operation, store] + (out.map { [$0] } ?? [])
    let pipe = Pipe()
    process.standardOutput = pipe
    try process.run()
    var anonymousPeak = 0
    let statusPath = "/proc/\(process.processIdentifier)/status"
    while process.isRunning {
        if let status = try? String(contentsOfFile: statusPath, encoding: .utf8) {
            anonymousPeak = max(anonymousPeak, kilobytes(of: "RssAnon:", in: status))
        }
        usleep(10_000)
    }
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0, let resident = Int(output.trimmingCharacters(in: .whitespacesAndNewlines)) else {
        throw BenchError("child \(operation) failed: \(output)")
    }
    return (resident, anonymousPeak)
}

func kilobytes(of field: String, in status: String) -> Int {
    let line = status.split(separator: "\n").first { $0.hasPrefix(field) } ?? ""
    return Int(line.split(separator: " ").dropFirst().first ?? "0") ?? 0
}

func runChild(_ operation: String, store: String, out: String?) throws {
    do {
        let ledger = try Ledger(path: store)
        switch operation {
        case "generate":
            // In imports of at most the import's limit, as the full run loads its stores.
            let workload = Workload(eventCount: Int(out ?? "100000") ?? 100_000)
            for start in stride(from: 0, to: workload.commands.count, by: ImportLimits.lineCountMax) {
                let lines = workload.jsonLines(start..<min(start + ImportLimits.lineCountMax, workload.commands.count))
                _ = try ledger.importLines(lines, actor: "bench")
            }
        case "people":
            // Donations from people, each donor's name sealed: for profiling what sealing costs.
            let lines = donationLines(Int(out ?? "20000") ?? 20_000, kind: .individual)
            _ = try ledger.importLines(Array(lines.joined()), actor: "bench")
        case "rebuild": try ledger.rebuildProjections()
        case "export": try Exporter.export(ledger, to: out!)
        case "history":
            // Member-history latency alone, for comparing builds on one store.
            let members = try ledger.members()
            var random = SplitMix(seed: 7)
            let times = try (0..<2_000).map { _ in
                try seconds { _ = try ledger.memberHistory(members[random.next(below: members.count)].memberId) }
            }
            FileHandle.standardError.write(Data("member history: p50 \(microseconds(percentile(times, 0.5))), p99 \(microseconds(percentile(times, 0.99)))\n".utf8))
        case "queries":
            // The three queries of the latency target, each 2 000 times: for profiling.
            let members = try ledger.members()
            let finished = try ledger.models().first!.modelId
            var random = SplitMix(seed: 7)
            let funds = try (0..<2_000).map { _ in try seconds { _ = try ledger.funds() } }
            let history = try (0..<2_000).map { _ in
                try seconds { _ = try ledger.memberHistory(members[random.next(below: members.count)].memberId) }
            }
            let summary = try (0..<2_000).map { _ in try seconds { _ = try ledger.piggyBankSummary(finished) } }
            for (name, times) in [("fund balances", funds), ("member history", history), ("finished summary", summary)] {
                FileHandle.standardError.write(Data("\(name): p50 \(microseconds(percentile(times, 0.5))), p99 \(microseconds(percentile(times, 0.99)))\n".utf8))
            }
        case "proofs":
            // What a transparency query costs on the kept tree: the root of the whole log (a
            // checkpoint), inclusion proofs of random events, consistency proofs from random sizes.
            let reader = { (body: (LogReader) throws -> Void) throws in try ledger.snapshot(requiringCurrentReadModels: false) { try body($0.log) } }
            var head: UInt64 = 0
            try reader { head = try $0.head().position }
            var random = SplitMix(seed: 7)
            var roots: [Double] = [], inclusions: [Double] = [], consistencies: [Double] = []
            try reader { log in
                for _ in 0..<2_000 {
                    roots.append(try seconds { _ = try log.tree(size: head).root() })
                    let leaf = UInt64(random.next(below: Int(head)))
                    inclusions.append(try seconds { _ = try log.tree(size: head).inclusionProof(leafIndex: leaf) })
                    let from = UInt64(random.next(below: Int(head))) + 1
                    consistencies.append(try seconds { _ = try log.tree(size: head).consistencyProof(from: from) })
                }
            }
            // The baseline: without a kept tree, every root is the whole log read and hashed again.
            var scratchRoot: [UInt8] = []
            let fromScratch = try seconds {
                try reader { log in
                    var leaves: [[UInt8]] = []
                    leaves.reserveCapacity(Int(head))
                    try log.forEachEvent { leaves.append(MerkleTree.leafHash($0.hash.bytes)) }
                    scratchRoot = MerkleTree.rootHash(leaves[...])
                }
            }
            var kept: [UInt8] = []
            try reader { kept = try $0.tree(size: head).root() }
            guard kept == scratchRoot else { throw BenchError("the kept tree's root is not the root computed from scratch") }
            FileHandle.standardError.write(Data("root computed from scratch (no kept tree): \(microseconds(fromScratch))\n".utf8))
            for (name, times) in [("root of the whole log", roots), ("inclusion proof", inclusions), ("consistency proof", consistencies)] {
                FileHandle.standardError.write(Data("\(name): p50 \(microseconds(percentile(times, 0.5))), p99 \(microseconds(percentile(times, 0.99)))\n".utf8))
            }
        case "audit":
            let started = Date()
            let report = try Auditor.audit(ledger, scratchFolder: store + "-audit-scratch")
            guard report.isValid else { throw BenchError("audit failed: \(report.problem!)") }
            FileHandle.standardError.write(Data(String(format: "audit: %.0f events/s\n", Double(report.eventsChecked) / Date().timeIntervalSince(started)).utf8))
        default: throw BenchError("unknown child operation \(operation)")
        }
    }
    print(kilobytes(of: "VmHWM:", in: try String(contentsOfFile: "/proc/self/status", encoding: .utf8)))
}
