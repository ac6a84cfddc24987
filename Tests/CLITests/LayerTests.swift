import Foundation
import TestSupport
import Testing

/// The layers in Package.swift, held by a test: above the event log, nothing names the
/// storage engine. The ledger's read models live in the log's ``Tables``.
@Suite("Layers")
struct LayerTests {
    /// The source folders that must not import LMDB, nor name its files.
    static let storageNeutral = ["Sources/ansinh", "Sources/LedgerTools", "Sources/Ledger"]

    static func sources(in folder: String) throws -> [(name: String, text: String)] {
        let root = packageRoot.appendingPathComponent(folder)
        let names = try FileManager.default.subpathsOfDirectory(atPath: root.path).filter { $0.hasSuffix(".swift") }.sorted()
        return try names.map { ($0, try String(contentsOf: root.appendingPathComponent($0), encoding: .utf8)) }
    }

    @Test("the ledger, its tools and the command line import no LMDB and name none of its files")
    func noStorageEngineAbove() throws {
        var checked = 0
        for folder in Self.storageNeutral {
            for (name, text) in try Self.sources(in: folder) {
                checked += 1
                for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                    let trimmed = line.trimmingCharacters(in: .whitespaces)
                    #expect(trimmed.wholeMatch(of: /(@testable\s+)?import\s+C?LMDB/) == nil, "\(folder)/\(name):\(number + 1) imports LMDB")
                    #expect(!line.contains("data.mdb") && !line.contains("lock.mdb"), "\(folder)/\(name):\(number + 1) names a file of LMDB's")
                    #expect(!line.contains("LMDBError"), "\(folder)/\(name):\(number + 1) matches on LMDB's errors")
                }
            }
        }
        #expect(checked >= 20, "the scan found only \(checked) files: is the package root right?")
    }

    @Test("every read model folds in a file of its own, is registered, and switches over events with no default branch")
    func readModelsSayWhatEachEventDoes() throws {
        let files = try Self.sources(in: "Sources/Ledger/ReadModels").filter { $0.name.hasSuffix("ReadModel.swift") && $0.name != "ReadModel.swift" }
        let registry = try String(
            contentsOf: packageRoot.appendingPathComponent("Sources/Ledger/ReadModels/ReadModel.swift"), encoding: .utf8)
        #expect(files.count >= 8, "found \(files.count) read model files")
        for (name, text) in files {
            let type = String(name.dropLast(".swift".count))
            #expect(text.contains("struct \(type): LedgerReadModel"), "\(name) declares \(type)")
            #expect(registry.contains("\(type).self"), "\(type) is registered in LedgerReadModels.types")
            #expect(text.contains("switch event"), "\(name) switches over the event")
            for (number, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
                #expect(line.wholeMatch(of: /\s*(@unknown\s+)?default\s*:.*/) == nil, "\(name):\(number + 1) has a default branch")
            }
        }
    }

    @Test("every event type is declared in a file of its own, with a schema for each of its versions")
    func oneDeclarationPerEventType() throws {
        let files = try Self.sources(in: "Sources/Ledger/Events").filter { $0.name != "EventDeclaration.swift" }
        let catalogue = try String(contentsOf: packageRoot.appendingPathComponent("Sources/Ledger/LedgerEvent.swift"), encoding: .utf8)
        let cases = catalogue.matches(of: /case \w+ = "(\w+)"/).map { String($0.output.1) }
        #expect(cases.count >= 13, "found \(cases.count) event types")
        #expect(Set(files.map { String($0.name.dropLast(".swift".count)) }) == Set(cases), "one file per event type, named after it")
        for (name, text) in files {
            let type = String(name.dropLast(".swift".count))
            #expect(text.contains("public struct \(type):") && text.contains("extension \(type): EventDeclaration"), "\(name)")
            let version = text.firstMatch(of: /currentSchemaVersion: UInt32 = (\d+)/).flatMap { Int($0.output.1) } ?? 1
            for schemaVersion in 1...version {
                let schema = packageRoot.appendingPathComponent("Schemas/\(type).v\(schemaVersion).schema.json").path
                #expect(FileManager.default.fileExists(atPath: schema), "\(type) v\(schemaVersion) has no schema")
            }
        }
    }
}
