import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct ProjectionsCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "projections", abstract: "Maintain the projections.", subcommands: [Rebuild.self])

    struct Rebuild: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Rebuild every projection from position 1, in one transaction: readers see the old ones until it ends.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                let bar = ProgressBar("Rebuilding")
                try TestMarkers.around("rebuild") {
                    try ledger.rebuildProjections { done, total in bar.update(Int(done), of: Int(total)) }
                }
                bar.finish()
                emit("Rebuilt the projections from \(try ledger.head().position) events.\n")
            }
        }
    }
}
