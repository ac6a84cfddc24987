import Foundation
import TestSupport
import Testing

/// The result of running the built `ansinh`.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// "Today" for every command the tests run (`ANSINH_TEST_TODAY`): the clock stands at
/// noon in Vietnam that day, so no test depends on when it runs. A test that needs the
/// real clock passes `ANSINH_TEST_TODAY: ""`.
let testToday = "2025-01-15"

/// Runs `ansinh` with `arguments`, standard input from `input`, in `directory`. A run
/// longer than `timeLimit` seconds is killed, and fails the test.
func ansinh(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:], in directory: String? = nil,
            timeLimit: Double = 120) throws -> Run {
    let process = Process()
    process.executableURL = ansinhExecutable
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "ANSINH_STORE")
    merged.removeValue(forKey: "ANSINH_ACTOR")
    merged["ANSINH_TEST_TODAY"] = testToday
    merged["USER"] = "thu-ky"
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    // Standard input, output and error are files: a large output can block nothing, and
    // the wait keeps its deadline.
    let inputFile = temporaryOutputFile(), outputFile = temporaryOutputFile(), errorFile = temporaryOutputFile()
    defer { for file in [inputFile, outputFile, errorFile] { try? FileManager.default.removeItem(at: file) } }
    if let input { try input.write(to: inputFile) }
    let handles = try (FileHandle(forReadingFrom: inputFile), FileHandle(forWritingTo: outputFile), FileHandle(forWritingTo: errorFile))
    defer { for handle in [handles.0, handles.1, handles.2] { try? handle.close() } }
    process.standardInput = handles.0
    process.standardOutput = handles.1
    process.standardError = handles.2
    try process.run()
    try waitForExit(process, timeLimit: timeLimit)
    return Run(
        status: process.terminationStatus, stdout: String(decoding: try Data(contentsOf: outputFile), as: UTF8.self),
        stderr: String(decoding: try Data(contentsOf: errorFile), as: UTF8.self))
}

/// A temporary folder for a store, removed when released.
final class StoreFolder {
    let path: String

    init() {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-cli-\(UUID().uuidString.prefix(8))").path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    /// `ansinh ARGUMENTS --store PATH`.
    func run(_ arguments: String..., input: Data? = nil, actor: String = "lan") throws -> Run {
        try ansinh(arguments + ["--store", path, "--actor", actor], input: input)
    }

    /// A store created with `ansinh init`.
    static func initialised() throws -> StoreFolder {
        let folder = StoreFolder()
        let run = try ansinh(["init", "--ward", "Núi Sam", "--province", "An Giang", "--store", folder.path])
        #expect(run.status == 0, "\(run.stderr)")
        return folder
    }
}

/// Runs ansinh under a pseudo-terminal with util-linux's `script`; what it printed, both streams.
func onTerminal(_ arguments: [String]) throws -> (status: Int32, output: String) {
    let quoted = ([ansinhExecutable.path] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let process = Process()
    var environment = ProcessInfo.processInfo.environment
    environment["ANSINH_TEST_TODAY"] = testToday
    process.environment = environment
    process.executableURL = URL(fileURLWithPath: "/usr/bin/script")
    process.arguments = ["-qec", quoted.joined(separator: " "), "/dev/null"]
    let output = temporaryOutputFile()
    defer { try? FileManager.default.removeItem(at: output) }
    let handle = try FileHandle(forWritingTo: output)
    defer { try? handle.close() }
    process.standardOutput = handle
    process.standardInput = FileHandle.nullDevice
    try process.run()
    try waitForExit(process, timeLimit: 120)
    return (process.terminationStatus, String(decoding: try Data(contentsOf: output), as: UTF8.self))
}
