import Foundation
import LMDB

/// Reads the log inside one transaction; see ``EventLog/read(_:)``.
///
/// Views it hands out point into the memory map and are valid only until the
/// enclosing closure returns.
public struct LogReader {
    /// The transaction it reads in.
    let transaction: Transaction
    /// The tables in the same snapshot, for reading a read model beside the log.
    public var tables: Tables { Tables(transaction) }
    let databases: EventLog.Databases
    /// Events after this position are not looked up (``limited(through:)``).
    var visibleThrough: UInt64 = .max

    init(transaction: Transaction, databases: EventLog.Databases) {
        self.transaction = transaction
        self.databases = databases
    }

    /// The same reader, for which ``event(at:)`` and ``event(id:)`` find nothing after
    /// `position`: the log as it stood when that event was appended, for checking and
    /// folding a replay of it.
    public func limited(through position: UInt64) -> LogReader {
        var reader = self
        reader.visibleThrough = position
        return reader
    }

    /// The direction of a scan.
    public enum Direction: Sendable {
        case forward
        case backward
    }

    /// A setting of the store, as this snapshot sees it.
    public func setting(_ name: String) throws -> String? {
        try transaction.get(databases.meta, EventLog.settingPrefix + name).map { String(decoding: $0, as: UTF8.self) }
    }

    /// The last position and its hash: one B-tree descent.
    public func head() throws -> LogHead {
        try transaction.withCursor(databases.events) { cursor in
            guard let last = try cursor.last() else { return LogHead.empty }
            let view = try Self.view(last)
            return LogHead(position: view.position, hash: view.hash, recordedAt: view.recordedAt)
        }
    }

    /// The event at `position`, or `nil` past the head.
    public func event(at position: UInt64) throws -> RecordedEventView? {
        guard position <= visibleThrough, let record = try transaction.get(databases.events, position) else { return nil }
        return try Self.view(record, position: position)
    }

    /// The event stored with `eventId`, or `nil`.
    public func event(id eventId: UUID) throws -> RecordedEventView? {
        guard let position = try position(ofEventId: eventId) else { return nil }
        return try event(at: position)
    }

    func position(ofEventId eventId: UUID) throws -> UInt64? {
        let key = withUnsafeBytes(of: eventId.uuid) { Array($0) }
        return try transaction.get(databases.eventIds, key)?.loadNativeUInt64()
    }

    /// Calls `body` with each event from `position` on (forward) or back from it
    /// (backward, where `UInt64.max` means the head), at most `limit` of them.
    public func forEachEvent(
        from position: UInt64 = 1, direction: Direction = .forward, limit: Int = .max,
        _ body: (RecordedEventView) throws -> Void
    ) throws {
        guard limit > 0 else { return }
        try transaction.withCursor(databases.events) { cursor in
            var entry: Entry?
            switch direction {
            case .forward:
                entry = try cursor.seek(atLeast: position)
            case .backward:
                entry = try cursor.seek(atLeast: position)
                if entry == nil {
                    entry = try cursor.last()
                } else if entry!.key.loadNativeUInt64() != position {
                    entry = try cursor.previous()
                }
            }
            var remaining = limit
            while let current = entry, remaining > 0 {
                let position = current.key.loadNativeUInt64() ?? 0
                let event = try Self.view(current.value, position: position)
                guard event.position == position else {
                    throw LogError.corruptRecord(position: position, reason: "it is stored under another position than its own")
                }
                try body(event)
                remaining -= 1
                entry = direction == .forward ? try cursor.next() : try cursor.previous()
            }
        }
    }

    /// Calls `body` with each event of `stream` from version `fromVersion` on, in order.
    public func forEachEvent(
        inStream stream: String, fromVersion: UInt64 = 1, limit: Int = .max, _ body: (RecordedEventView) throws -> Void
    ) throws {
        let prefix = Self.streamPrefix(stream)
        var start = prefix
        EventRecord.appendBigEndian(fromVersion, to: &start)
        var remaining = limit
        try transaction.withCursor(databases.streams) { cursor in
            var entry = try cursor.seek(atLeast: start)
            while let current = entry, remaining > 0, current.key.count == prefix.count + 8,
                current.key.starts(with: prefix)
            {
                guard let position = current.value.loadNativeUInt64(), let event = try event(at: position) else {
                    throw LogError.corruptRecord(position: 0, reason: "the index of stream \(stream) names a missing event")
                }
                guard event.stream == stream, event.streamVersion == current.key.loadBigEndian(fromByteOffset: prefix.count, as: UInt64.self) else {
                    throw LogError.corruptRecord(position: position, reason: "the index of stream \(stream) points at another event")
                }
                try body(event)
                remaining -= 1
                entry = try cursor.next()
            }
        }
    }

    /// Copies of up to `limit` events from `position` on.
    public func events(from position: UInt64 = 1, direction: Direction = .forward, limit: Int = .max) throws
        -> [RecordedEvent]
    {
        var events: [RecordedEvent] = []
        try forEachEvent(from: position, direction: direction, limit: limit) { events.append($0.copy()) }
        return events
    }

    /// Copies of the events of `stream`, in order.
    public func events(inStream stream: String, fromVersion: UInt64 = 1, limit: Int = .max) throws -> [RecordedEvent] {
        var events: [RecordedEvent] = []
        try forEachEvent(inStream: stream, fromVersion: fromVersion, limit: limit) { events.append($0.copy()) }
        return events
    }

    /// The stream's version: how many events it has (0 when it does not exist).
    public func streamVersion(of stream: String) throws -> UInt64 {
        let prefix = Self.streamPrefix(stream)
        var probe = prefix
        probe[probe.count - 1] = 1  // the first key after every "stream ‖ 0x00 ‖ …"
        return try transaction.withCursor(databases.streams) { cursor in
            let entry = try cursor.seek(atLeast: probe) != nil ? try cursor.previous() : try cursor.last()
            guard let entry, entry.key.count == prefix.count + 8, entry.key.starts(with: prefix) else { return 0 }
            return entry.key.loadBigEndian(fromByteOffset: prefix.count, as: UInt64.self)
        }
    }

    /// The last position a projection or subscriber named `name` has applied (0 if none).
    public func checkpoint(named name: String) throws -> UInt64 {
        try transaction.get(databases.checkpoints, name)?.loadNativeUInt64() ?? 0
    }

    static func streamPrefix(_ stream: String) -> [UInt8] {
        var prefix = Array(stream.utf8)
        prefix.append(0)
        return prefix
    }

    static func view(_ entry: Entry) throws -> RecordedEventView {
        try view(entry.value, position: entry.key.loadNativeUInt64() ?? 0)
    }

    static func view(_ record: UnsafeRawBufferPointer, position: UInt64) throws -> RecordedEventView {
        do {
            return try RecordedEventView(record: record)
        } catch {
            throw LogError.corruptRecord(position: position, reason: error.reason)
        }
    }
}
