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
    /// `nil` only for a store opened read-only whose read models an earlier version
    /// kept in another layout: its log can be read and audited, its read models cannot.
    let storedDatabases: LedgerDatabases?
    let readModels: [any LedgerReadModel]
    /// The keys people's names are sealed under (``SubjectKeys``); `nil` when the store's
    /// folder has none (a store of format 1, or keys lost): names then show as their
    /// subject ids, and no new name can be recorded.
    public let keys: SubjectKeys?
    /// The store's format: 2 keeps people's names sealed; 1 (earlier versions) kept
    /// them in the clear, and opens only to be migrated (``StoreFormat``).
    public let format: StoreFormat

    /// Opens (or creates) the ledger's store at `path`.
    ///
    /// Opened for writing, read models kept in another layout are refolded from the log.
    /// Opened read-only, such a store opens with its read models left out
    /// (``readModelsOutdated``): its log reads, queries refuse.
    ///
    /// A store of format 1 is refused (``StoreFormatError``) unless `openingFormat1`
    /// (`ansinh migrate` reads one). `keys` gives the keys of another store (an audit's
    /// scratch store shows the audited store's names); by default they are the ones in
    /// the store's folder, created with a new store.
    /// - Throws: `LogError` or `StoreError` when the store cannot be used.
    public init(
        path: String, options: EventLog.Options = EventLog.Options(), keys: SubjectKeys? = nil, openingFormat1: Bool = false
    ) throws {
        nonisolated(unsafe) var made: (LedgerDatabases?, [any LedgerReadModel])?
        log = try EventLog(path: path, options: options) { setup in
            if !setup.isWritable, try Self.readModelsOutdated(setup) {
                made = (nil, [])
                return []
            }
            try setup.retire(projection: LedgerReadModels.retired.name, tables: LedgerReadModels.retired.tables)
            let databases = try LedgerDatabases(setup)
            let readModels = LedgerReadModels.make(databases)
            made = (databases, readModels)
            return readModels
        }
        (storedDatabases, readModels) = made!
        format = try StoreFormat.settle(log, path: path, openingFormat1: openingFormat1)
        if let keys {
            self.keys = keys
        } else {
            let readOnly = options.readOnly
            do {
                self.keys = try SubjectKeys(folder: path, create: format == .sealedNames && !readOnly, readOnly: readOnly)
            } catch SubjectKeysError.missing {
                self.keys = nil
            }
        }
        if !options.readOnly, format == .sealedNames { try completeErasures() }
    }

    /// Whether a read-only store keeps a read model in another layout than this version's.
    private static func readModelsOutdated(_ setup: ProjectionSetup) throws -> Bool {
        for (name, layout) in LedgerReadModels.layouts where try setup.storedFormat(ofProjection: name) != layout {
            return true
        }
        return false
    }

    /// The store was opened read-only, and an earlier version kept its read models in
    /// another layout: they are left out until it is opened for writing, which refolds
    /// them. Its log reads and audits; its queries refuse.
    public var readModelsOutdated: Bool { storedDatabases == nil }

    /// The read models' tables.
    /// - Throws: `LogError.projectionsOutdated` when they were left out (``readModelsOutdated``).
    func databases() throws -> LedgerDatabases {
        guard let storedDatabases else { throw LogError.projectionsOutdated(name: LedgerReadModels.layouts[0].name) }
        return storedDatabases
    }

    /// The read models, in the order they fold: each with its name (as
    /// `projections rebuild NAME` takes it), its layout and what it answers.
    public var readModelDescriptions: [ReadModelDescription] {
        readModels.map { model in
            ReadModelDescription(
                name: model.name, layoutVersion: model.formatVersion, answers: type(of: model).answers,
                tables: model.tables.map(\.name))
        }
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
        var prepared: [PreparedCommand] = []
        prepared.reserveCapacity(commands.count)
        for (index, command) in commands.enumerated() {
            prepared.append(try prepare(command, index: index))
        }
        return try log.write(actor: Self.recorder(actor)) { writer in
            let tables = tables(writer)
            let subjects = NewSubjects(committedCount: try writer.setting(Self.keysCountSetting).flatMap { UInt32($0) })
            var entries: [RecordedEntry] = []
            entries.reserveCapacity(prepared.count)
            for (index, command) in prepared.enumerated() {
                entries.append(
                    try execute(
                        command.event, eventId: command.eventId, index: index, writer: writer, tables: tables, subjects: subjects,
                        recordedAt: command.recordedAt))
                if index & 0x3ff == 0x3ff { progress?(index + 1, prepared.count) }
            }
            // The keys of people first named in this batch are on disk before it commits.
            try keys?.persist(subjects)
            if let count = subjects.count { try writer.setSetting(Self.keysCountSetting, to: String(count)) }
            return entries
        }
    }

    /// Who records, as stored in `recordedBy`: a name like any other, in NFC, so that the
    /// same clerk typed on two keyboards is one recorder (`audit trail --recorded-by`
    /// compares normalised names).
    static func recorder(_ actor: String) -> String { actor.precomposedStringWithCanonicalMapping }

    /// The ledger's tables in a write transaction, with the read models' write-back caches.
    func tables(_ writer: LogWriter) -> LedgerTables {
        let caches = readModels.map { $0.foldState(writer.projectionState(named: $0.name)!, writer.tables).cache }
        return LedgerTables(transaction: writer.tables, databases: storedDatabases!, caches: caches)
    }

    /// Checks and normalises a command's fields, and gives it an event id.
    func prepare(_ command: LedgerCommand, index: Int) throws -> PreparedCommand {
        var event = command.event
        if command.isNormal {
            return PreparedCommand(event: event, eventId: command.eventId ?? UUID(), recordedAt: command.recordedAt)
        }
        do {
            try event.normalise(FieldChecker(eventType: event.type.rawValue))
        } catch {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        }
        return PreparedCommand(event: event, eventId: command.eventId ?? UUID(), recordedAt: command.recordedAt)
    }

    /// Checks `event` against the rules and appends it; a refusal names the command.
    func execute(
        _ event: LedgerEvent, eventId: UUID, index: Int, writer: LogWriter, tables: LedgerTables, subjects: NewSubjects,
        recordedAt: Timestamp? = nil, scope: RecordingScope = .everything
    ) throws -> RecordedEntry {
        do {
            if scope != .everything { try check(event, within: scope, tables: tables, log: writer.reader) }
            return try execute(event, eventId: eventId, writer: writer, tables: tables, subjects: subjects, recordedAt: recordedAt)
        } catch let error as RuleViolation {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        } catch let error as LogError {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        } catch let error as MoneyOverflow {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: RuleViolation.amountOverflow(error))
        } catch let error as SubjectKeysError {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        } catch let error as ScopeViolation {
            throw CommandRejected(index: index, eventType: event.type.rawValue, reason: error)
        }
    }

    private func execute(
        _ plain: LedgerEvent, eventId: UUID, writer: LogWriter, tables: LedgerTables, subjects: NewSubjects, recordedAt: Timestamp?
    ) throws -> RecordedEntry {
        if let stored = try writer.reader.event(id: eventId) {
            // A retry of a stored event: nothing is written if it is the same event (read
            // through its upcasters, so one stored at an older version still matches, and
            // with its names opened, so that a retry names no new person); the id used for
            // a different event is refused.
            let position = stored.position
            let stream = stored.stream
            let event = plain
            guard try openingNames(try LedgerEvent.decode(stored), like: plain) == plain else {
                throw LogError.eventIdReused(eventId: eventId, position: position)
            }
            let fundId = try fundMoved(by: event, tables: tables, log: writer.reader)
            return RecordedEntry(
                position: position, eventId: eventId, type: event.type, stream: stream, wasAlreadyStored: true,
                fundId: fundId, fundBalance: try fundId.flatMap { try tables.fund($0)?.balance })
        }
        let event = try sealingNames(plain, subjects: subjects)
        var newEvent = NewEvent(
            eventId: eventId, type: event.type.rawValue, schemaVersion: event.type.currentSchemaVersion,
            canonicalData: event.canonicalData())
        newEvent.recordedAt = recordedAt
        let today = LocalDate(at: recordedAt ?? log.options.clock())
        var rules = Rules(tables: tables, log: writer.reader, today: today)
        rules.sealsNames = format == .sealedNames
        let target = try rules.check(event)
        let result = try writer.append([newEvent], to: target.stream, expecting: target.expected)
        let appended = result.events[0]
        let fundId = try fundMoved(by: event, tables: tables, log: writer.reader)
        return RecordedEntry(
            position: appended.position, eventId: eventId, type: event.type, stream: target.stream,
            wasAlreadyStored: appended.wasAlreadyStored, fundId: fundId,
            fundBalance: try fundId.flatMap { try tables.fund($0)?.balance })
    }

    /// The fund whose balance `event` moves, if any.
    func fundMoved(by event: LedgerEvent, tables: LedgerTables, log: LogReader) throws -> String? {
        switch event {
        case .fundOpened(let opened): return opened.fundId
        case .donationReceived(let donation): return donation.fundId
        case .disbursementMade(let disbursement): return disbursement.fundId
        case .piggyBankDeposited(let deposit): return try tables.model(deposit.modelId)?.fundId
        case .entryReversed(let reversal):
            guard let stored = try log.event(id: reversal.reversesEventId) else { return nil }
            return try fundMoved(by: try LedgerEvent.decode(stored), tables: tables, log: log)
        case .memberEnrolled, .memberLeft, .pledgeMade, .pledgeCancelled, .piggyBankModelStarted, .piggyBankModelClosed,
            .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            return nil
        }
    }

    /// Empties the read models named `names` (every one when `nil`) and folds the whole
    /// log into them again, in bounded transactions; see `EventLog.rebuildProjections`.
    /// - Throws: `LogError.unknownProjection` for a name no read model has.
    public func rebuildProjections(named names: [String]? = nil, progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        try log.rebuildProjections(named: names, progress: progress)
    }

    /// Runs `body` with read access to the read models and the log in one snapshot:
    /// everything it reads is consistent with one head, while writers go on.
    /// - Throws: `LogError.projectionsRebuilding` while a read model is being rebuilt.
    /// With `requiringCurrentReadModels` false, the read models are given as stored,
    /// even part-way through a rebuild: for an audit, which checks them.
    public func snapshot<Result>(requiringCurrentReadModels: Bool = true, _ body: (LedgerSnapshot) throws -> Result) throws
        -> Result
    {
        try log.read { reader in
            if requiringCurrentReadModels { try log.requireProjectionsCurrent(in: reader) }
            return try body(try snapshot(of: reader))
        }
    }

    /// The snapshot as `reader` sees it, whether or not the read models are current;
    /// valid only while `reader` is.
    public func snapshot(of reader: LogReader) throws -> LedgerSnapshot {
        LedgerSnapshot(
            tables: LedgerTables(transaction: reader.tables, databases: try databases()), log: reader, readModels: readModels, keys: keys)
    }

    /// Each read model's layout and the last position it folded, in one snapshot, and
    /// the log's head: what `status` shows, and what tells a rebuild under way.
    /// Whether every read model is kept in this version's layout and has folded the
    /// whole log, so that queries answer.
    public func readModelsCurrent() throws -> Bool {
        guard !readModelsOutdated else { return false }
        let status = try readModelStatus()
        return status.readModels.allSatisfy { $0.checkpoint == status.head }
    }

    /// None when the read models were left out (``readModelsOutdated``).
    public func readModelStatus() throws -> (head: UInt64, readModels: [ProjectionStatus]) {
        try log.read { reader in (try reader.head().position, try log.projectionStatus(in: reader)) }
    }

    /// Every read model's tables, byte for byte in key order, with their names: for
    /// comparing stored read models with a fresh fold.
    public func projectionDump() throws -> [ProjectionTable] {
        try log.read { try projectionDump(in: $0) }
    }

    /// The read models' tables as `reader` sees them; none when they were left out
    /// (``readModelsOutdated``).
    public func projectionDump(in reader: LogReader) throws -> [ProjectionTable] {
        guard !readModelsOutdated else { return [] }
        return try snapshot(of: reader).projectionDump()
    }
}

