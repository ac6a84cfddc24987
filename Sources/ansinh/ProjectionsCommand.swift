import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct ProjectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections", abstract: "List and rebuild the read models.", subcommands: [List.self, Rebuild.self])

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The read models: name, layout, the position each has folded, and what each answers.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger(readOnly: true)
                let status = try ledger.readModelStatus()
                var rows = Listing([
                    ("name", "Read model"), ("layoutVersion", "Layout"), ("checkpoint", "At position"), ("answers", "Answers"),
                ])
                for (description, model) in zip(ledger.readModelDescriptions, status.readModels) {
                    rows.append([
                        .text(description.name), .integer(Int64(description.layoutVersion)), .integer(Int64(model.checkpoint)),
                        .text(description.answers),
                    ])
                }
                output.print(rows)
            }
        }
    }

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Empty a read model (every one without NAME) and fold the log into it again from position 1.",
            discussion: """
                The fold goes on in transactions of a bounded size, so memory stays flat however long the log. \
                Meanwhile queries of the store answer "rebuilding: read models at position N" rather than partial \
                figures, and a command that records first brings the read models up to date. An interrupted rebuild \
                resumes where it stopped the next time the store is opened for writing (or run this again).
                """)
        @Argument(help: ArgumentHelp("The read model to rebuild (see `ansinh projections list`).", valueName: "name"))
        var name: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                if let name, !ledger.readModelDescriptions.contains(where: { $0.name == name }) {
                    let known = ledger.readModelDescriptions.map(\.name).joined(separator: ", ")
                    throw Failure(message: "there is no read model named \(name); the read models are \(known)", status: ExitStatus.usage)
                }
                let bar = ProgressBar("Rebuilding")
                try TestMarkers.around("rebuild") {
                    try ledger.rebuildProjections(named: name.map { [$0] }) { done, total in bar.update(Int(done), of: Int(total)) }
                }
                bar.finish()
                let what = name.map { "the \($0) read model" } ?? "the projections"
                emit("Rebuilt \(what) from \(try ledger.head().position) events.\n")
            }
        }
    }
}
