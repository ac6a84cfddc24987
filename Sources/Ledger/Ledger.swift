import EventLog
import Foundation

/// A ward's welfare ledger: the event log, the rules every command passes, and the
/// projections clerks and auditors read.
///
/// ```swift
/// let ledger = try Ledger(path: "ansinh-data")
/// try ledger.record(
///     [LedgerCommand(.fundOpened(FundOpened(fundId: "khuyen-hoc", name: "Quỹ Khuyến học", openedOn: LocalDate("2024-01-01")!)))],
///     actor: "lan")
/// ```
public final class Ledger: Sendable {
    let log: EventLog
    let projection: LedgerProjection

    /// Opens (or creates) the ledger's store at `path`.
    /// - Throws: `LogError` or `StoreError` when the store cannot be used.
    public init(path: String, options: EventLog.Options = EventLog.Options()) throws {
        nonisolated(unsafe) var made: LedgerProjection?
        log = try EventLog(path: path, options: options) { setup in
            let projection = try LedgerProjection(setup)
            made = projection
            return [projection]
        }
        projection = made!
    }

    /// Records `commands` as one batch: each is checked against the rules in order
    /// (a later one sees the effects of earlier ones), then all are appended in one
    /// write transaction, or none when any is refused.
    ///
    /// A command whose event id is already stored, for the same event, is not
    /// recorded again: its entry says `wasAlreadyStored` (safe retries).
    /// - Throws: ``CommandRejected`` naming the command and its ``RuleViolation``,
    ///   ``FieldError`` or `LogError`; `StoreError` for a store problem.
    /// - Parameter progress: called now and then with (commands recorded, commands in all).
    @discardableResult
    public func record(
        _ commands: [LedgerCommand], actor: String, progress: ((_ done: Int, _ total: Int) -> Void)? = nil
    ) throws -> [RecordedEntry] {
        var prepared: [(event: LedgerEvent, eventId: UUID)] = []
        prepared.reserveCapacity(commands.count)
        for (index, command) in commands.enumerated() {
            prepared.append(try prepare(command, index: index))
        }
        return try log.write(actor: Self.recorder(actor)) { writer in
            let tables = tables(writer)
            var entries: [RecordedEntry] = []
            entries.reserveCapacity(prepared.count)
            for (index, command) in prepared.enumerated() {
                entries.append(try execute(command.event, eventId: command.eventId, index: index, writer: writer, tables: tables))
                if index & 0x3ff == 0x3ff { progress?(index + 1, prepared.count) }
            }
            return entries
        }
    }

    /// Who records, as stored in `recordedBy`: a name like any other, in NFC, so that the
    /// same clerk typed on two keyboards is one recorder (`audit trail --recorded-by`
    /// compares normalised names).
    static func recorder(_ actor: String) -> String { actor.precomposedStringWithCanonicalMapping }

    /// The ledger's tables in a write transaction, with its write-back cache.
    func tables(_ writer: LogWriter) -> LedgerTables {
        let state = writer.projectionState(named: projection.name)!
        return LedgerTables(transaction: writer.tables, databases: projection.databases, cache: projection.cache(state))
    }

    /// Checks and normalises a command's fields, and gives it an event id.
    func prepare(_ command: LedgerCommand, index: Int) throws -> (event: LedgerEvent, eventId: UUID) {
        var event = command.event
        do {
            try event.normalise(FieldChecker(eventType: event.type.rawValue))
        } catch {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        }
        return (event, command.eventId ?? UUID())
    }

    /// Checks `event` against the rules and appends it; a refusal names the command.
    func execute(_ event: LedgerEvent, eventId: UUID, index: Int, writer: LogWriter, tables: LedgerTables) throws -> RecordedEntry {
        do {
            return try execute(event, eventId: eventId, writer: writer, tables: tables)
        } catch let error as RuleViolation {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        } catch let error as LogError {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        } catch let error as MoneyOverflow {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: RuleViolation.amountOverflow(error))
        }
    }

    private func execute(_ event: LedgerEvent, eventId: UUID, writer: LogWriter, tables: LedgerTables) throws
        -> RecordedEntry
    {
        let newEvent = NewEvent(
            eventId: eventId, type: event.type.rawValue, schemaVersion: event.type.currentSchemaVersion,
            canonicalData: event.canonicalData())
        if let stored = try writer.reader.event(id: eventId) {
            // A retry of a stored event: nothing is written if it is the same event (read
            // through its upcasters, so one stored at an older version still matches);
            // the id used for a different event is refused.
            let position = stored.position
            let stream = stored.stream
            guard try LedgerEvent.decode(stored) == event else {
                throw LogError.eventIdReused(eventId: eventId, position: position)
            }
            let fundId = try fundMoved(by: event, tables: tables, log: writer.reader)
            return RecordedEntry(
                position: position, eventId: eventId, type: event.type, stream: stream, wasAlreadyStored: true,
                fundId: fundId, fundBalance: try fundId.flatMap { try tables.fund($0)?.balance })
        }
        let today = LocalDate(at: log.options.clock())
        let target = try Rules(tables: tables, log: writer.reader, today: today).check(event)
        let result = try writer.append([newEvent], to: target.stream, expecting: target.expected)
        let appended = result.events[0]
        let fundId = try fundMoved(by: event, tables: tables, log: writer.reader)
        return RecordedEntry(
            position: appended.position, eventId: eventId, type: event.type, stream: target.stream,
            wasAlreadyStored: appended.wasAlreadyStored, fundId: fundId,
            fundBalance: try fundId.flatMap { try tables.fund($0)?.balance })
    }

    /// The fund whose balance `event` moves, if any.
    private func fundMoved(by event: LedgerEvent, tables: LedgerTables, log: LogReader) throws -> String? {
        switch event {
        case .fundOpened(let opened): return opened.fundId
        case .donationReceived(let donation): return donation.fundId
        case .disbursementMade(let disbursement): return disbursement.fundId
        case .piggyBankDeposited(let deposit): return try tables.model(deposit.modelId)?.fundId
        case .entryReversed(let reversal):
            guard let stored = try log.event(id: reversal.reversesEventId) else { return nil }
            return try fundMoved(by: try LedgerEvent.decode(stored), tables: tables, log: log)
        case .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .periodClosed:
            return nil
        }
    }

    /// Empties every projection and folds the whole log again; see `EventLog.rebuildProjections`.
    public func rebuildProjections(progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        try log.rebuildProjections(progress: progress)
    }

    /// Runs `body` with read access to the projections and the log in one snapshot:
    /// everything it reads is consistent with one head, while writers go on.
    public func snapshot<Result>(_ body: (LedgerSnapshot) throws -> Result) throws -> Result {
        try log.read { reader in
            try body(LedgerSnapshot(tables: LedgerTables(transaction: reader.tables, databases: projection.databases), log: reader))
        }
    }


    /// Every projection database, byte for byte in key order, with its name: for
    /// comparing stored projections with a fresh fold.
    public func projectionDump() throws -> [ProjectionTable] {
        try snapshot { try $0.projectionDump() }
    }
}

