import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a compacted copy of the store's data file while clerks go on writing, with its SHA-256 beside it.",
        discussion: """
            Writes FILE and FILE.sha256 (as `sha256sum -c` reads it). `ansinh restore --from FILE --to FOLDER` \
            checks both, the file's structure and its history before the copy becomes a store.
            """)
    @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var out: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            _ = try store.checkStructure()  // a backup of a damaged store would keep the damage
            let ledger = try store.openLedger(readOnly: true)
            let head = try TestMarkers.around("backup") { try Backups.backUp(ledger, to: out) }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            emit(
                "Backed up position \(head) to \(out) (\(VND(Int64(bytes)).grouped) bytes), "
                    + "its SHA-256 in \(Backups.checksumPath(for: out)).\n")
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a store from a backup, after checking its SHA-256, its structure and its history.",
        discussion: """
            Checks FILE against FILE.sha256, copies it beside FOLDER, walks every page of the copy and audits \
            it (the chain, every event against the rules, the projections against a replay), and only then \
            renames the copy to FOLDER. It never overwrites a store: FOLDER must not exist, or be empty. \
            Nothing is left behind when a check fails.
            """)
    @Option(help: ArgumentHelp("The backup file, written by `ansinh backup`.", valueName: "file")) var from: String
    @Option(help: ArgumentHelp("The folder the store is restored to: new, or empty.", valueName: "folder")) var to: String
    @Flag(help: "Restore a backup that has no FILE.sha256 beside it (one written before backups carried it).")
    var withoutChecksum = false

    func run() throws {
        try reportingFailures {
            let report: Backups.RestoreReport
            do {
                report = try Backups.restore(from: from, to: to, checksum: !withoutChecksum)
            } catch let problem as AuditProblem {
                throw Failure(message: "\(from) fails the audit, so nothing was restored: \(problem)", status: ExitStatus.auditFailed)
            }
            emit(
                "Restored \(from) to \(to): "
                    + (report.checksumChecked ? "its SHA-256 matches; " : "no checksum checked; ")
                    + "\(report.structure.pagesReached) pages in \(report.structure.databases.count) databases hold their structure; "
                    + "\(report.audit.eventsChecked) events pass the audit, head position \(report.audit.head.position), "
                    + "hash \(report.audit.head.hash.hex).\n")
        }
    }
}