/// One read model table's entries, in key order.
public struct ProjectionTable: Hashable, Sendable {
    /// The read model that keeps it.
    public var readModel: String
    public var name: String
    public var entries: [Entry]

    public struct Entry: Hashable, Sendable {
        public var key: [UInt8]
        public var value: [UInt8]
    }
}

extension LedgerSnapshot {
    public func projectionDump() throws -> [ProjectionTable] {
        try readModels.flatMap { model in model.tables.map { (model.name, $0) } }.map { readModel, database in
            let entries = try tables.transaction.withCursor(database) { cursor in
                var entries: [ProjectionTable.Entry] = []
                var entry = try cursor.first()
                while let current = entry {
                    entries.append(ProjectionTable.Entry(key: Array(current.key), value: Array(current.value)))
                    entry = try cursor.next()
                }
                return entries
            }
            return ProjectionTable(readModel: readModel, name: database.name, entries: entries)
        }
    }

}

/// Where a stored read model first differs from another copy of it (a fresh fold).
public struct ReadModelDifference: Hashable, Sendable {
    public enum Kind: Hashable, Sendable {
        /// The fresh copy has an entry the stored one lacks.
        case missing
        /// The stored copy has an entry the fresh one lacks.
        case extra
        /// Both have an entry here, under different keys.
        case keyDiffers
        /// Both have the entry, with different values.
        case valueDiffers
    }
    /// The table it is in.
    public var table: String
    /// The key where they part (the lesser one, when the keys differ).
    public var key: [UInt8]
    public var kind: Kind
}

