import Foundation
import TestSupport
import Testing

/// Short runs of the tools in tools/reliability/, against the built ansinh; the long
/// runs, and their figures, are in RELIABILITY.md. Each tool exits 0 only when it
/// found nothing wrong, and names the seed, round and invariant otherwise.
@Suite("Reliability tools, short runs", .serialized)
struct ReliabilityToolTests {
    func runTool(_ name: String, _ arguments: [String], timeLimit: Double = 600) throws -> (status: Int32, output: String) {
        try runProcess(
            "/usr/bin/env",
            ["python3", packageRoot.appendingPathComponent("tools/reliability/" + name).path, "--ansinh", ansinhExecutable.path] + arguments,
            timeLimit: timeLimit)
    }

    @Test("SIGKILL inside appends, imports, rebuilds, exports and backups loses nothing and leaves nothing half-done")
    func crashCampaign() throws {
        let (status, output) = try runTool("crash_campaign.py", ["--rounds", "10", "--seed", "7", "--import-lines", "500", "--min-inside", "2"])
        #expect(status == 0, "\(output)")
        // Each operation was killed at least twice between its markers: after it began to
        // write, before it was complete (the tool also fails otherwise).
        for operation in ["append", "import", "rebuild", "export", "backup"] {
            let inside = output.firstMatch(of: try Regex("\\n  \(operation): [0-9]+ rounds \\(inside ([0-9]+),"))
                .flatMap { Int($0.output[1].substring ?? "") }
            #expect((inside ?? 0) >= 2, "\(operation) was killed inside only \(inside ?? 0) times: \(output)")
        }
    }

    @Test("mutated import files through the command line: a clean import or a refusal naming the line, nothing partial")
    func importFuzzer() throws {
        let (status, output) = try runTool("fuzz_import.py", ["--cases", "80", "--seed", "7", "--audit-every", "40"])
        #expect(status == 0, "\(output)")
    }

    @Test("damaged copies of a store: every command ends in one line and exit 0, 1 or 74, never a signal, never a write when it refuses")
    func damageCampaign() throws {
        let (status, output) = try runTool("damage_campaign.py", ["--cases", "25", "--seed", "7"])
        #expect(status == 0, "\(output)")
        #expect(output.contains(", 0 killed by a signal"), "\(output)")
        for kind in ["truncate", "zero", "flip", "empty", "swap"] {
            // Among its outcomes (an audit may find a case first, exit 1), some case of each kind ends in exit 74.
            #expect(output.range(of: "  \(kind) +[^\n]*found \\(exit 74\\): [1-9]", options: .regularExpression) != nil, "\(kind): \(output)")
        }
    }

    @Test("several processes recording, importing, exporting, querying and auditing one store at once")
    func concurrency() throws {
        let (status, output) = try runTool(
            "concurrency.py", ["--seconds", "6", "--processes", "4", "--seed", "7", "--min-acknowledged", "40"])
        #expect(status == 0, "\(output)")
        // The tool also fails unless the four writers' positions interleave.
        let acknowledged = output.firstMatch(of: /, ([0-9]+) acknowledged events \(([0-9]+) changes of writer/)
        #expect(Int(acknowledged?.output.1 ?? "") ?? 0 >= 40, "\(output)")
        #expect(Int(acknowledged?.output.2 ?? "") ?? 0 >= 3, "\(output)")
    }
}
