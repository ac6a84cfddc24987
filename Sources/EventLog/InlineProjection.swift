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
/// the log in it. A class: every projection is handed one for every event it folds.
public final class ProjectionContext {
    let transaction: WriteTransaction
    public let log: LogReader
    /// The tables, as the write transaction sees them.
    public var tables: Tables { Tables(transaction) }
    /// This projection's state for this transaction.
    public let state: ProjectionState

    init(transaction: WriteTransaction, log: LogReader, state: ProjectionState) {
        self.transaction = transaction
        self.log = log
        self.state = state
    }
}

/// Lets projections open their tables while the log opens.
public struct ProjectionSetup {
    /// The transaction the log opens in (read-only when the store is).
    let transaction: Transaction

    /// Whether the store is open for writing (tables are created, earlier layouts refolded).
    public var isWritable: Bool { transaction.isWritable }

    /// The layout a projection's tables were written in, as the store records it, or
    /// `nil` when it holds none.
    public func storedFormat(ofProjection name: String) throws -> UInt32? {
        guard let bytes = try transaction.get(try transaction.openDatabase("meta"), "projection." + name + ".format"),
            bytes.count == 4
        else { return nil }
        return bytes.loadBigEndian(fromByteOffset: 0, as: UInt32.self)
    }

    /// Opens the named table, creating it unless the store is read-only.
    /// - Throws: ``LogError/projectionsOutdated(name:)`` for a table a read-only store
    ///   does not have yet (one kept by an earlier version in another layout).
    public func table(_ name: String) throws -> Table {
        do {
            return Table(try transaction.openDatabase(name, flags: transaction.isWritable ? .create : []))
        } catch LMDBError.notFound where !transaction.isWritable {
            throw LogError.projectionsOutdated(name: name)
        }
    }

    /// Removes what a projection of an earlier version kept and no projection keeps
    /// now: its checkpoint, its layout and its tables. Does nothing on a store opened
    /// read-only, or one that never held it.
    public func retire(projection name: String, tables: [String]) throws {
        guard let writable = transaction as? WriteTransaction else { return }
        let meta = try writable.openDatabase("meta")
        try writable.delete(try writable.openDatabase("checkpoints"), key: name)
        try writable.delete(meta, key: "projection." + name + ".format")
        for table in tables {
            do {
                try writable.dropDatabase(try writable.openDatabase(table))
            } catch LMDBError.notFound {
                continue
            }
        }
    }
}

/// Where one inline projection stands: its layout and the last position it folded.
public struct ProjectionStatus: Hashable, Sendable {
    public var name: String
    public var formatVersion: UInt32
    public var checkpoint: UInt64
}

extension EventLog {
    /// Names of the inline projections, in the order they fold.
    public var projectionNames: [String] { projections.map(\.name) }

    /// Every inline projection's layout and checkpoint, as `reader` sees them.
    public func projectionStatus(in reader: LogReader) throws -> [ProjectionStatus] {
        try projections.map {
            ProjectionStatus(name: $0.name, formatVersion: $0.formatVersion, checkpoint: try reader.checkpoint(named: $0.name))
        }
    }

    /// Throws ``LogError/projectionsRebuilding(names:position:head:)`` when a projection
    /// `reader` sees has not folded the whole log: its tables would give partial answers.
    public func requireProjectionsCurrent(in reader: LogReader) throws {
        let head = try reader.head().position
        let behind = try projectionStatus(in: reader).filter { $0.checkpoint < head }
        guard let lowest = behind.map(\.checkpoint).min() else { return }
        throw LogError.projectionsRebuilding(names: behind.map(\.name), position: lowest, head: head)
    }