/// One projection database's entries, in key order.
public struct ProjectionTable: Hashable, Sendable {
    public var name: String
    public var entries: [Entry]

    public struct Entry: Hashable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]
    }
}

extension LedgerSnapshot {
    public func projectionDump() throws -> [ProjectionTable] {
        try tables.databases.all.map { database in
            let entries = try tables.transaction.withCursor(database) { cursor in
                var entries: [ProjectionTable.Entry] = []
                var entry = try cursor.first()
                while let current = entry {
                    entries.append(ProjectionTable.Entry(key: Array(current.key), value: Array(current.value)))
                    entry = try cursor.next()
                }
                return entries
            }
            return ProjectionTable(name: database.name, entries: entries)
        }
    }

    /// The stored record under `key` in the projection table `name`, decoded, for
    /// describing a difference to people.
    public func describeEntry(table name: String, key: [UInt8]) -> String {
        let text = key.split(separator: 0, omittingEmptySubsequences: false).map { part -> String in
            if let string = String(validating: part, as: UTF8.self), string.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
                return string
            }
            return part.map { String(format: "%02x", $0) }.joined()
        }
        return text.joined(separator: " / ")
    }
}

/// One command: the event to record and, for safe retries, its id.
public struct LedgerCommand: Hashable, Sendable {
    public var event: LedgerEvent
    /// Given by the caller to make retries idempotent; a new one is made otherwise.
    public var eventId: UUID?

    public init(_ event: LedgerEvent, eventId: UUID? = nil) {
        self.event = event
        self.eventId = eventId
    }
}

/// What one command recorded.
public struct RecordedEntry: Hashable, Sendable {
    public var position: UInt64
    public var eventId: UUID
    public var type: EventType
    public var stream: String
    /// The event id was already stored for this same event: nothing was written.
    public var wasAlreadyStored: Bool
    /// The fund whose money moved, and its balance after the batch's commands so far.
    public var fundId: String?
    public var fundBalance: VND?
}

/// The projections and the log as of one moment; see ``Ledger/snapshot(_:)``.
public struct LedgerSnapshot {
    let tables: LedgerTables
    /// The log, read in the same snapshot.
    public let log: LogReader
}

extension Ledger {
    public func funds() throws -> [FundBalance] { try snapshot { try $0.funds() } }
    public func fund(_ fundId: String) throws -> FundBalance? { try snapshot { try $0.fund(fundId) } }
    public func members() throws -> [MemberRecord] { try snapshot { try $0.members() } }
    public func member(_ memberId: String) throws -> MemberRecord? { try snapshot { try $0.member(memberId) } }
    public func pledges() throws -> [PledgeRecord] { try snapshot { try $0.pledges() } }
    public func models() throws -> [ModelRecord] { try snapshot { try $0.models() } }
    public func memberHistory(_ memberId: String) throws -> MemberHistory? { try snapshot { try $0.memberHistory(memberId) } }
    public func piggyBankSummary(_ modelId: String, asOf: LocalDate? = nil) throws -> PiggyBankSummary? {
        try snapshot { try $0.piggyBankSummary(modelId, asOf: asOf) }
    }
    public func periodReport(from: LocalDate, to: LocalDate) throws -> PeriodReport {
        try snapshot { try $0.periodReport(from: from, to: to) }
    }
    public func fundRegister(_ fundId: String) throws -> [RegisterEntry]? { try snapshot { try $0.fundRegister(fundId) } }
    public func cells() throws -> [CellSummary] { try snapshot { try $0.cells() } }
    public func eventCounts() throws -> [EventType: UInt64] { try snapshot { try $0.eventCounts() } }
    public func projectionCheckpoint() throws -> UInt64 { try snapshot { try $0.projectionCheckpoint() } }
}
