import Foundation
import LMDB

/// Appends events inside one write transaction; see ``EventLog/write(actor:_:)``.
///
/// Inline projections see each event as it is appended, so a later command in the
/// same transaction reads state that includes the earlier ones.
public final class LogWriter {
    /// The write transaction.
    let transaction: WriteTransaction
    /// The tables, as this transaction sees them: read models written beside the events.
    public var tables: Tables { Tables(transaction) }
    /// Reads the log as this transaction sees it, its own appends included.
    public let reader: LogReader
    /// The log's head, including what this transaction appended so far.
    public private(set) var head: LogHead
    /// Events appended (not counting ones already stored) in this transaction.
    public private(set) var appendedCount = 0

    private let log: EventLog
    private var actor: [UInt8]
    private var record: [UInt8] = []
    private let positionBeforeTransaction: UInt64
    private let contexts: [ProjectionContext]
    /// Adds each appended event's leaf to the Merkle tree; made at the first append.
    private var tree: TreeAppender?

    init(log: EventLog, transaction: WriteTransaction, actor: String) throws {
        self.log = log
        self.transaction = transaction
        self.reader = LogReader(transaction: transaction, databases: log.databases)
        self.actor = Array(actor.utf8)
        guard self.actor.count <= log.options.limits.recordedByBytesMax else {
            throw LogError.limitExceeded(
                field: "recordedBy (bytes)", limit: log.options.limits.recordedByBytesMax, actual: self.actor.count)
        }
        head = try reader.head()
        positionBeforeTransaction = head.position
        let reader = self.reader
        contexts = log.projections.map { _ in ProjectionContext(transaction: transaction, log: reader, state: ProjectionState()) }
        record.reserveCapacity(512)
        try catchUpProjections()
    }

    /// Records the events appended from now on as by `actor` (`recordedBy`): a group
    /// commit appends several users' batches in one transaction.
    /// - Throws: ``LogError/limitExceeded(field:limit:actual:)`` for a name too long.
    public func record(as actor: String) throws {
        let bytes = Array(actor.utf8)
        guard bytes.count <= log.options.limits.recordedByBytesMax else {
            throw LogError.limitExceeded(field: "recordedBy (bytes)", limit: log.options.limits.recordedByBytesMax, actual: bytes.count)
        }
        self.actor = bytes
    }

    /// Stores a setting of the store in this transaction: it commits with the events,
    /// or not at all. An empty value removes it.
    public func setSetting(_ name: String, to value: String) throws {
        let key = EventLog.settingPrefix + name
        if value.isEmpty {
            try transaction.delete(log.databases.meta, key: key)
        } else {
            try transaction.put(log.databases.meta, key: key, value: value)
        }
    }

