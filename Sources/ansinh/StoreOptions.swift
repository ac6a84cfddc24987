import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

/// Where the store is and who is recording: shared by every command.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The store's folder (else $ANSINH_STORE, else ./ansinh-data).", valueName: "path"))
    var store: String?

    @Option(name: .long, help: ArgumentHelp("Who records (else $ANSINH_ACTOR, else the login name).", valueName: "name"))
    var actor: String?

    var storePath: String {
        store ?? ProcessInfo.processInfo.environment["ANSINH_STORE"].flatMap { $0.isEmpty ? nil : $0 } ?? "./ansinh-data"
    }

    var actorName: String {
        if let actor { return actor }
        if let name = ProcessInfo.processInfo.environment["ANSINH_ACTOR"], !name.isEmpty { return name }
        if let name = ProcessInfo.processInfo.environment["USER"] ?? ProcessInfo.processInfo.environment["LOGNAME"],
            !name.isEmpty
        {
            return name
        }
        return NSUserName()
    }

    /// Opens an existing store (queries and recording never create one).
    ///
    /// Opened read-only, a store whose read models are not current (an earlier version
    /// kept them in another layout, or a rebuild was interrupted) is first opened for
    /// writing, as any recording command would open it: that folds them up to the head
    /// from the log (the events are never rewritten), joining a rebuild under way. See
    /// ``ReadModelUpkeep`` for when that is skipped, or may fail.
    ///
    /// A store of format 1 (people's names in the clear) opens only with
    /// `openingFormat1`, for `audit verify` and `status`; every other command is told to
    /// migrate it.
    func openLedger(readOnly: Bool = false, upkeep: ReadModelUpkeep = .bringUpToDate, openingFormat1: Bool = false) throws -> Ledger {
        var options = TestClock.options()
        options.createIfMissing = false
        options.readOnly = readOnly
        try refuseFile(at: storePath)
        let ledger = try Ledger(path: storePath, options: options, openingFormat1: openingFormat1)
        guard readOnly, upkeep != .leaveAsTheyAre, try !ledger.readModelsCurrent() else { return ledger }
        do {
            options.readOnly = false
            _ = try Ledger(path: storePath, options: options, openingFormat1: openingFormat1)  // folds; closed again when it goes
        } catch StoreError.readOnlyFileSystem, StoreError.accessDenied {
            return ledger  // its queries say why they cannot answer
        } catch where upkeep == .tryBringingUpToDate {
            return ledger
        }
        options.readOnly = true
        return try Ledger(path: storePath, options: options, openingFormat1: openingFormat1)
    }
}

/// What opening a store read-only does about read models that are not current.
enum ReadModelUpkeep {
    /// Fold them up to the head first; a failure is reported (a query).
    case bringUpToDate
    /// Fold them up to the head if that works, and go on as they are if not: an audit
    /// then reports what stops the fold, with its position.
    case tryBringingUpToDate
    /// Show them as they are (the status, which shows a rebuild under way).
    case leaveAsTheyAre
}

extension StoreOptions {
    /// Walks every page of the store's data file, with a progress bar on a terminal.
    func checkStructure() throws -> StoreStructure {
        try refuseFile(at: storePath)
        let pages = ProgressBar("Pages   ")
        defer { pages.finish() }
        return try EventLog.checkStructure(path: storePath) { done, total in pages.update(Int(done), of: Int(total)) }
    }
}

/// A store is a folder: a path naming a file is a mistake worth saying plainly.
func refuseFile(at path: String) throws {
    var isFolder: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder), !isFolder.boolValue {
        throw Failure(message: "\(path) is a file; a store is a folder (give --store a folder's path)", status: ExitStatus.storeProblem)
    }
}

/// How queries print.
struct FormatOptions: ParsableArguments {
    @Option(name: .long, help: "table (default), json or csv; xlsx (with --out) for funds, report, fund show, member history and piggybank summary.")
    var format: OutputFormatArgument = .table

