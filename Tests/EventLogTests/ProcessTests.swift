@testable import EventLog
import Foundation
import TestSupport
import Testing

#if canImport(Glibc)
    import Glibc
#endif

/// Starts `ansinh-logstress` with its standard output going to a file.
final class StressProcess {
    let process = Process()
    let outputPath: String

    init(store: String, stream: String, batches: Int, perBatch: Int, extra: [String] = []) throws {
        let arguments = stream == "--hold-read" ? [store, stream] : [store, stream, String(batches), String(perBatch)]
        outputPath = store + "-\(stream)-\(UUID().uuidString.prefix(8)).out"
        _ = FileManager.default.createFile(atPath: outputPath, contents: nil)
        process.executableURL = productsFolder.appendingPathComponent("ansinh-logstress")
        process.arguments = arguments + extra
        process.standardOutput = try FileHandle(forWritingTo: URL(fileURLWithPath: outputPath))
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit {
        try? FileManager.default.removeItem(atPath: outputPath)
    }

    func kill() {
        Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    /// Whether the output ends inside a batch: its last whole line is a `begin`, written
    /// before the append, with no `ack` after it.
    func endsInsideABatch() throws -> Bool {
        let text = try String(contentsOfFile: outputPath, encoding: .utf8)
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false).dropLast()
        return lines.last?.hasPrefix("begin ") ?? false
    }

    /// Every acknowledged event: position → event id. A line cut short by the kill is not one.
    func acknowledged() throws -> [UInt64: UUID] {
        let text = try String(contentsOfFile: outputPath, encoding: .utf8)
        var acknowledged: [UInt64: UUID] = [:]
        for line in text.split(separator: "\n", omittingEmptySubsequences: false).dropLast() {
            let fields = line.split(separator: " ")
            guard fields.count == 3, fields[0] == "ack", let position = UInt64(fields[1]),
                let id = UUID(uuidString: String(fields[2]))
            else { continue }
            acknowledged[position] = id
        }
        return acknowledged
    }
}

@Suite("Several processes and crashes", .serialized)
struct ProcessTests {
    @Test("a process killed at random moments, most often inside an append, loses no acknowledged event")
    func killedWriterLosesNothing() throws {
        // SIGKILL leaves what was written in the page cache: this test shows that a kill
        // loses nothing acknowledged and leaves the log valid; that acknowledged events
        // survive a power cut is DurabilityTests' job.
        let rounds = Int(ProcessInfo.processInfo.environment["ANSINH_CRASH_ROUNDS"] ?? "") ?? 20
        try #require(rounds >= 1, "ANSINH_CRASH_ROUNDS must be at least 1 for this test to prove anything")
        let folder = TemporaryFolder()
        var acknowledged: [UInt64: UUID] = [:]
        var killedWhileWriting = 0
        var killedInsideAnAppend = 0
        for round in 0..<rounds {
            let writer = try StressProcess(
                store: folder.path, stream: "round-\(round)", batches: 1_000_000, perBatch: 1 + round % 4)
            // Wait until it is appending (a busy machine starts it slowly), then kill it at
            // a random moment while it goes on.
            var waited = 0
            while try writer.acknowledged().isEmpty, writer.process.isRunning, waited < 1_000 {
                usleep(5_000)
                waited += 1
            }
            usleep(useconds_t.random(in: 0...150_000))
            writer.kill()
            #expect(writer.process.terminationReason == .uncaughtSignal)
            let acked = try writer.acknowledged()
            if !acked.isEmpty { killedWhileWriting += 1 }
            if try writer.endsInsideABatch() { killedInsideAnAppend += 1 }
            acknowledged.merge(acked) { first, _ in first }

            let log = try openLog(folder)
            let report = try log.verify()
            #expect(report.isValid, "round \(round): \(String(describing: report.failure))")
            #expect(report.head.position >= (acknowledged.keys.max() ?? 0))
            try log.read { reader throws in
                for (position, id) in acknowledged {
                    #expect(try reader.event(at: position)?.eventId == id, "round \(round), position \(position)")
                }
            }
        }
        #expect(killedWhileWriting == rounds, "every kill lands while the writer is appending")
        // An append is most of the writer's time (its flush): most kills land inside one.
        #expect(killedInsideAnAppend >= rounds / 2, "only \(killedInsideAnAppend) of \(rounds) kills landed inside an append")
    }

