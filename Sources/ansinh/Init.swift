import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Init: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Create a store for a ward.")
    @Option(help: "The ward's name, such as 'Núi Sam'.") var ward: String
    @Option(help: "The province, such as 'An Giang'.") var province: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            let (ward, province) = (ward.precomposedStringWithCanonicalMapping, province.precomposedStringWithCanonicalMapping)
            try create(store.storePath, ward: ward, province: province)
            emit("Created the store for phường \(ward), \(province) at \(store.storePath).\n")
        }
    }
}

/// Creates a store (refusing one that already exists) and records the ward's name.
/// Creating takes a few transactions: a store whose creation was cut short (no province
/// recorded yet, no event) is finished, not refused, so that running `init` again after
/// a crash or a power cut completes it.
func create(_ path: String, ward: String, province: String) throws {
    try refuseFile(at: path)
    if EventLog.storeExists(at: path) {
        let existing = try Ledger(path: path, options: { var options = EventLog.Options(); options.createIfMissing = false; return options }())
        let unfinished = try existing.setting("province") == nil && existing.head().position == 0
        guard unfinished else { throw Failure(message: "a store already exists at \(path)", status: ExitStatus.conflict) }
    }
    let ledger = try Ledger(path: path)
    try ledger.setSetting("ward", to: ward.precomposedStringWithCanonicalMapping)
    try ledger.setSetting("province", to: province.precomposedStringWithCanonicalMapping)
}

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