    @Flag(name: .long, help: "With --format csv: begin with a UTF-8 byte-order mark, so Excel shows Vietnamese correctly.")
    var excel = false

    @Option(help: ArgumentHelp("With --format xlsx: the new workbook to write.", valueName: "file"))
    var out: String?

    func validate() throws {
        if excel && format.value != .csv { throw ValidationError("--excel goes with --format csv") }
        if format.isWorkbook && out == nil { throw ValidationError("--format xlsx needs --out FILE, the workbook to write") }
        if !format.isWorkbook && out != nil { throw ValidationError("--out goes with --format xlsx") }
    }

    /// Prints `text`, with the byte-order mark when asked. A command that has no
    /// workbook form refuses `--format xlsx` here, before printing anything.
    func print(_ text: String) {
        if format.isWorkbook {
            FileHandle.standardError.write(
                Data("ansinh: --format xlsx is for funds, report, fund show, member history and piggybank summary; see `--help`\n".utf8))
            Foundation.exit(ExitStatus.usage)
        }
        emit((excel ? "\u{FEFF}" : "") + text)
    }

    /// Prints a listing in the format asked for, or writes it as a workbook.
    func print(_ listing: Listing) {
        if format.isWorkbook, let out {
            do {
                try writeWorkbook([("Bảng", listing)], to: out)
            } catch {
                let (message, status) = describe(error)
                FileHandle.standardError.write(Data("ansinh: \(message)\n".utf8))
                Foundation.exit(status)
            }
            return
        }
        print(listing.rendered(format.value))
    }

    /// Prints what a query shows, in the format asked for, or writes its workbook.
    func print(_ view: some QueryView) throws {
        if format.isWorkbook, let out { return try writeWorkbook(try view.sheets(), to: out) }
        print(try view.rendered(format.value))
    }

    /// Writes `sheets` to `out` and says so.
    func writeWorkbook(_ sheets: [(name: String, listing: Listing)], to out: String) throws {
        try Workbook.write(sheets, to: out)
        emit("Wrote \(out) (\(sheets.count) sheet\(sheets.count == 1 ? "" : "s"))\n")
    }
}

struct OutputFormatArgument: ExpressibleByArgument, Sendable {
    let value: OutputFormat
    /// `xlsx`: an Excel workbook, written to `--out` (``value`` is then `table`).
    var isWorkbook = false
    static let table = OutputFormatArgument(value: .table)

    init(value: OutputFormat) { self.value = value }

    init?(argument: String) {
        if argument == "xlsx" {
            value = .table
            isWorkbook = true
            return
        }
        guard let format = OutputFormat(rawValue: argument) else { return nil }
        value = format
    }

    static var allValueStrings: [String] { OutputFormat.allCases.map(\.rawValue) + ["xlsx"] }
    var defaultValueDescription: String { isWorkbook ? "xlsx" : value.rawValue }
}

extension LocalDate: ExpressibleByArgument {
    public init?(argument: String) {
        self.init(argument)
    }
}

/// An amount in đồng: digits, optionally grouped by dots (`50.000.000`) or
/// underscores (`50_000_000`).
struct AmountArgument: ExpressibleByArgument, Sendable {
    let value: VND

    init?(argument: String) {
        let text = argument.trimmingCharacters(in: .whitespaces)
        let groups = text.split(separator: ".", omittingEmptySubsequences: false)
        if groups.count > 1 {
            guard let first = groups.first, (1...3).contains(first.count),
                groups.dropFirst().allSatisfy({ $0.count == 3 })
            else { return nil }
        }
        let digits = text.replacingOccurrences(of: ".", with: "").replacingOccurrences(of: "_", with: "")
        guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber), let number = Int64(digits)
        else { return nil }
        value = VND(number)
    }

    static var defaultCompletionKind: CompletionKind { .default }
}

extension UUID: @retroactive ExpressibleByArgument {
    public init?(argument: String) {
        self.init(uuidString: argument)
    }
}