extension LedgerSnapshot {
    /// Compares this snapshot's tables of the read model named `readModel` with the
    /// same tables of `fresh`, entry by entry in key order, holding one entry of each at
    /// a time: an audit's comparison, in memory that does not grow with the tables.
    /// - Returns: the first difference, or `nil` when they are equal byte for byte.
    public func firstDifference(inReadModel readModel: String, from fresh: LedgerSnapshot) throws -> ReadModelDifference? {
        guard let stored = readModels.first(where: { $0.name == readModel }),
            let other = fresh.readModels.first(where: { $0.name == readModel })
        else { preconditionFailure("no read model named \(readModel)") }
        for (table, freshTable) in zip(stored.tables, other.tables) {
            let difference = try tables.transaction.withCursor(table) { left in
                try fresh.tables.transaction.withCursor(freshTable) { right -> ReadModelDifference? in
                    var old = try left.first()
                    var new = try right.first()
                    while old != nil || new != nil {
                        guard let stored = old else { return ReadModelDifference(table: table.name, key: Array(new!.key), kind: .missing) }
                        guard let replayed = new else { return ReadModelDifference(table: table.name, key: Array(stored.key), kind: .extra) }
                        if !stored.key.elementsEqual(replayed.key) {
                            let least = stored.key.lexicographicallyPrecedes(replayed.key) ? stored.key : replayed.key
                            return ReadModelDifference(table: table.name, key: Array(least), kind: .keyDiffers)
                        }
                        if !stored.value.elementsEqual(replayed.value) {
                            return ReadModelDifference(table: table.name, key: Array(stored.key), kind: .valueDiffers)
                        }
                        old = try left.next()
                        new = try right.next()
                    }
                    return nil
                }
            }
            if let difference { return difference }
        }
        return nil
    }
}

