import Foundation
import TestSupport
import Testing

/// The result of running the built `ansinh`.
struct Run {
    let status: Int32
    let stdout: String
    let stderr: String
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
