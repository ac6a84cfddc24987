import Foundation
import TestSupport
import Testing

/// Whether strace (Debian's `strace` package) is installed and may trace a child here:
/// some containers forbid ptrace.
let straceAvailable: Bool = {
    guard let (status, _) = try? runProcess("/usr/bin/env", ["strace", "-f", "-o", "/dev/null", "-e", "trace=none", "true"])
    else { return false }
    return status == 0
}()

/// tools/reliability/durability.py against the built binaries: recordings of every kind
/// and an import run under strace; the data file is rebuilt as a power cut would leave it
/// (only the writes flushed by then) at every flush and every acknowledgement, and must
/// pass the audit and hold every acknowledged event. RELIABILITY.md has the tool's figures.
@Suite("Durability against power loss")
struct DurabilityTests {
    @Test(
        "an acknowledged event is in the data file a power cut would leave, at every flush and acknowledgement; writers that skip the flush are caught",
        .enabled(if: straceAvailable, "needs strace (apt-get install strace) and permission to trace a child process (ptrace)"))
    func powerCutLeavesEveryAcknowledgedEvent() throws {
        let logstress = ansinhExecutable.deletingLastPathComponent().appendingPathComponent("ansinh-logstress")
        let (status, output) = try runProcess(
            "/usr/bin/env",
            [
                "python3", packageRoot.appendingPathComponent("tools/reliability/durability.py").path,
                "--ansinh", ansinhExecutable.path, "--logstress", logstress.path,
                "--seed", "7", "--import-lines", "200", "--batches", "6",
            ])
        #expect(status == 0, "\(output)")
        // The init, 16 recordings and the import, logstress with sync, and the two controls.
        #expect(figure("commands traced", in: output) ?? 0 >= 21, "\(output)")
        #expect(figure("acknowledgements of", in: output) ?? 0 >= 20, "\(output)")
        #expect(figure("writes through O_DSYNC", in: output, after: "fdatasync or fsync, ") ?? 0 >= 20, "\(output)")
        #expect(figure("power-cut images checked", in: output) ?? 0 >= 60, "\(output)")
        // A writer with MDB_NOSYNC, and one whose fdatasync strace skipped, must both be caught.
        #expect(output.contains("controls caught: 2 of 2"), "\(output)")
        #expect(figure("acknowledged events missing", in: output, after: "no-sync: ") ?? 0 >= 1, "\(output)")
        #expect(figure("acknowledged events missing", in: output, after: "skipped-fdatasync: ") ?? 0 >= 1, "\(output)")
    }

    /// The number printed just before `label` (after `prefix`, when given) in the summary.
    func figure(_ label: String, in output: String, after prefix: String = "") -> Int? {
        let pattern = NSRegularExpression.escapedPattern(for: prefix) + "[0-9]+ " + NSRegularExpression.escapedPattern(for: label)
        guard let range = output.range(of: pattern, options: .regularExpression) else { return nil }
        return Int(output[range].dropFirst(prefix.count).prefix { $0.isNumber })
    }
}
