import EventLog
import Foundation

/// A line of an import file that cannot be recorded: its number (from 1) and why,
/// printed `line 17: DisbursementMade.amount: must be > 0`.
public struct ImportError: Error, Hashable, Sendable, CustomStringConvertible {
    public let line: Int
    public let message: String
    /// What refused the line, when it was a rule or the log (a ``RuleViolation``, a
    /// `LogError`): for telling a conflict from bad input.
    public let reason: (any Error & Sendable)?
    /// The field at fault, when one is (`amount`, `donor.name`).
    public let field: String?

    public init(line: Int, message: String, reason: (any Error & Sendable)? = nil, field: String? = nil) {
        self.line = line
        self.message = message
        self.reason = reason
        self.field = field
    }

    public static func == (left: ImportError, right: ImportError) -> Bool {
        left.line == right.line && left.message == right.message
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(line)
        hasher.combine(message)
    }

    public var description: String { "line \(line): \(message)" }
}

/// Limits on import files, checked as they are read.
public enum ImportLimits {
    public static let lineBytesMax = 64 * 1024
    /// Lines one import may hold: it is one all-or-nothing transaction.
    public static let lineCountMax = 1_000_000
    /// Bytes one import file may hold: it is read whole before anything is written.
    public static let fileBytesMax = 512 * 1024 * 1024
}

/// The import format: JSON Lines, one event a line,
/// `{"type": "DisbursementMade", "data": {…}, "eventId": "…optional UUID…"}`,
/// with an optional `schemaVersion` for data of an older version.
public enum ImportLine {
    /// Parses JSON Lines into commands, each with its line number (from 1). A byte-order
    /// mark before the first line, a carriage return ending a line, and blank lines are
    /// skipped. The first bad line is reported.
    /// - Parameter progress: called now and then with (lines done, lines in all).
    /// - Throws: ``ImportError`` naming the line.
    public static func parseLines(
        _ text: ArraySlice<UInt8>, lineCountMax: Int = ImportLimits.lineCountMax,
        progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> (commands: [LedgerCommand], lineNumbers: [Int]) {
        var commands: [LedgerCommand] = []
        var lineNumbers: [Int] = []
        // A byte-order mark, as Windows editors write at the start of UTF-8 files, is not part of the first line.
        let text = text.starts(with: [0xEF, 0xBB, 0xBF]) ? text.dropFirst(3) : text
        let lines = text.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false)
        var lineCount = lines.count
        if text.last == UInt8(ascii: "\n") { lineCount -= 1 }
        for (index, line) in lines.prefix(lineCount).enumerated() {
            var content = line
            if content.last == UInt8(ascii: "\r") { content = content.dropLast() }
            if content.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
            guard commands.count < lineCountMax else {
                throw ImportError(line: index + 1, message: "an import holds at most \(lineCountMax) events; split the file")
            }
            do {
                commands.append(try content.withUnsafeBytes { try ImportLine.parse($0) })
            } catch {
                throw ImportError(line: index + 1, message: "\(error)", field: (error as? ImportLineError)?.field)
            }
            lineNumbers.append(index + 1)
            if commands.count & 0x3fff == 0 { progress?(index + 1, lineCount) }
        }
        progress?(lineCount, lineCount)
        return (commands, lineNumbers)
    }

    static let keys: Set<String> = ["type", "data", "eventId", "schemaVersion"]

    /// Parses one line into a command.
    /// - Throws: a message naming the field and the fault (without the line number).
    public static func parse(_ bytes: UnsafeRawBufferPointer) throws(ImportLineError) -> LedgerCommand {
        guard bytes.count <= ImportLimits.lineBytesMax else {
            throw ImportLineError("the line has \(bytes.count) bytes, over the limit of \(ImportLimits.lineBytesMax)")
        }
        if let direct = DirectLine.parse(bytes) { return direct }  // the commonest lines, read without a JSON tree
        return try parse(value: try parseJSON(bytes))
    }

    /// Parses one line already read as JSON (an element of a JSON array of lines, as
    /// `POST /v1/events` takes them).
    public static func parse(value: Payload) throws(ImportLineError) -> LedgerCommand {
        let command = try command(from: value)
        // Names arrive as people write them; only the store seals them, under its keys.
        if let sealed = command.event.namedPeople.first(where: { $0.name.subjectId != nil }) {
            throw ImportLineError(
                "\(command.event.type.rawValue): \(sealed.field) must be a name in the clear: the store seals names itself",
                field: sealed.field)
        }
        return command
    }

    /// Any line, through a JSON tree and the catalogue's decoders.
    static func parseGenerally(_ bytes: UnsafeRawBufferPointer) throws(ImportLineError) -> LedgerCommand {
        try command(from: try parseJSON(bytes))
    }

    private static func parseJSON(_ bytes: UnsafeRawBufferPointer) throws(ImportLineError) -> Payload {
        do {
            return try JSONParser.parse(bytes)
        } catch {
            throw ImportLineError("\(error)")
        }
    }

