import Foundation
import Testing

/// The result of running the built `ansinh`.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
}

/// The built `ansinh` next to the test bundle.
let ansinhExecutable: URL = {
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

let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
    .deletingLastPathComponent()

/// Runs `executable` with `arguments` and `environment` (added to this process's),
/// and returns its exit status and everything it printed, standard error included.
func runProcess(_ executable: String, _ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, output: String) {
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

/// Runs `ansinh` with `arguments`, standard input from `input`, in `directory`.
func ansinh(_ arguments: [String], input: Data? = nil, environment: [String: String] = [:], in directory: String? = nil) throws -> Run {
    let process = Process()
    process.executableURL = ansinhExecutable
    process.arguments = arguments
    var merged = ProcessInfo.processInfo.environment
    merged.removeValue(forKey: "ANSINH_STORE")
    merged.removeValue(forKey: "ANSINH_ACTOR")
    merged["USER"] = "thu-ky"
    for (key, value) in environment { merged[key] = value }
    process.environment = merged
    if let directory { process.currentDirectoryURL = URL(fileURLWithPath: directory) }
    let stdout = Pipe()
    let stdin = Pipe()
    // Standard error goes to a file, standard output to a pipe read to its end: a
    // large output can block neither.
    let errorFile = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-stderr-\(UUID().uuidString)")
    _ = FileManager.default.createFile(atPath: errorFile.path, contents: nil)
    defer { try? FileManager.default.removeItem(at: errorFile) }
    process.standardOutput = stdout
    process.standardError = try FileHandle(forWritingTo: errorFile)
    process.standardInput = stdin
    try process.run()
    if let input { stdin.fileHandleForWriting.write(input) }
    try stdin.fileHandleForWriting.close()
    let outputData = stdout.fileHandleForReading.readDataToEndOfFile()
    process.waitUntilExit()
    return Run(
        status: process.terminationStatus, stdout: String(decoding: outputData, as: UTF8.self),
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
