import Foundation

/// The stored form of an event (store format 1), which is also what its hash covers.
///
/// ```
/// offset  bytes  field                 (integers big-endian)
///      0     32  prevHash
///     32      8  position              u64
///     40     16  eventId               UUID bytes
///     56      8  recordedAt            i64, microseconds since 1970 UTC
///     64      8  streamVersion         u64
///     72      4  schemaVersion         u32
///     76   2+n   type                  u16 length, UTF-8
///          2+n   stream                u16 length, UTF-8
///          2+n   recordedBy            u16 length, UTF-8
///          4+n   data                  u32 length, deterministic CBOR
///     end-32 32  hash = SHA-256(every byte before it)
/// ```
///
/// Fixed offsets first, so a reader finds the envelope without parsing; lengths
/// before bytes, so text and data are read in place from the memory map.
enum EventRecord {
    static let prevHashOffset = 0
    static let positionOffset = 32
    static let eventIdOffset = 40
    static let recordedAtOffset = 56
    static let streamVersionOffset = 64
    static let schemaVersionOffset = 72
    static let fixedFieldsBytes = 76
    static let lengthPrefixesBytes = 2 + 2 + 2 + 4
    static let recordBytesMin = fixedFieldsBytes + lengthPrefixesBytes + ChainHash.byteCount

    static func recordBytes(typeBytes: Int, streamBytes: Int, recordedByBytes: Int, dataBytes: Int) -> Int {
        recordBytesMin + typeBytes + streamBytes + recordedByBytes + dataBytes
    }

    /// Writes an event's record into `record` (emptied first), hash included.
    static func encode(
        into record: inout [UInt8], prevHash: ChainHash, position: UInt64, eventId: UUID, recordedAt: Timestamp,
        streamVersion: UInt64, schemaVersion: UInt32, type: [UInt8], stream: [UInt8], recordedBy: [UInt8],
        data: [UInt8]
    ) -> ChainHash {
        record.removeAll(keepingCapacity: true)
        withUnsafeBytes(of: prevHash.storage) { record.append(contentsOf: $0) }
        appendBigEndian(position, to: &record)
        withUnsafeBytes(of: eventId.uuid) { record.append(contentsOf: $0) }
        appendBigEndian(UInt64(bitPattern: recordedAt.microsecondsSince1970), to: &record)
        appendBigEndian(streamVersion, to: &record)
        appendBigEndian(schemaVersion, to: &record)
        for text in [type, stream, recordedBy] {
            appendBigEndian(UInt16(text.count), to: &record)
            record.append(contentsOf: text)
        }
        appendBigEndian(UInt32(data.count), to: &record)
        record.append(contentsOf: data)
        let hash = record.withUnsafeBytes { ChainHash.digest(of: $0) }
        withUnsafeBytes(of: hash.storage) { record.append(contentsOf: $0) }
        return hash
    }

    @inline(__always)
    static func appendBigEndian<Integer: FixedWidthInteger>(_ value: Integer, to bytes: inout [UInt8]) {
        withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) }
    }
}

extension UnsafeRawBufferPointer {
    @inline(__always)
    func loadBigEndian<Integer: FixedWidthInteger>(fromByteOffset offset: Int, as type: Integer.Type) -> Integer {
        Integer(bigEndian: loadUnaligned(fromByteOffset: offset, as: Integer.self))
    }
}

/// Why stored bytes are not a well-formed event record.
public struct MalformedRecord: Error, Hashable, Sendable, CustomStringConvertible {
    public let reason: String
    public var description: String { "malformed event record: \(reason)" }
}

/// A stored event read in place: every field points into the memory map (or the
/// writer's buffer), so it is valid only inside the read or write closure that
/// produced it. Call ``copy()`` to keep an event past it.
public struct RecordedEventView {
    /// The bytes the hash covers: the whole record but its last 32 bytes.
    public let canonicalBytes: UnsafeRawBufferPointer
    private let typeStart: Int
    private let streamStart: Int
    private let recordedByStart: Int
    private let dataStart: Int

    /// Checks the record's lengths (never reads out of bounds, even on damaged bytes).
    public init(record: UnsafeRawBufferPointer) throws(MalformedRecord) {
        guard record.count >= EventRecord.recordBytesMin else {
            throw MalformedRecord(reason: "\(record.count) bytes, shorter than the \(EventRecord.recordBytesMin) minimum")
        }
        let end = record.count - ChainHash.byteCount
        var offset = EventRecord.fixedFieldsBytes
        var starts: [Int] = []
        for (name, prefix) in [("type", 2), ("stream", 2), ("recordedBy", 2), ("data", 4)] {
            guard end - offset >= prefix else { throw MalformedRecord(reason: "\(name) length runs past the end") }
            let length =
                prefix == 2
                ? Int(record.loadBigEndian(fromByteOffset: offset, as: UInt16.self))
                : Int(record.loadBigEndian(fromByteOffset: offset, as: UInt32.self))
            offset += prefix
            starts.append(offset)
            guard end - offset >= length else { throw MalformedRecord(reason: "\(name) runs past the end") }
            offset += length
        }
        guard offset == end else { throw MalformedRecord(reason: "\(end - offset) unexpected bytes before the hash") }
        canonicalBytes = UnsafeRawBufferPointer(rebasing: record[0..<end])
        typeStart = starts[0]
        streamStart = starts[1]
        recordedByStart = starts[2]
        dataStart = starts[3]
    }

