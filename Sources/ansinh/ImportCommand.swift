import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Import events from a JSON Lines file, all or nothing.",
        discussion: """
            One event a line: {"type": "DisbursementMade", "data": {…}, "eventId": "…optional UUID…"}.
            Every line is checked first; a bad one is reported by its number and field, and
            nothing is written. Lines with event ids can be imported again without effect.
            The store's data file is walked page by page first: a damaged one is refused (exit 74).
            """)
    @Argument(help: "The file, or - for standard input.") var file: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            // A bulk write reads indexes all over the store: its pages are walked first,
            // so a damaged index cannot let an event already stored be recorded again.
            _ = try store.checkStructure()
            let ledger = try store.openLedger()
            let summary = try importFile(file, into: ledger, actor: store.actorName)
            emit(
                "Imported \(summary.eventLines) events: \(summary.recorded) recorded"
                    + (summary.alreadyStored > 0 ? ", \(summary.alreadyStored) already recorded" : "")
                    + (summary.lastPosition.map { "; head position \($0)" } ?? "") + ".\n")
        }
    }
}

/// Reads and imports a JSON Lines file (or standard input), with a progress bar on a terminal.
func importFile(_ file: String, into ledger: Ledger, actor: String) throws -> ImportSummary {
    let limit = ImportLimits.fileBytesMax
    let tooLarge = Failure(
        message: "\(file == "-" ? "standard input" : file) holds more than \(limit) bytes (512 MiB), the limit of one import; "
            + "split it into smaller files", status: ExitStatus.refused)
    let handle: FileHandle
    if file == "-" {
        handle = FileHandle.standardInput
    } else {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: file, isDirectory: &isFolder) else {
            throw Failure(message: "cannot read \(file): no such file", status: ExitStatus.refused)
        }
        guard !isFolder.boolValue else { throw Failure(message: "cannot read \(file): it is a folder", status: ExitStatus.refused) }
        guard let opened = FileHandle(forReadingAtPath: file) else {
            throw Failure(message: "cannot read \(file): \(String(cString: strerror(errno)))", status: ExitStatus.refused)
        }
        handle = opened
    }
    defer { if file != "-" { try? handle.close() } }
    // Read in chunks up to the limit: a pipe, /dev/stdin or <(zcat …) has no size to ask.
    var data = Data()
    while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty {
        data.append(chunk)
        guard data.count <= limit else { throw tooLarge }
    }
    let checking = ProgressBar("Checking ")
    let recording = ProgressBar("Recording")
    defer {
        checking.finish()
        recording.finish()
    }
    return try TestMarkers.around("import") {
        try ledger.importLines([UInt8](data), actor: actor) { phase, done, total in
            switch phase {
            case .checking: checking.update(done, of: total)
            case .recording:
                checking.finish()
                recording.update(done, of: total)
            }
        }
    }
}