    @Test("two processes append at once: both succeed, positions stay gapless, the chain valid")
    func concurrentWriters() throws {
        let folder = TemporaryFolder()
        _ = try openLog(folder)  // create the store first, so neither writer races to create it
        let writers = try ["left", "right"].map { stream in
            try StressProcess(
                store: folder.path, stream: stream, batches: 150, perBatch: 3, extra: ["--map-bytes", "131072"])
        }
        // Readers never wait for the writers: read while they run.
        var heads: [UInt64] = []
        do {
            let log = try openLog(folder) { $0.environment.readOnly = true }
            let deadline = Date().addingTimeInterval(120)
            while writers.contains(where: { $0.process.isRunning }), Date() < deadline {
                heads.append(try log.head().position)
                usleep(2_000)
            }
        }
        for writer in writers {
            try waitForExit(writer.process, timeLimit: 10)
            #expect(writer.process.terminationStatus == 0)
        }
        #expect(heads == heads.sorted(), "the head never moves backwards")
        let log = try openLog(folder)
        let report = try log.verify()
        #expect(report.isValid, "\(String(describing: report.failure))")
        #expect(report.head.position == 900)
        for (writer, stream) in zip(writers, ["left", "right"]) {
            let acked = try writer.acknowledged()
            #expect(acked.count == 450)
            let events = try log.read { try $0.events(inStream: stream) }
            #expect(events.map(\.streamVersion) == Array(1...450))
            #expect(Set(events.map(\.position)) == Set(acked.keys))
            #expect(Dictionary(uniqueKeysWithValues: events.map { ($0.position, $0.eventId) }) == acked)
        }
    }
}

@Suite("Reader slots and snapshots", .serialized)
struct ReaderSlotTests {
    @Test("reader slots left by killed processes are cleared when a store is opened")
    func staleReaderSlotsCleared() throws {
        let folder = TemporaryFolder()
        // This process keeps the store open throughout, so the reader table in the
        // lock file outlives each child; it has room for 4 readers.
        let log = try openLog(folder) { $0.environment.readerCountMax = 4 }
        try log.append([sampleEvent(1)], to: "s", actor: "a")
        for round in 0..<8 {
            let holder = try StressProcess(store: folder.path, stream: "--hold-read", batches: 0, perBatch: 0)
            var waited = 0
            while try !String(contentsOfFile: holder.outputPath, encoding: .utf8).hasPrefix("holding"), waited < 500 {
                #expect(holder.process.isRunning, "round \(round): the reader could not take a slot")
                usleep(10_000)
                waited += 1
            }
            #expect(try String(contentsOfFile: holder.outputPath, encoding: .utf8) == "holding 1\n")
            holder.kill()
        }
        #expect(try log.environment.clearStaleReaders() == 1)
        #expect(try log.head().position == 1)
    }

    @Test("a reader keeps its snapshot while the writer commits, and does not block it")
    func snapshotIsolation() throws {
        let folder = TemporaryFolder()
        let log = try openLog(folder)
        try log.append([sampleEvent(1)], to: "s", actor: "a")
        try log.read { reader throws in
            // The writer commits while this snapshot is open.
            try log.append((2...50).map { sampleEvent($0) }, to: "s", actor: "a")
            #expect(try reader.head().position == 1)
            #expect(try reader.event(at: 2) == nil)
        }
        #expect(try log.head().position == 50)
    }
}
