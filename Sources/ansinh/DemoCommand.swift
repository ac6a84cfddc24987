import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Load the ward of Núi Sam's 2024 figures into a store and print its report and piggy-bank summary.",
        discussion: """
            The demo's event files ship with the program, in ansinh_ansinh.resources beside it: copy \
            that folder along with the program. --data names \
            another folder holding nui-sam-2024.jsonl and piggybank-2024.jsonl. Running it again on the \
            same store changes nothing.
            """)
    @OptionGroup var store: StoreOptions
    @Option(help: ArgumentHelp("The folder holding the demo files.", valueName: "folder")) var data: String?

    func run() throws {
        try reportingFailures {
            let folder = try demoFolder()
            let path = store.storePath
            if !EventLog.storeExists(at: path) {
                try create(path, ward: "Núi Sam", province: "An Giang")
            }
            let ledger = try store.openLedger()
            for file in ["nui-sam-2024.jsonl", "piggybank-2024.jsonl"] {
                do {
                    let summary = try importFile(folder + "/" + file, into: ledger, actor: "demo")
                    emit("Imported \(file): \(summary.recorded) recorded, \(summary.alreadyStored) already there.\n")
                } catch let error as ImportError {
                    throw Failure(
                        message: "\(path) already holds other entries (\(file) \(error)); run the demo on a new store with --store PATH",
                        status: ExitStatus.conflict)
                }
            }
            emit("\n")
            let report = try ledger.periodReport(from: LocalDate("2024-01-01")!, to: LocalDate("2024-09-30")!)
            emit(vietnameseReport(report, ward: try ledger.ward() ?? "Núi Sam"))
            emit("\n")
            if let summary = try ledger.piggyBankSummary("ong-heo-2024") {
                emit(piggyBankText(summary))
            }
        }
    }

    /// The folder holding the demo's event files: --data, else the resources shipped beside
    /// the program (where the build puts them, and where the README's install copies them).
    private func demoFolder() throws -> String {
        var candidates: [String] = []
        if let data { candidates.append(data) }
        let program = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath().deletingLastPathComponent()
        candidates.append(program.appendingPathComponent("ansinh_ansinh.resources/Demo").path)
        if let executable = Bundle.main.executableURL?.resolvingSymlinksInPath().deletingLastPathComponent() {
            candidates.append(executable.appendingPathComponent("ansinh_ansinh.resources/Demo").path)
        }
        for candidate in candidates where FileManager.default.fileExists(atPath: candidate + "/nui-sam-2024.jsonl") {
            return candidate
        }
        throw Failure(
            message: data.map { "\($0) holds no nui-sam-2024.jsonl" }
                ?? "the demo's files are not installed beside ansinh: copy the folder ansinh_ansinh.resources from the build "
                + "folder next to the program, or give their folder with --data",
            status: ExitStatus.refused)
    }
}