    /// A setting as this transaction sees it.
    public func setting(_ name: String) throws -> String? {
        try transaction.get(log.databases.meta, EventLog.settingPrefix + name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// Appends `events` to `stream`, in order, if the stream is at `expected`.
    ///
    /// An event whose id is already stored is not written again: its entry in the
    /// result has the stored position and `wasAlreadyStored`. The version check
    /// applies only when something new is to be written, so a retry of an append
    /// that succeeded changes nothing and succeeds.
    /// - Throws: ``LogError/wrongExpectedVersion(stream:expected:actual:)``,
    ///   ``LogError/eventIdReused(eventId:position:)`` when the id is stored for a
    ///   different event, ``LogError/limitExceeded(field:limit:actual:)``,
    ///   ``LogError/invalidName(field:reason:)``, ``LogError/invalidData(eventId:_:)``.
    @discardableResult
    public func append(_ events: [NewEvent], to stream: String, expecting expected: ExpectedVersion = .any) throws
        -> AppendResult
    {
        let limits = log.options.limits
        let streamBytes = Array(stream.utf8)
        try Self.checkName(streamBytes, field: "stream name", limit: limits.streamBytesMax)
        var outcomes: [AppendResult.Appended?] = []
        outcomes.reserveCapacity(events.count)
        var fresh: [Int] = []
        var freshIndexByEventId: [UUID: Int] = [:]
        for (index, event) in events.enumerated() {
            try check(event, limits: limits)
            if let stored = try storedDuplicate(of: event, streamBytes: streamBytes) {
                outcomes.append(stored)
            } else if let earlier = freshIndexByEventId[event.eventId] {
                guard events[earlier] == event else { throw LogError.eventIdReused(eventId: event.eventId, position: 0) }
                outcomes.append(nil)  // the same event twice in one batch: stored once
            } else {
                outcomes.append(nil)
                fresh.append(index)
                freshIndexByEventId[event.eventId] = index
            }
        }
        var version = try reader.streamVersion(of: stream)
        if !fresh.isEmpty {
            guard expected.admits(version) else {
                throw LogError.wrongExpectedVersion(stream: stream, expected: expected, actual: version)
            }
            guard appendedCount + fresh.count <= limits.transactionEventCountMax else {
                throw LogError.limitExceeded(
                    field: "events in one transaction", limit: limits.transactionEventCountMax,
                    actual: appendedCount + fresh.count)
            }
        }
        for index in fresh {
            version += 1
            outcomes[index] = try write(events[index], streamBytes: streamBytes, streamVersion: version)
        }
        for index in outcomes.indices where outcomes[index] == nil {
            let first = outcomes[freshIndexByEventId[events[index].eventId]!]!
            outcomes[index] = AppendResult.Appended(
                eventId: first.eventId, position: first.position, streamVersion: first.streamVersion,
                wasAlreadyStored: true)
        }
        return AppendResult(events: outcomes.map { $0! }, streamVersion: version)
    }

    private func check(_ event: NewEvent, limits: EventLog.Limits) throws {
        let type = Array(event.type.utf8)
        try Self.checkName(type, field: "event type", limit: limits.typeBytesMax)
        guard event.data.count <= limits.dataBytesMax else {
            throw LogError.limitExceeded(field: "event data (bytes)", limit: limits.dataBytesMax, actual: event.data.count)
        }
        do {
            try event.data.withUnsafeBytes { try Payload.validate(canonicalBytes: $0) }
        } catch let error as PayloadError {
            throw LogError.invalidData(eventId: event.eventId, error)
        }
    }

    static func checkName(_ bytes: [UInt8], field: String, limit: Int) throws {
        guard !bytes.isEmpty else { throw LogError.invalidName(field: field, reason: "is empty") }
        guard bytes.count <= limit else { throw LogError.limitExceeded(field: "\(field) (bytes)", limit: limit, actual: bytes.count) }
        guard !bytes.contains(0) else { throw LogError.invalidName(field: field, reason: "contains a NUL character") }
    }

    /// The stored event with this id, if it is the same event; throws if it is another.
    private func storedDuplicate(of event: NewEvent, streamBytes: [UInt8]) throws -> AppendResult.Appended? {
        guard let position = try reader.position(ofEventId: event.eventId) else { return nil }
        guard let stored = try reader.event(at: position) else {
            throw LogError.corruptRecord(position: position, reason: "the event id index names a missing event")
        }
        let same =
            stored.schemaVersion == event.schemaVersion && stored.typeBytes.elementsEqual(event.type.utf8)
            && stored.streamBytes.elementsEqual(streamBytes) && stored.data.elementsEqual(event.data)
        guard same else { throw LogError.eventIdReused(eventId: event.eventId, position: position) }
        return AppendResult.Appended(
            eventId: event.eventId, position: position, streamVersion: stored.streamVersion, wasAlreadyStored: true)
    }

    private func write(_ event: NewEvent, streamBytes: [UInt8], streamVersion: UInt64) throws -> AppendResult.Appended {
        let databases = log.databases
        let position = head.position + 1
        let recordedAt = max(event.recordedAt ?? log.options.clock(), head.recordedAt)
        let hash = EventRecord.encode(
            into: &record, prevHash: head.hash, position: position, eventId: event.eventId, recordedAt: recordedAt,
            streamVersion: streamVersion, schemaVersion: event.schemaVersion, type: Array(event.type.utf8),
            stream: streamBytes, recordedBy: actor, data: event.data)
        try transaction.put(databases.events, key: position, value: record, flags: .append)
        let eventIdKey = withUnsafeBytes(of: event.eventId.uuid) { Array($0) }
        try transaction.put(databases.eventIds, key: eventIdKey, value: position, flags: .noOverwrite)
        var streamKey = streamBytes
        streamKey.append(0)
        EventRecord.appendBigEndian(streamVersion, to: &streamKey)
        try transaction.put(databases.streams, key: streamKey, value: position, flags: .noOverwrite)
        try treeAppender().append(hash)
        head = LogHead(position: position, hash: hash, recordedAt: recordedAt)
        appendedCount += 1
        if !log.projections.isEmpty {
            try record.withUnsafeBytes { bytes in
                let view = try RecordedEventView(record: bytes)
                for (projection, context) in zip(log.projections, contexts) {
                    try projection.apply(view, in: context)
                }
            }
        }
        return AppendResult.Appended(
            eventId: event.eventId, position: position, streamVersion: streamVersion, wasAlreadyStored: false)
    }

    /// The tree's appender, its leaves brought up to the head first (when a process of an
    /// earlier version appended without them).
    private func treeAppender() throws -> TreeAppender {
        if let tree { return tree }
        guard let database = log.databases.tree else { preconditionFailure("a store opened for writing has its tree") }
        let appender = try TreeAppender(transaction: transaction, tree: database)
        guard appender.size <= head.position else {
            throw LogError.corruptRecord(
                position: head.position, reason: "the Merkle tree has \(appender.size) leaves, more than the log's events; run an audit")
        }
        try appender.catchUp(through: head.position, reader: reader)
        tree = appender
        return appender
    }

    /// Brings every inline projection whose checkpoint lags the head up to it, so that
    /// inline application never skips an event (a projection added later, say).
    private func catchUpProjections() throws {
        for (projection, context) in zip(log.projections, contexts) {
            let checkpoint = try reader.checkpoint(named: projection.name)
            guard checkpoint < head.position else { continue }
            try reader.forEachEvent(from: checkpoint + 1) { event in
                try projection.apply(event, in: context)
            }
            try transaction.put(log.databases.checkpoints, key: projection.name, value: head.position)
        }
    }

    /// The state the projection named `name` keeps for this transaction, so that
    /// code checking commands in the transaction reads what the projection wrote.
    public func projectionState(named name: String) -> ProjectionState? {
        zip(log.projections, contexts).first { $0.0.name == name }?.1.state
    }

    /// Lets each projection write back its state, then stores each checkpoint at the new head.
    func finish() throws {
        for (projection, context) in zip(log.projections, contexts) {
            try projection.willCommit(in: context)
        }
        guard head.position != positionBeforeTransaction else { return }
        for projection in log.projections {
            try transaction.put(log.databases.checkpoints, key: projection.name, value: head.position)
        }
    }
}
