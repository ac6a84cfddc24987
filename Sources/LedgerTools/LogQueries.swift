import EventLog
import Foundation
import Ledger

/// Which events `ansinh log` shows: filters by type, stream, the day they were
/// recorded, a first position and a count. Every event read on the way is checked
/// against its hash and the one before it: damaged bytes are never listed as history.
public struct LogQuery: Sendable {
    public var type: EventType?
    public var stream: String?
    /// Recorded on or after this day, in the ward's calendar.
    public var since: LocalDate?
    /// Recorded on or before this day, in the ward's calendar.
    public var until: LocalDate?
    public var fromPosition: UInt64 = 1
    public var limit: Int?

    public init() {}

    /// Calls `visit` with each event the query selects, oldest first, in one snapshot.
    /// The scan ends once `limit` events are shown, or at the first event recorded after
    /// `until` (recording times never go backwards), so a page costs what it shows.
    public func forEachEvent(in ledger: Ledger, _ visit: (RecordedEventView) throws -> Void) throws {
        try ledger.readLog { reader in try forEachEvent(in: reader, visit) }
    }

    /// The events it selects as `reader` sees the log.
    public func forEachEvent(in reader: LogReader, _ visit: (RecordedEventView) throws -> Void) throws {
        do {
            var shown = 0
            var previous: ChainHash? = fromPosition > 1 || stream != nil ? nil : ChainHash.genesis
            let step: (RecordedEventView) throws -> Void = { event in
                guard shown < limit ?? .max else { throw ScanEnded() }
                guard event.position >= fromPosition else { return }
                try event.checkIntegrity(following: previous)
                if stream == nil { previous = event.hash }
                let day = LocalDate(at: event.recordedAt)
                if let until, day > until { throw ScanEnded() }
                if let type, !event.typeBytes.elementsEqual(type.rawValue.utf8) { return }
                if let since, day < since { return }
                shown += 1
                try visit(event)
            }
            if let stream {
                try reader.forEachEvent(inStream: stream, step)
            } else {
                try reader.forEachEvent(from: fromPosition, step)
            }
        } catch is ScanEnded {
            return
        }
    }

    /// Ends a scan that has found all it needs.
    private struct ScanEnded: Error {}
}

/// Which entries `ansinh audit trail` shows: who recorded what and when, filtered by
/// the recorder (compared in NFC, as names are stored), a fund, and the recording day.
public struct TrailQuery: Sendable {
    public var recordedBy: String?
    /// Only entries in this fund's stream (the money that moved in or out of it).
    public var fundId: String?
    public var since: LocalDate?
    public var until: LocalDate?

    public init() {}

    /// One line of the trail.
    public struct Line: Sendable {
        public let position: UInt64
        public let recordedAt: Timestamp
        public let recordedBy: String
        public let type: String
        public let stream: String
        public let businessDate: LocalDate
        public let amount: VND?
        public let eventId: UUID
    }

    /// The lines the query selects, oldest first, in one snapshot.
    public func lines(in ledger: Ledger) throws -> [Line] {
        let recorder = recordedBy?.precomposedStringWithCanonicalMapping
        var lines: [Line] = []
        try ledger.readLog { reader in
            let visit: (RecordedEventView) throws -> Void = { stored in
                if let recorder, !stored.recordedByBytes.elementsEqual(recorder.utf8) { return }
                let day = LocalDate(at: stored.recordedAt)
                if let since, day < since { return }
                if let until, day > until { return }
                let event = try LedgerEvent.decode(stored)
                lines.append(
                    Line(
                        position: stored.position, recordedAt: stored.recordedAt, recordedBy: stored.recordedBy,
                        type: stored.type, stream: stored.stream, businessDate: event.businessDate, amount: event.amount,
                        eventId: stored.eventId))
            }
            if let fundId {
                try reader.forEachEvent(inStream: "fund-" + fundId, visit)
            } else {
                try reader.forEachEvent(visit)
            }
        }
        return lines
    }
}

extension Listings {
    /// The audit trail: who recorded what, and when (`ansinh audit trail`, `GET /v1/trail`).
    public static func trail(_ lines: [TrailQuery.Line]) -> Listing {
        var listing = Listing([
            ("position", "#"), ("recordedAt", "Recorded at (UTC)"), ("recordedBy", "By"), ("type", "Entry"),
            ("stream", "Stream"), ("date", "Dated"), ("amount", "Amount"), ("eventId", "Event id"),
        ])
        for line in lines {
            listing.append([
                .ordinal(Int64(line.position)), .text(line.recordedAt.iso8601), .text(line.recordedBy), .text(line.type),
                .text(line.stream), .date(line.businessDate), .money(line.amount), .text(line.eventId.uuidString.lowercased()),
            ])
        }
        return listing
    }
}
