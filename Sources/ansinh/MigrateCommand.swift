import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

/// `ansinh migrate`: a store of format 1 into a new one that seals people's names.
struct Migrate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Replay a store that keeps people's names in the clear (format 1) into a new store that seals them (format 2).",
        discussion: """
            The new store's first event records the old store's head (position and hash); every old event \
            follows one position later, with its event id, recorder and instant, its names sealed under each \
            person's key. A check then compares the two stores event by event: ids, types, dates, amounts and \
            names. The old store is only read: keep it, or destroy it, as the ward's policy says.
            """)
    @Option(help: ArgumentHelp("The store to migrate.", valueName: "folder")) var from: String
    @Option(help: ArgumentHelp("The new store's folder.", valueName: "folder")) var to: String

    func run() throws {
        try reportingFailures {
            try refuseFile(at: from)
            let bar = ProgressBar("Migrating")
            let report = try Migration.migrate(from: from, to: to) { done, total in bar.update(Int(done), of: Int(total)) }
            bar.finish()
            emit(
                "Migrated \(report.eventsMigrated) events from \(from) (head \(report.oldHead.position), hash \(report.oldHead.hash.hex)) into \(to)."
                    + "\nThe new store seals the names of \(report.subjects) people; its first event records the old head."
                    + "\nChecked: every old event maps to its new one (same id, type, recorder, instant, date, amount and names)."
                    + "\nNew head: position \(report.newHead.position), hash \(report.newHead.hash.hex)\n")
        }
    }
}
