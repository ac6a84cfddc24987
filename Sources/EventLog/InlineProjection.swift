import LMDB

/// A read model folded from the log inside the same write transaction as the events
/// it folds, so the two always commit together.
///
/// The log stores a checkpoint (the last position applied) per projection name in
/// the same transaction. A projection whose checkpoint lags the head (one added
/// later, say) is caught up before anything else is appended.
public protocol InlineProjection: Sendable {
    /// Names its checkpoint; unique within a store.
    var name: String { get }
    /// The layout of the projection's stored records. When a store holds another one,
    /// opening it for writing refolds the projection from position 1; opening it
    /// read-only refuses with ``LogError/projectionsOutdated(name:)``.
    var formatVersion: UInt32 { get }
    /// Folds one event into the projection's databases. `context` also reads the log
    /// as the transaction sees it (to look up an event a reversal names, say).
    func apply(_ event: RecordedEventView, in context: ProjectionContext) throws
    /// Empties the projection's tables, before a rebuild.
    func removeAll(in tables: Tables) throws
    /// Called once before the transaction commits, after the last ``apply(_:in:)``: the
    /// place to write back what the projection kept in ``ProjectionContext/state``.
    func willCommit(in context: ProjectionContext) throws
}

extension InlineProjection {
    public func willCommit(in context: ProjectionContext) throws {}
    public var formatVersion: UInt32 { 1 }
}

/// What a projection keeps for the length of one write transaction (a write-back
/// cache, say): made empty when the transaction begins, dropped when it ends.
public final class ProjectionState {
    public var value: AnyObject?
    public init() {}
}

/// What an inline projection works in: the write transaction's tables and a reader of
/// the log in it.
public struct ProjectionContext {
    let transaction: WriteTransaction
    public let log: LogReader
    /// The tables, as the write transaction sees them.
    public var tables: Tables { Tables(transaction) }
    /// This projection's state for this transaction.
    public let state: ProjectionState
}

/// Lets projections open their tables while the log opens.
public struct ProjectionSetup {
    /// The transaction the log opens in (read-only when the store is).
    let transaction: Transaction

    /// Opens the named table, creating it unless the store is read-only.
    public func table(_ name: String) throws -> Table {
        Table(try transaction.openDatabase(name, flags: transaction.isWritable ? .create : []))
    }
}

extension EventLog {
    /// Empties every inline projection and folds the whole log into it again, in one
    /// write transaction: readers see the old projections until it commits, and a
    /// crash part-way leaves them as they were. Folding is deterministic, so the
    /// rebuilt databases hold the same bytes as those maintained inline.
    /// - Parameter progress: called now and then with (events applied, events in all).
    public func rebuildProjections(progress: ((UInt64, UInt64) -> Void)? = nil) throws {
        try storage { try rebuildAll(progress: progress) }
    }

    private func rebuildAll(progress: ((UInt64, UInt64) -> Void)?) throws {
        try environment.write { transaction in
            let reader = LogReader(transaction: transaction, databases: databases)
            let contexts = projections.map { _ in ProjectionContext(transaction: transaction, log: reader, state: ProjectionState()) }
            let head = try reader.head()
            for projection in projections {
                try projection.removeAll(in: Tables(transaction))
            }
            var applied: UInt64 = 0
            try reader.forEachEvent(from: 1) { event in
                for (projection, context) in zip(projections, contexts) {
                    try projection.apply(event, in: context)
                }
                applied += 1
                if applied & 0xffff == 0 { progress?(applied, head.position) }
            }
            for (projection, context) in zip(projections, contexts) {
                try projection.willCommit(in: context)
                try transaction.put(databases.checkpoints, key: projection.name, value: head.position)
            }
            progress?(applied, head.position)
        }
    }

    /// Feeds every event after the checkpoint named `name` to `handle`, in batches of
    /// at most `batchEventCountMax`, storing the checkpoint after each batch: a reader
    /// outside the write path (an exporter, a search index) resumes where it stopped.
    /// Delivery is at least once: after a crash, the last batch may be handed again.
    /// - Returns: the position the checkpoint now stands at.
    @discardableResult
    public func catchUp(
        checkpoint name: String, batchEventCountMax: Int = 10_000, _ handle: (RecordedEventView) throws -> Void
    ) throws -> UInt64 {
        precondition(batchEventCountMax > 0)
        precondition(!projections.contains { $0.name == name }, "\(name) is an inline projection's checkpoint")
        var checkpoint = try read { try $0.checkpoint(named: name) }
        while true {
            let reached = try read { reader -> UInt64 in
                var last = checkpoint
                try reader.forEachEvent(from: checkpoint + 1, limit: batchEventCountMax) { event in
                    try handle(event)
                    last = event.position
                }
                return last
            }
            guard reached > checkpoint else { return checkpoint }
            try storage {
                try environment.write { transaction in
                    try transaction.put(databases.checkpoints, key: name, value: reached)
                }
            }
            checkpoint = reached
        }
    }
}