    private static func command(from value: Payload) throws(ImportLineError) -> LedgerCommand {
        guard case .object(let members) = value else { throw ImportLineError("a line must be a JSON object") }
        if let unknown = members.keys.sorted().first(where: { !keys.contains($0) }) {
            throw ImportLineError("unknown key \"\(unknown)\" (a line has type, data, and optionally eventId and schemaVersion)")
        }
        guard let typeValue = members["type"] else { throw ImportLineError("the key \"type\" is required") }
        guard case .text(let type) = typeValue else { throw ImportLineError("\"type\" must be text") }
        guard let data = members["data"] else { throw ImportLineError("\(type): the key \"data\" is required") }
        guard case .object = data else { throw ImportLineError("\(type): \"data\" must be an object") }
        var eventId: UUID?
        if let idValue = members["eventId"] {
            guard case .text(let text) = idValue, let id = UUID(uuidString: text) else {
                throw ImportLineError("\(type): \"eventId\" must be a UUID such as 3f2b8c1e-5d4a-4e8f-9a7b-1c2d3e4f5a6b")
            }
            eventId = id
        }
        var schemaVersion: UInt32?
        if let versionValue = members["schemaVersion"] {
            guard case .integer(let number) = versionValue, let version = UInt32(exactly: number), version >= 1 else {
                throw ImportLineError("\(type): \"schemaVersion\" must be a whole number ≥ 1")
            }
            schemaVersion = version
        }
        do {
            let event = try LedgerEvent.decode(typeName: type, schemaVersion: schemaVersion, data: data)  // checked, normalised
            try refuseOutsideImports(event)
            return LedgerCommand(normal: event, eventId: eventId)
        } catch let error as ImportLineError {
            throw error
        } catch let error as FieldError {
            throw ImportLineError("\(error)", field: error.field.isEmpty ? nil : error.field)
        } catch {
            throw ImportLineError("\(error)")
        }
    }
}

extension ImportLine {
    /// Events no import line records: an erasure destroys the person's key and checks the
    /// retention period (`ansinh people erase`); a migration's record is written by
    /// `ansinh migrate` alone.
    static func refuseOutsideImports(_ event: LedgerEvent) throws(ImportLineError) {
        switch event {
        case .subjectErased:
            throw ImportLineError(
                "SubjectErased is not an import line: erase a person with `ansinh people erase`, "
                    + "which checks the retention period and destroys their key")
        case .storeMigrated:
            throw ImportLineError("StoreMigrated is not an import line: `ansinh migrate` writes it")
        default:
            return
        }
    }
}

/// Why one import line is unusable.
public struct ImportLineError: Error, Hashable, Sendable, CustomStringConvertible {
    public let message: String
    /// The field at fault, when one is (`amount`, `donor.name`).
    public let field: String?
    init(_ message: String, field: String? = nil) {
        self.message = message
        self.field = field
    }
    public var description: String { message }
}

/// What an import did.
public struct ImportSummary: Hashable, Sendable {
    /// Lines holding an event (blank lines are skipped).
    public var eventLines = 0
    /// Events appended now.
    public var recorded = 0
    /// Events whose id was already stored for the same event: not written again.
    public var alreadyStored = 0
    public var firstPosition: UInt64?
    public var lastPosition: UInt64?
}

extension Ledger {
    /// Imports JSON Lines as one all-or-nothing batch: every line is parsed and
    /// checked first; then the events pass the rules in order and are appended in one
    /// transaction. The first bad line is reported and nothing is written.
    ///
    /// Re-importing a file whose lines carry event ids changes nothing.
    /// - Parameter progress: called with (lines done, lines in all) while parsing and recording.
    /// - Throws: ``ImportError`` naming the line; `StoreError` for a store problem.
    public func importLines(
        _ text: [UInt8], actor: String, progress: ((_ phase: ImportPhase, _ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> ImportSummary {
        let (commands, lineNumbers) = try ImportLine.parseLines(text[...], progress: { progress?(.checking, $0, $1) })
        let entries: [RecordedEntry]
        do {
            entries = try record(commands, actor: actor) { done, total in progress?(.recording, done, total) }
        } catch let rejected as CommandRejected {
            throw ImportError(
                line: lineNumbers[rejected.index], message: "\(rejected.eventType): \(rejected.reason)", reason: rejected.reason)
        }
        progress?(.recording, commands.count, commands.count)
        var summary = ImportSummary(eventLines: commands.count)
        for entry in entries {
            if entry.wasAlreadyStored { summary.alreadyStored += 1 } else { summary.recorded += 1 }
        }
        summary.firstPosition = entries.first { !$0.wasAlreadyStored }?.position
        summary.lastPosition = entries.last { !$0.wasAlreadyStored }?.position
        return summary
    }
}

/// The stage an import is in, for progress reports.
public enum ImportPhase: Sendable {
    case checking
    case recording
}
