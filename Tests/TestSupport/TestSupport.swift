import Foundation

#if canImport(Glibc)
    import Glibc
#endif

/// The package's root folder (for Schemas/ and tools/).
public let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// The built `ansinh` next to the test bundle.
public let ansinhExecutable: URL = {
    var folder = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
    while folder.path != "/" {
        let candidate = folder.appendingPathComponent("ansinh")
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: candidate.path, isDirectory: &isFolder), !isFolder.boolValue {
            return candidate
        }
        folder.deleteLastPathComponent()
    }
    fatalError("the ansinh executable is not built next to the tests")
}()

/// A process a test started did not end within its time limit, and was killed.
public struct ProcessTimedOut: Error, CustomStringConvertible {
    public let command: String
    public let seconds: Double
    public var description: String { "\(command) did not end within \(Int(seconds)) s, and was killed" }
}

/// Waits until `process` (already started) ends, at most `timeLimit` seconds; after
/// that it is killed and the wait throws: a hung child fails its test instead of
/// stalling the run.
public func waitForExit(_ process: Process, timeLimit: Double) throws {
    let deadline = Date().addingTimeInterval(timeLimit)
    var pause: useconds_t = 1_000
    while process.isRunning {
        if Date() >= deadline {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            let command = ([process.executableURL?.lastPathComponent ?? "?"] + (process.arguments ?? [])).joined(separator: " ")
            throw ProcessTimedOut(command: command, seconds: timeLimit)
        }
        usleep(pause)
        pause = min(pause * 2, 50_000)
    }
    process.waitUntilExit()
}

/// Runs `executable` with `arguments` and `environment` (added to this process's),
/// and returns its exit status and everything it printed, standard error included.
/// It fails (throws) if the process runs longer than `timeLimit` seconds.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:],
                       timeLimit: Double = 300) throws -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    // The output goes to a file, not a pipe: nothing blocks on a full pipe, and the
    // wait below keeps its deadline even if the child never closes its output.
    let outputFile = temporaryOutputFile()
    defer { try? FileManager.default.removeItem(at: outputFile) }
    let handle = try FileHandle(forWritingTo: outputFile)
    defer { try? handle.close() }
    process.standardOutput = handle
    process.standardError = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    try waitForExit(process, timeLimit: timeLimit)
    return (process.terminationStatus, String(decoding: try Data(contentsOf: outputFile), as: UTF8.self))
}

/// An empty file for a child's output, in the temporary folder.
public func temporaryOutputFile() -> URL {
    let file = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-output-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: file.path, contents: nil)
    return file
}

/// Runs Python 3 with `arguments` (the project's tools check ansinh's output independently).
public func python(_ arguments: [String], timeLimit: Double = 300) throws -> (status: Int32, output: String) {
    try runProcess("/usr/bin/env", ["python3"] + arguments, timeLimit: timeLimit)
}
