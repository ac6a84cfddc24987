import EventLog
import Foundation

/// One event of a ward's public feed, as `ansinh serve` and exports give it
/// (`public-events.jsonl`; the ward writes it with `PublicEntries`).
///
/// A class, not a struct: an entry is large (every field of every type), and async
/// functions that hold many of them by value keep them in their frames.
public final class PublicEntry: Sendable {
    public let position: UInt64
    public let eventId: UUID
    public let type: String
    public let stream: String
    public let recordedAt: Date
    /// As the ward wrote it (RFC 3339, microseconds): stored as given.
    public let recordedAtText: String
    public let data: EntryData
    public let prevHash: ChainHash
    /// The record's hash: the event's leaf of the ward's Merkle tree.
    public let hash: ChainHash
    /// The line as it was offered, kept with a refusal as evidence.
    public let line: String

    /// Reads one line.
    /// - Throws: ``ProvinceError/source(_:)`` naming `origin` and the field that is wrong.
    public init(line: Substring, origin: @autoclosure () -> String) throws {
        let wire: Wire
        do {
            wire = try JSONDecoder().decode(Wire.self, from: Data(line.utf8))
        } catch DecodingError.keyNotFound(let key, _) {
            throw ProvinceError.source("\(origin()): the field \(key.stringValue) is missing")
        } catch DecodingError.typeMismatch(_, let context), DecodingError.valueNotFound(_, let context),
            DecodingError.dataCorrupted(let context)
        {
            let field = context.codingPath.map(\.stringValue).joined(separator: ".")
            throw ProvinceError.source("\(origin()): \(field.isEmpty ? "not a JSON object" : "the field \(field) is not valid")")
        } catch {
            throw ProvinceError.source("\(origin()): not a JSON object")
        }
        guard let prevHash = ChainHash(hex: wire.prevHash), let hash = ChainHash(hex: wire.hash) else {
            throw ProvinceError.source("\(origin()): prevHash and hash must be 64 hexadecimal digits")
        }
        guard let eventId = UUID(uuidString: wire.eventId) else { throw ProvinceError.source("\(origin()): eventId is not a UUID") }
        guard let recordedAt = Self.instant(wire.recordedAt) else {
            throw ProvinceError.source("\(origin()): recordedAt is not an RFC 3339 instant")
        }
        guard wire.position > 0 else { throw ProvinceError.source("\(origin()): position must be 1 or more") }
        (position, self.eventId, type, stream, self.recordedAt) = (wire.position, eventId, wire.type, wire.stream, recordedAt)
        recordedAtText = wire.recordedAt
        (data, self.prevHash, self.hash) = (wire.data, prevHash, hash)
        self.line = String(line)
    }

    private struct Wire: Decodable {
        var position: UInt64
        var eventId: String
        var type: String
        var stream: String
        var recordedAt: String
        var data: EntryData
        var prevHash: String
        var hash: String
    }

    private static func instant(_ text: String) -> Date? {
        let withFraction = Date.ISO8601FormatStyle(includingFractionalSeconds: true)
        return (try? withFraction.parse(text)) ?? (try? Date.ISO8601FormatStyle().parse(text))
    }

    /// The leaf hash of its entry in the ward's Merkle tree (RFC 9162: the record hash after a 0 byte).
    var leafHash: [UInt8] { MerkleTree.leafHash(hash.bytes) }
}

/// The public view of an event's data: every field any type has, each optional.
public final class EntryData: Codable, Sendable {
    public struct Party: Codable, Sendable, Hashable {
        public let name: String
        public let kind: String
    }
    public let fundId, name, openedOn, purpose: String?
    public let openingBalance: Int64?
    public let memberId, cell, enrolledOn, leftOn: String?
    public let pledgeId, pledgedOn, dueOn, cancelledOn, receivedOn: String?
    public let donor, beneficiary: Party?
    public let amount, quantity, dailyTarget, value, beneficiaries: Int64?
    public let modelId, startsOn, endsOn, depositedOn, closedOn, decisionRef: String?
    public let disbursementId, disbursedOn, programme: String?
    public let organisation, description, recordedOn, source: String?
    public let reversesEventId, reversedOn: String?
    public let through, decision, erasedOn: String?

    /// The data as stored in `province.events.data`: JSON, its keys sorted.
    var json: String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data("{}".utf8), as: UTF8.self)
    }
}