    public var prevHash: ChainHash { ChainHash(bytes: canonicalBytes) }

    /// Checks that the record's bytes still hash to its stored hash, and, given the
    /// previous event's hash, that it follows it: for readers that hand events on
    /// (a listing, an export), so damaged bytes are never passed off as history.
    /// - Throws: ``LogError/corruptRecord(position:reason:)``.
    public func checkIntegrity(following previous: ChainHash?) throws(LogError) {
        guard ChainHash.digest(of: canonicalBytes) == hash else {
            throw .corruptRecord(position: position, reason: "its bytes no longer hash to its stored hash")
        }
        if let previous, previous != prevHash {
            throw .corruptRecord(position: position, reason: "it does not follow the event before it in the hash chain")
        }
    }
    /// The stored hash (the record's last 32 bytes), not recomputed.
    public var hash: ChainHash {
        ChainHash(bytes: UnsafeRawBufferPointer(start: canonicalBytes.baseAddress! + canonicalBytes.count, count: 32))
    }
    public var position: UInt64 { canonicalBytes.loadBigEndian(fromByteOffset: EventRecord.positionOffset, as: UInt64.self) }
    public var eventId: UUID {
        UUID(uuid: canonicalBytes.loadUnaligned(fromByteOffset: EventRecord.eventIdOffset, as: uuid_t.self))
    }
    public var eventIdBytes: UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(rebasing: canonicalBytes[EventRecord.eventIdOffset..<EventRecord.eventIdOffset + 16])
    }
    public var recordedAt: Timestamp {
        Timestamp(
            microsecondsSince1970: Int64(
                bitPattern: canonicalBytes.loadBigEndian(fromByteOffset: EventRecord.recordedAtOffset, as: UInt64.self)))
    }
    public var streamVersion: UInt64 {
        canonicalBytes.loadBigEndian(fromByteOffset: EventRecord.streamVersionOffset, as: UInt64.self)
    }
    public var schemaVersion: UInt32 {
        canonicalBytes.loadBigEndian(fromByteOffset: EventRecord.schemaVersionOffset, as: UInt32.self)
    }
    public var typeBytes: UnsafeRawBufferPointer { field(at: typeStart, prefix: 2) }
    public var streamBytes: UnsafeRawBufferPointer { field(at: streamStart, prefix: 2) }
    public var recordedByBytes: UnsafeRawBufferPointer { field(at: recordedByStart, prefix: 2) }
    /// The event's data, deterministic CBOR; read it with ``CBORReader`` or ``Payload``.
    public var data: UnsafeRawBufferPointer { field(at: dataStart, prefix: 4) }

    public var type: String { String(decoding: typeBytes, as: UTF8.self) }
    public var stream: String { String(decoding: streamBytes, as: UTF8.self) }
    public var recordedBy: String { String(decoding: recordedByBytes, as: UTF8.self) }

    /// Whether the type is `name`, without making a `String`.
    @inline(__always)
    public func isType(_ name: StaticString) -> Bool {
        let bytes = typeBytes
        guard bytes.count == name.utf8CodeUnitCount else { return false }
        return memcmp(bytes.baseAddress!, name.utf8Start, bytes.count) == 0
    }

    /// SHA-256 of ``canonicalBytes``: what ``hash`` must equal.
    public func computeHash() -> ChainHash { ChainHash.digest(of: canonicalBytes) }

    @inline(__always)
    private func field(at start: Int, prefix: Int) -> UnsafeRawBufferPointer {
        let length =
            prefix == 2
            ? Int(canonicalBytes.loadBigEndian(fromByteOffset: start - 2, as: UInt16.self))
            : Int(canonicalBytes.loadBigEndian(fromByteOffset: start - 4, as: UInt32.self))
        return UnsafeRawBufferPointer(rebasing: canonicalBytes[start..<(start + length)])
    }

    /// An owned copy that outlives the transaction.
    public func copy() -> RecordedEvent {
        RecordedEvent(
            position: position, eventId: eventId, type: type, schemaVersion: schemaVersion, stream: stream,
            streamVersion: streamVersion, recordedAt: recordedAt, recordedBy: recordedBy, data: Array(data),
            prevHash: prevHash, hash: hash)
    }
}

/// A stored event, copied out of the store.
public struct RecordedEvent: Hashable, Sendable {
    public var position: UInt64
    public var eventId: UUID
    public var type: String
    public var schemaVersion: UInt32
    public var stream: String
    public var streamVersion: UInt64
    public var recordedAt: Timestamp
    public var recordedBy: String
    /// Deterministic CBOR; see ``payload``.
    public var data: [UInt8]
    public var prevHash: ChainHash
    public var hash: ChainHash

    public init(
        position: UInt64, eventId: UUID, type: String, schemaVersion: UInt32, stream: String, streamVersion: UInt64,
        recordedAt: Timestamp, recordedBy: String, data: [UInt8], prevHash: ChainHash, hash: ChainHash
    ) {
        self.position = position
        self.eventId = eventId
        self.type = type
        self.schemaVersion = schemaVersion
        self.stream = stream
        self.streamVersion = streamVersion
        self.recordedAt = recordedAt
        self.recordedBy = recordedBy
        self.data = data
        self.prevHash = prevHash
        self.hash = hash
    }

    /// The data decoded.
    public func payload() throws(PayloadError) -> Payload { try Payload(canonicalBytes: data) }
}
