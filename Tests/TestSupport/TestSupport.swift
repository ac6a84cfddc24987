import Foundation

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

/// Runs `executable` with `arguments` and `environment` (added to this process's),
/// and returns its exit status and everything it printed, standard error included.
public func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws
    -> (status: Int32, output: String)
{
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    process.environment = ProcessInfo.processInfo.environment.merging(environment) { $1 }
    let pipe = Pipe()
    process.standardOutput = pipe
    process.standardError = pipe
    try process.run()
    let output = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    return (process.terminationStatus, output)
}

/// Runs Python 3 with `arguments` (the project's tools check ansinh's output independently).
public func python(_ arguments: [String]) throws -> (status: Int32, output: String) {
    try runProcess("/usr/bin/env", ["python3"] + arguments)
}
