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
            let target = URL(fileURLWithPath: out).standardizedFileURL
            guard !FileManager.default.fileExists(atPath: out) else { throw ExportError.exists(target.path) }
            let checksum = Backups.checksumPath(for: target.path)
            guard !FileManager.default.fileExists(atPath: checksum) else { throw ExportError.exists(checksum) }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try TestMarkers.around("backup") {
                let partial = PartialWrite.start(for: target).path
                let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else {
                    throw Failure(message: "cannot create \(partial): \(String(cString: strerror(errno)))", status: ExitStatus.storeProblem)
                }
                do {
                    do {
                        defer { close(descriptor) }
                        try ledger.copyStore(toFileDescriptor: descriptor)
                        guard fsync(descriptor) == 0 else {
                            throw Failure(message: "cannot flush \(partial): \(String(cString: strerror(errno)))", status: ExitStatus.storeProblem)
                        }
                    }
                    // The data first, then its checksum: of two backups to one path at once, the
                    // one whose data lands writes the checksum; a kill in between leaves a backup
                    // without one (restore then asks for --without-checksum), never a checksum
                    // that blocks the next backup.
                    try PartialWrite.finish(URL(fileURLWithPath: partial), onto: target)
                    try Backups.writeChecksum(of: target.path, as: target.path)
                } catch {
                    try? FileManager.default.removeItem(atPath: partial)
                    throw error
                }
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            emit(
                "Backed up position \(try ledger.head().position) to \(out) (\(VND(Int64(bytes)).grouped) bytes), "
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