extension ProjectionTable {
    /// A key of a read model's table in words, for describing a difference to people:
    /// its parts between NUL bytes, as text where they are, in hex where not.
    public static func describeKey(_ key: [UInt8]) -> String {
        let text = key.split(separator: 0, omittingEmptySubsequences: false).map { part -> String in
            if let string = String(validating: part, as: UTF8.self), string.unicodeScalars.allSatisfy({ $0.value >= 0x20 }) {
                return string
            }
            return part.map { String(format: "%02x", $0) }.joined()
        }
        return text.joined(separator: " / ")
    }
}

/// A command checked and normalised, with its event id fixed (a group that runs again
/// records the same ids).
struct PreparedCommand {
    let event: LedgerEvent
    let eventId: UUID
    let recordedAt: Timestamp?
}

/// One command: the event to record and, for safe retries, its id.
public struct LedgerCommand: Hashable, Sendable {
    public var event: LedgerEvent {
        didSet { isNormal = false }
    }
    /// Given by the caller to make retries idempotent; a new one is made otherwise.
    public var eventId: UUID?
    /// The instant it was first recorded, set only by a migration into a new store (the
    /// store's clock otherwise).
    public var recordedAt: Timestamp?
    /// Whether `event` was checked and normalised already (an import line is, as it is
    /// parsed): recording does not do it again. Any change to `event` clears it.
    var isNormal = false

    public init(_ event: LedgerEvent, eventId: UUID? = nil) {
        self.event = event
        self.eventId = eventId
    }

    /// A command whose event was just checked and normalised.
    init(normal event: LedgerEvent, eventId: UUID?) {
        self.init(event, eventId: eventId)
        isNormal = true
    }

    public static func == (left: LedgerCommand, right: LedgerCommand) -> Bool {
        left.event == right.event && left.eventId == right.eventId && left.recordedAt == right.recordedAt
    }

    public func hash(into hasher: inout Hasher) {
        hasher.combine(event)
        hasher.combine(eventId)
        hasher.combine(recordedAt)
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
    let readModels: [any LedgerReadModel]
    /// The keys names are opened with (``name(_:)``).
    let keys: SubjectKeys?
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
}
