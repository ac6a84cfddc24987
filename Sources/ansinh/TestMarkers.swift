import Foundation

/// For tests only: with `ANSINH_TEST_MARKERS=FILE`, a command appends `start NAME SECONDS`
/// to FILE just before its operation begins to write (a transaction, an export's or a
/// backup's files) and `done NAME SECONDS` once the operation is complete (committed,
/// renamed into place), or `fail NAME SECONDS` when it was refused or failed; SECONDS is
/// the monotonic clock (`CLOCK_MONOTONIC`). A crash test
/// that kills the command then knows whether the kill landed inside the operation (a
/// `start` without its `done`), and learns when to aim.
enum TestMarkers {
    private static let path: String? = ProcessInfo.processInfo.environment["ANSINH_TEST_MARKERS"].flatMap {
        $0.isEmpty ? nil : $0
    }

    /// Runs `body` between a `start` and a `done` marker for `operation`.
    static func around<T>(_ operation: String, _ body: () throws -> T) rethrows -> T {
        guard let path else { return try body() }
        append("start \(operation) \(monotonicSeconds())\n", to: path)
        let result: T
        do {
            result = try body()
        } catch {
            append("fail \(operation) \(monotonicSeconds())\n", to: path)
            throw error
        }
        append("done \(operation) \(monotonicSeconds())\n", to: path)
        return result
    }

    private static func monotonicSeconds() -> String {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        let micros = Int(spec.tv_nsec) / 1_000
        return "\(spec.tv_sec)." + String(repeating: "0", count: 6 - String(micros).count) + String(micros)
    }

    /// One `write` to a file opened for appending: a marker is never half there.
    private static func append(_ line: String, to path: String) {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_APPEND | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { return }
        defer { close(descriptor) }
        _ = line.utf8CString.withUnsafeBufferPointer { write(descriptor, $0.baseAddress, $0.count - 1) }
    }
}
