import Foundation
import TestSupport
import Testing

/// Short runs of the tools in tools/reliability/, against the built ansinh; the long
/// runs, and their figures, are in RELIABILITY.md. Each tool exits 0 only when it
/// found nothing wrong, and names the seed, round and invariant otherwise.
@Suite("Reliability tools, short runs", .serialized)
struct ReliabilityToolTests {
    func runTool(_ name: String, _ arguments: [String]) throws -> (status: Int32, output: String) {
        try runProcess(
            "/usr/bin/env",
            ["python3", packageRoot.appendingPathComponent("tools/reliability/" + name).path, "--ansinh", ansinhExecutable.path] + arguments)
    }

    @Test("SIGKILL during appends, imports, rebuilds, exports and backups loses nothing and leaves nothing half-done")
    func crashCampaign() throws {
        let (status, output) = try runTool("crash_campaign.py", ["--rounds", "15", "--seed", "7", "--import-lines", "500"])
        #expect(status == 0, "\(output)")
        for operation in ["append", "import", "rebuild", "export", "backup"] {
            #expect(output.range(of: "\(operation): [1-9][0-9]* rounds", options: .regularExpression) != nil,
                    "\(operation) was not exercised: \(output)")
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
            #expect(output.range(of: "  \(kind) +found \\(exit 74\\): [1-9]", options: .regularExpression) != nil, "\(kind): \(output)")
        }
    }

    @Test("several processes recording, importing, exporting, querying and auditing one store at once")
    func concurrency() throws {
        let (status, output) = try runTool("concurrency.py", ["--seconds", "6", "--processes", "4", "--seed", "7"])
        #expect(status == 0, "\(output)")
    }
}
