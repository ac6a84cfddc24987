import EventLog
import Foundation

/// One read model of the ledger: a pure fold of the log into tables of its own, kept
/// in step with every append and rebuilt on its own (`ansinh projections rebuild NAME`).
///
/// A fold reads only its own tables and the log, never another read model's: each is
/// then right whether it is folded with the others or alone. Queries may combine them.
/// Every fold switches over every event type with no `default:`, so a new event type
/// is a compile error in each fold until it says what the type does there.
protocol LedgerReadModel: InlineProjection {
    /// Its name: the checkpoint, `projections rebuild NAME`, the audit's reports.
    static var readModelName: String { get }
    /// The layout of its tables. Change it with the layout: a store kept in another one
    /// refolds this read model alone the next time it is opened for writing.
    static var layoutVersion: UInt32 { get }
    /// The questions it answers, for people.
    static var answers: String { get }
    var databases: LedgerDatabases { get }
    /// Its tables.
    var tables: [Table] { get }
    /// Write-back caches for one transaction, of the tables whose rows many events
    /// touch (empty when none is worth it).
    func makeCaches() -> [any WriteBackCache]
    /// Decodes each stored event once for every read model of the ledger.
    var decoded: DecodedEvents { get }
    init(databases: LedgerDatabases, decoded: DecodedEvents)
    /// Folds one event (decoded) into the read model's tables.
    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws
}

extension LedgerReadModel {
    var name: String { Self.readModelName }
    var formatVersion: UInt32 { Self.layoutVersion }

    func removeAll(in transaction: Tables) throws {
        for table in tables { try transaction.removeAll(table) }
    }

    /// What the read model keeps for one transaction: its write-back cache (shared with
    /// the rules' checks) and its tables, made once rather than for every event.
    func foldState(_ state: ProjectionState, _ transaction: Tables) -> FoldState {
        if let kept = state.value as? FoldState { return kept }
        let cache = LedgerCache(makeCaches())
        let kept = FoldState(cache: cache, tables: LedgerTables(transaction: transaction, databases: databases, caches: [cache]))
        state.value = kept
        return kept
    }

    func willCommit(in context: ProjectionContext) throws {
        try (context.state.value as? FoldState)?.cache.flush(into: context.tables)
    }

    func apply(_ stored: RecordedEventView, in context: ProjectionContext) throws {
        let tables = foldState(context.state, context.tables).tables
        try fold(try decoded.event(stored), stored, into: tables, context: context)
    }

    /// The entry a reversal reverses, as stored, decoded.
    func original(of reversal: EntryReversed, context: ProjectionContext) throws -> (event: LedgerEvent, position: UInt64, eventId: UUID) {
        guard let stored = try context.log.event(id: reversal.reversesEventId) else {
            throw missing("event", reversal.reversesEventId.uuidString.lowercased())
        }
        return (try decoded.event(stored, remembering: false), stored.position, stored.eventId)
    }

    /// Changes the record under `key`, which must exist.
    func update<Row: LedgerRow>(
        _ tables: LedgerTables, _ type: Row.Type, _ database: Table, _ key: some TableBytes,
        _ change: (inout Row) throws -> Void
    ) throws {
        try tables.modify(type, database, key) { row in
            guard row != nil else { throw ProjectionFault(reason: "no \(database.name) entry for an event that needs one") }
            try change(&row!)
        }
    }

    /// Changes the row of an entity, which must exist.
    func update<Row: LedgerRow>(
        _ tables: LedgerTables, _ type: Row.Type, _ database: Table, _ key: EntityKey, _ change: (inout Row) throws -> Void
    ) throws {
        try tables.modify(type, database, key) { row in
            guard row != nil else { throw ProjectionFault(reason: "no \(database.name) entry for an event that needs one") }
            try change(&row!)
        }
    }

    func missing(_ what: String, _ id: String) -> ProjectionFault {
        ProjectionFault(reason: "the log refers to \(what) \(id), which the \(name) read model does not know")
    }
}

/// The ledger's read models, in the order they fold.
enum LedgerReadModels {
    /// Every read model: adding one is a new file and a line here.
    static let types: [any LedgerReadModel.Type] = [
        FundsReadModel.self, RegistersReadModel.self, MembersReadModel.self, PiggyBankReadModel.self, PledgesReadModel.self,
        ExternalSupportReadModel.self, PeriodsReadModel.self, EntriesReadModel.self, PeopleReadModel.self,
    ]

    static func make(_ databases: LedgerDatabases) -> [any LedgerReadModel] {
        let decoded = DecodedEvents()
        return types.map { $0.init(databases: databases, decoded: decoded) }
    }

    /// Each read model's name and layout, known before its tables are opened.
    static let layouts: [(name: String, layout: UInt32)] = types.map { ($0.readModelName, $0.layoutVersion) }

    /// The single projection of earlier versions, whose tables the read models took over.
    static let retired = (
        name: "ledger",
        tables: [
            "ledger-funds", "ledger-members", "ledger-pledges", "ledger-models", "ledger-model-members", "ledger-deposits",
            "ledger-fund-days", "ledger-external-support", "ledger-disbursements", "ledger-reversals", "ledger-type-counts",
            "ledger-model-cells", "ledger-below-target", "ledger-fund-day-net", "ledger-periods",
        ]
    )
}

/// A read model as people and tools see it.
public struct ReadModelDescription: Hashable, Sendable {
    public var name: String
    public var layoutVersion: UInt32
    public var answers: String
    public var tables: [String]
}

/// A read model's state for one transaction; see ``LedgerReadModel/foldState(_:_:)``.
final class FoldState {
    let cache: LedgerCache
    let tables: LedgerTables

    init(cache: LedgerCache, tables: LedgerTables) {
        self.cache = cache
        self.tables = tables
    }
}

/// The last event decoded, shared by the read models: each folds the same event in
/// turn, and decoding it once serves them all. Keyed by the event's hash, so an event
/// of a transaction that was rolled back is never taken for another.
///
/// Unchecked, and unlocked: only folds use it, and they run inside the store's write
/// transactions, which the storage engine runs one at a time.
final class DecodedEvents: @unchecked Sendable {
    private var hash: ChainHash?
    private var event: LedgerEvent?

    func event(_ stored: RecordedEventView, remembering: Bool = true) throws -> LedgerEvent {
        let hash = stored.hash
        if self.hash == hash, let event { return event }
        let event = try LedgerEvent.decode(stored)
        if remembering {
            self.hash = hash
            self.event = event
        }
        return event
    }
}

/// The log holds something the rules would have refused: the store is damaged or
/// was written by other means. An audit says more.
public struct ProjectionFault: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "the ledger cannot fold its log: \(reason)" }
}
