import LMDB

/// The first thing found wrong in the stored log.
public struct VerificationFailure: Error, Hashable, Sendable, CustomStringConvertible {
    public enum Problem: Hashable, Sendable {
        /// The position after the previous event is missing (a gap or a deleted event).
        case missingPosition(found: UInt64)
        /// The record's bytes do not parse.
        case malformedRecord(String)
        /// The record says a different position than the key it is stored under.
        case positionMismatch(recorded: UInt64)
        /// `prevHash` is not the previous event's hash: the chain is broken.
        case chainBroken(expected: ChainHash, found: ChainHash)
        /// SHA-256 of the record is not its stored `hash`: its bytes were changed.
        case hashMismatch(computed: ChainHash, stored: ChainHash)
        /// The event's data is not canonical CBOR.
        case dataNotCanonical(PayloadError)
        /// The event-id or stream index disagrees with the events.
        case indexMismatch(String)
    }

    /// The first position where something is wrong.
    public let position: UInt64
    public let problem: Problem

    public var description: String {
        let what: String
        switch problem {
        case .missingPosition(let found): what = "the event is missing; the next stored position is \(found)"
        case .malformedRecord(let reason): what = "the stored bytes do not parse (\(reason))"
        case .positionMismatch(let recorded): what = "the record says position \(recorded)"
        case .chainBroken(let expected, let found):
            what = "chain broken: prevHash is \(found.hex), the previous event's hash is \(expected.hex)"
        case .hashMismatch(let computed, let stored):
            what = "bytes changed: they hash to \(computed.hex), the stored hash is \(stored.hex)"
        case .dataNotCanonical(let error): what = "\(error)"
        case .indexMismatch(let reason): what = "index disagrees: \(reason)"
        }
        return "position \(position): \(what)"
    }
}

/// The outcome of ``EventLog/verify(progress:)``.
public struct VerificationReport: Hashable, Sendable {
    /// The head as stored (last position and its stored hash).
    public var head: LogHead
    /// Events checked before the first failure, or all of them.
    public var eventsChecked: UInt64
    public var failure: VerificationFailure?

    public var isValid: Bool { failure == nil }
}

extension EventLog {
    /// Walks the whole log in one snapshot and checks, event by event: positions
    /// follow 1, 2, 3, …; each record parses; its `prevHash` is the previous hash;
    /// SHA-256 of its bytes is its stored hash; its data is canonical; the event-id
    /// and stream indexes point back at it. Stops at the first failure.
    /// - Parameter progress: called now and then with (events checked, events in all).
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        try read { try $0.verify(progress: progress) }
    }
}

extension LogReader {
    /// ``EventLog/verify(progress:)`` in this reader's snapshot.
    public func verify(progress: ((UInt64, UInt64) -> Void)? = nil) throws -> VerificationReport {
        let stored = try? head()
        var report = VerificationReport(head: stored ?? .empty, eventsChecked: 0, failure: nil)
        let total = report.head.position
        var previousHash = ChainHash.genesis
        try transaction.withCursor(databases.events) { cursor in
            var entry = try cursor.first()
            while let current = entry {
                let expected = report.eventsChecked + 1
                if let problem = try check(
                    current, expected: expected, previousHash: previousHash, reader: self)
                {
                    report.failure = VerificationFailure(position: expected, problem: problem)
                    return
                }
                previousHash = ChainHash(
                    bytes: UnsafeRawBufferPointer(rebasing: current.value[(current.value.count - 32)...]))
                report.eventsChecked = expected
                if expected & 0xffff == 0 { progress?(expected, total) }
                entry = try cursor.next()
            }
        }
        if report.failure == nil {
            report.failure = try checkIndexSizes(reader: self, eventCount: report.eventsChecked)
        }
        progress?(report.eventsChecked, total)
        return report
    }

    private func check(_ entry: Entry, expected: UInt64, previousHash: ChainHash, reader: LogReader) throws
        -> VerificationFailure.Problem?
    {
        guard let key = entry.key.loadNativeUInt64(), key == expected else {
            return .missingPosition(found: entry.key.loadNativeUInt64() ?? 0)
        }
        let event: RecordedEventView
        do {
            event = try RecordedEventView(record: entry.value)
        } catch {
            return .malformedRecord(error.reason)
        }
        guard event.position == expected else { return .positionMismatch(recorded: event.position) }
        guard event.prevHash == previousHash else { return .chainBroken(expected: previousHash, found: event.prevHash) }
        let computed = event.computeHash()
        guard computed == event.hash else { return .hashMismatch(computed: computed, stored: event.hash) }
        do {
            try Payload.validate(canonicalBytes: event.data)
        } catch {
            return .dataNotCanonical(error)
        }
        let indexed = try reader.transaction.get(databases.eventIds, event.eventIdBytes)?.loadNativeUInt64()
        guard indexed == expected else {
            return .indexMismatch("event id \(event.eventId.uuidString.lowercased()) points to \(indexed.map(String.init) ?? "nothing")")
        }
        var streamKey = LogReader.streamPrefix(event.stream)
        EventRecord.appendBigEndian(event.streamVersion, to: &streamKey)
        let streamIndexed = try reader.transaction.get(databases.streams, streamKey)?.loadNativeUInt64()
        guard streamIndexed == expected else {
            return .indexMismatch(
                "stream \(event.stream) version \(event.streamVersion) points to \(streamIndexed.map(String.init) ?? "nothing")")
        }
        return nil
    }

    private func checkIndexSizes(reader: LogReader, eventCount: UInt64) throws -> VerificationFailure? {
        let ids = try reader.transaction.entryCount(databases.eventIds)
        let streams = try reader.transaction.entryCount(databases.streams)
        guard UInt64(ids) == eventCount, UInt64(streams) == eventCount else {
            return VerificationFailure(
                position: eventCount,
                problem: .indexMismatch(
                    "\(eventCount) events, but \(ids) event-id entries and \(streams) stream entries"))
        }
        return nil
    }
}
