import EventLog
import Foundation

/// A value a read model stores in one of its tables: how it becomes bytes and back.
/// Records are canonical CBOR unless they say otherwise (a deposit row has a fixed
/// binary layout), so equal state is equal bytes and a rebuild compares byte for byte.
protocol LedgerRow {
    /// Reads the bytes ``rowBytes()`` wrote (the seal already checked and taken off).
    /// - Throws: ``ProjectionFault`` or a decoding error when they cannot be one.
    init(rowBytes bytes: UnsafeRawBufferPointer) throws
    /// The stored bytes, before the seal.
    func rowBytes() throws -> [UInt8]
}

extension LedgerRow where Self: Codable {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        self = try PayloadDecoder().decode(Self.self, from: try Payload(canonicalBytes: bytes))
    }

    func rowBytes() throws -> [UInt8] { try PayloadEncoder().encode(self).canonicalBytes() }
}

extension FundBalance: LedgerRow {}
extension FundDay: LedgerRow {}
extension MemberRecord: LedgerRow {}
extension Enrolment: LedgerRow {}
extension PledgeTotals: LedgerRow {}
extension PledgeRecord: LedgerRow {}
extension ModelRecord: LedgerRow {}
extension ModelMemberTotals: LedgerRow {}
extension ExternalSupportRecord: LedgerRow {}
extension PeriodRecord: LedgerRow {}
extension PiggyBankSummary.Cell: LedgerRow {}
/// A count, or a sum in đồng.
extension Int64: LedgerRow {}
/// An id (the fund of a model).
extension String: LedgerRow {}

extension DepositRecord: LedgerRow {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        guard let row = DepositRecord(storedBytes: bytes) else {
            throw ProjectionFault(reason: "a deposit row of \(bytes.count) bytes is damaged")
        }
        self = row
    }

    func rowBytes() -> [UInt8] { storedBytes() }
}

/// One table's rows for one write transaction, typed: each row many events touch (a
/// fund, a fund's day, a model, a member's totals in a model, a cell) is read and
/// decoded once, changed in place by every event that touches it, and encoded and
/// written once, when the transaction commits.
final class RowCache<Row: LedgerRow>: WriteBackCache {
    private struct Slot {
        /// `nil` for a key known to be absent (or deleted).
        var row: Row?
        var dirty: Bool
    }

    let table: Table
    private var slots: [RowKey: Slot] = [:]

    init(_ table: Table) { self.table = table }

    /// The row under `key`, read from `transaction` the first time.
    func row(_ key: [UInt8], in transaction: Tables) throws -> Row? {
        let key = RowKey(key)
        if let slot = slots[key] { return slot.row }
        let row = try read(key.bytes, in: transaction)
        slots[key] = Slot(row: row, dirty: false)
        return row
    }

    /// Sets the row under `key`.
    func set(_ row: Row, _ key: [UInt8]) {
        slots[RowKey(key)] = Slot(row: row, dirty: true)
    }

    /// Changes the row under `key` (`nil` when absent) where it is held, without
    /// copying it. `body` must not touch this cache.
    func modify<Result>(_ key: [UInt8], in transaction: Tables, _ body: (inout Row?) throws -> Result) throws -> Result {
        let key = RowKey(key)
        if let index = slots.index(forKey: key) {
            slots.values[index].dirty = true
            return try body(&slots.values[index].row)
        }
        var slot = Slot(row: try read(key.bytes, in: transaction), dirty: true)
        defer { slots[key] = slot }
        return try body(&slot.row)
    }

    private func read(_ key: [UInt8], in transaction: Tables) throws -> Row? {
        try transaction.get(table, key).map { try Row(rowBytes: try Seal.opened($0, key: key, in: table)) }
    }

    func flush(into transaction: Tables) throws {
        let dirty = slots.filter(\.value.dirty).sorted { $0.key < $1.key }
        for (key, slot) in dirty {
            if let row = slot.row {
                try transaction.put(table, key: key.bytes, value: Seal.sealed(try row.rowBytes(), key: key.bytes))
            } else {
                try transaction.delete(table, key: key.bytes)
            }
        }
        slots.removeAll(keepingCapacity: true)
    }
}

/// A row's key in a cache: hashed and compared as a whole, not byte by byte as an
/// array of bytes would be, and ordered as the table orders it (bytewise).
struct RowKey: Hashable, Comparable {
    let bytes: [UInt8]

    init(_ bytes: [UInt8]) { self.bytes = bytes }

    func hash(into hasher: inout Hasher) {
        bytes.withUnsafeBytes { hasher.combine(bytes: $0) }
    }

    static func < (left: RowKey, right: RowKey) -> Bool {
        let common = min(left.bytes.count, right.bytes.count)
        let order =
            common == 0
            ? 0 : left.bytes.withUnsafeBytes { l in right.bytes.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, common) } }
        return order != 0 ? order < 0 : left.bytes.count < right.bytes.count
    }

    static func == (left: RowKey, right: RowKey) -> Bool {
        guard left.bytes.count == right.bytes.count else { return false }
        guard !left.bytes.isEmpty else { return true }
        return left.bytes.withUnsafeBytes { l in right.bytes.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, l.count) == 0 } }
    }
}

/// A table's write-back cache, whatever its rows.
protocol WriteBackCache: AnyObject {
    var table: Table { get }
    /// Writes every changed row, in key order, and forgets them all.
    func flush(into transaction: Tables) throws
}

/// The write-back caches of one read model for one transaction.
final class LedgerCache {
    let tables: [any WriteBackCache]

    init(_ tables: [any WriteBackCache]) { self.tables = tables }

    /// The cache of `table`, if this read model caches it.
    @inline(__always)
    func cache(of table: Table) -> (any WriteBackCache)? {
        for cache in tables where cache.table == table { return cache }
        return nil
    }

    func flush(into transaction: Tables) throws {
        for cache in tables.sorted(by: { $0.table.name < $1.table.name }) { try cache.flush(into: transaction) }
    }
}