    /// Empties the inline projections named `names` (every one when `nil`) and folds the
    /// log into them again from position 1.
    ///
    /// The first transaction empties them and sets their checkpoints to 0; the folding
    /// then goes on in transactions of at most `batchEventCountMax` events, each storing
    /// the checkpoints it reached, so memory stays flat however long the log. Meanwhile
    /// readers see the projections behind (``requireProjectionsCurrent(in:)``), and a
    /// writer folds the rest before it appends. A crash part-way leaves them behind: the
    /// next opening for writing folds on from the checkpoints. Folding is deterministic,
    /// so the rebuilt tables hold the same bytes as those maintained inline.
    /// - Throws: ``LogError/unknownProjection(name:known:)`` for a name no projection has.
    /// - Parameter progress: called now and then with (position folded, head).
    public func rebuildProjections(
        named names: [String]? = nil, batchEventCountMax: Int = 100_000, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws {
        precondition(batchEventCountMax > 0)
        for name in names ?? [] where !projections.contains(where: { $0.name == name }) {
            throw LogError.unknownProjection(name: name, known: projectionNames)
        }
        let chosen = projections.filter { names?.contains($0.name) ?? true }
        try storage {
            try environment.write { transaction in
                for projection in chosen {
                    try projection.removeAll(in: Tables(transaction))
                    try transaction.put(databases.checkpoints, key: projection.name, value: UInt64(0))
                }
            }
            try foldLaggingProjections(batchEventCountMax: batchEventCountMax, progress: progress)
        }
    }

    /// Folds every projection whose checkpoint lags the head up to it, in transactions of
    /// at most `batchEventCountMax` events each.
    func foldLaggingProjections(batchEventCountMax: Int, progress: ((UInt64, UInt64) -> Void)?) throws {
        while true {
            let finished = try environment.write { transaction -> Bool in
                let reader = LogReader(transaction: transaction, databases: databases)
                let head = try reader.head().position
                var lagging: [LaggingProjection] = []
                for projection in projections {
                    let checkpoint = try reader.checkpoint(named: projection.name)
                    guard checkpoint < head else { continue }
                    lagging.append(
                        LaggingProjection(
                            projection: projection, checkpoint: checkpoint,
                            context: ProjectionContext(transaction: transaction, log: reader, state: ProjectionState())))
                }
                guard let from = lagging.map(\.checkpoint).min() else { return true }
                let through = min(head, from + UInt64(batchEventCountMax))
                try reader.forEachEvent(from: from + 1, limit: Int(through - from)) { event in
                    for lagging in lagging where event.position > lagging.checkpoint {
                        try lagging.projection.apply(event, in: lagging.context)
                    }
                    if event.position & 0xffff == 0 { progress?(event.position, head) }
                }
                for lagging in lagging where lagging.checkpoint < through {
                    try lagging.projection.willCommit(in: lagging.context)
                    try transaction.put(databases.checkpoints, key: lagging.projection.name, value: through)
                }
                progress?(through, head)
                return through == head
            }
            if finished { return }
        }
    }

    /// A projection being brought up to the head, in one transaction: a class, so that
    /// folding an event into it copies nothing.
    private final class LaggingProjection {
        let projection: any InlineProjection
        let checkpoint: UInt64
        let context: ProjectionContext

        init(projection: any InlineProjection, checkpoint: UInt64, context: ProjectionContext) {
            self.projection = projection
            self.checkpoint = checkpoint
            self.context = context
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

/// Folds the events of another log into this log's inline projections without
/// appending them: an audit's replay, which checks each event and folds it, then
/// compares the projections so built with the stored ones. See ``EventLog/replay(from:_:)``.
public final class ReplayWriter {
    let transaction: WriteTransaction
    let projections: [any InlineProjection]
    let states: [ProjectionState]
    /// The log replayed.
    public let source: LogReader
    /// This log's tables, in the write transaction.
    public var tables: Tables { Tables(transaction) }

    init(transaction: WriteTransaction, projections: [any InlineProjection], source: LogReader) {
        self.transaction = transaction
        self.projections = projections
        self.source = source
        states = projections.map { _ in ProjectionState() }
    }

    /// The state the projection named `name` keeps for this transaction.
    public func projectionState(named name: String) -> ProjectionState? {
        zip(projections, states).first { $0.0.name == name }?.1
    }

    /// Folds `event` (of ``source``) into every projection, which looks events up in the
    /// source as it stood when `event` was appended.
    public func fold(_ event: RecordedEventView) throws {
        let reader = source.limited(through: event.position)
        for (projection, state) in zip(projections, states) {
            try projection.apply(event, in: ProjectionContext(transaction: transaction, log: reader, state: state))
        }
    }

    func finish() throws {
        for (projection, state) in zip(projections, states) {
            try projection.willCommit(in: ProjectionContext(transaction: transaction, log: source, state: state))
        }
    }
}

extension EventLog {
    /// Runs `body` in one write transaction of this log in which it folds events of
    /// `source` into the inline projections (``ReplayWriter/fold(_:)``), appending
    /// nothing: what it folds commits when `body` returns. `body` may run more than
    /// once (when the store's map must grow).
    public func replay<Result>(from source: LogReader, _ body: (ReplayWriter) throws -> Result) throws -> Result {
        try storage {
            try environment.write { transaction in
                let writer = ReplayWriter(transaction: transaction, projections: projections, source: source)
                let result = try body(writer)
                try writer.finish()
                return result
            }
        }
    }
}
