import EventLog
import Foundation

/// A value a read model stores in one of its tables: how it becomes bytes and back.
/// The rows queries and folds read most have fixed binary layouts (``RowWriter``,
/// ``RowReader``, and a deposit row's own); the rest are canonical CBOR. Either way
/// equal state is equal bytes, so a rebuild compares byte for byte.
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

extension Tables {
    /// Stores `row` under `key`, sealed.
    func putRow<Row: LedgerRow>(_ row: Row, _ table: Table, key: some TableBytes) throws {
        try put(table, key: key, value: Seal.sealed(try row.rowBytes(), key: key))
    }
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
    /// copying it. `body` must not touch this cache. If it throws, a row already held may
    /// be left part-changed: a fold that throws fails its whole write transaction.
    func modify<Result>(_ key: [UInt8], in transaction: Tables, _ body: (inout Row?) throws -> Result) throws -> Result {
        let key = RowKey(key)
        if let index = slots.index(forKey: key) {
            slots.values[index].dirty = true
            return try body(&slots.values[index].row)
        }
        var slot = Slot(row: try read(key.bytes, in: transaction), dirty: true)
        let result = try body(&slot.row)
        slots[key] = slot  // only once the change is whole
        return result
    }

    private func read(_ key: [UInt8], in transaction: Tables) throws -> Row? {
        try transaction.get(table, key).map { try Row(rowBytes: try Seal.opened($0, key: key, in: table)) }
    }

    func flush(into transaction: Tables) throws {
        // The keys alone are sorted: moving rows (a subject holds strings and arrays)
        // through a sort costs more than the sort.
        var keys: [RowKey] = []
        keys.reserveCapacity(slots.count)
        for (key, slot) in slots where slot.dirty { keys.append(key) }
        keys.sort()
        try transaction.putInOrder(table, keys.map { ($0.bytes, slots[$0]!.row) })
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

    static func < (left: RowKey, right: RowKey) -> Bool { less(left.bytes, right.bytes) }

    /// Whether the table orders `left` before `right` (bytewise, a prefix first).
    static func less(_ left: [UInt8], _ right: [UInt8]) -> Bool {
        let common = min(left.count, right.count)
        let order =
            common == 0
            ? 0 : left.withUnsafeBytes { l in right.withUnsafeBytes { r in memcmp(l.baseAddress!, r.baseAddress!, common) } }
        return order != 0 ? order < 0 : left.count < right.count
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

// MARK: - Fixed binary layouts

/// Writes a row in a fixed binary layout: integers big-endian and of fixed width (a sum
/// in đồng or a count 8 bytes, a date its 4-byte day number), an optional a presence
/// byte (0 or 1) before its value, text its UTF-8 length (4 bytes) before its bytes.
/// Read back with ``RowReader``, without parsing or reflection.
struct RowWriter {
    private(set) var bytes: [UInt8] = []

    init(capacity: Int) { bytes.reserveCapacity(capacity) }

    mutating func integer(_ value: Int64) { withUnsafeBytes(of: value.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func integer(_ value: Int) { integer(Int64(value)) }
    mutating func money(_ value: VND) { integer(value.dong) }
    mutating func totals(_ value: MoneyTotals) {
        integer(value.count)
        money(value.amount)
    }
    mutating func date(_ value: LocalDate) { withUnsafeBytes(of: value.dayNumber.bigEndian) { bytes.append(contentsOf: $0) } }
    mutating func flag(_ value: Bool) { bytes.append(value ? 1 : 0) }

    mutating func date(_ value: LocalDate?) {
        flag(value != nil)
        if let value { date(value) }
    }

    /// A person's name: 0 and the name in the clear, or 1 and the sealed name (subject
    /// id, sealed bytes, the key's commitment).
    mutating func person(_ value: PersonName) {
        switch value {
        case .plain(let name):
            bytes.append(0)
            text(name)
        case .sealed(let sealed):
            bytes.append(1)
            text(sealed.subjectId)
            withUnsafeBytes(of: UInt32(sealed.sealed.count).bigEndian) { bytes.append(contentsOf: $0) }
            bytes.append(contentsOf: sealed.sealed)
            bytes.append(contentsOf: sealed.keyCommitment)
        }
    }

    mutating func text(_ value: String) {
        let utf8 = value.utf8
        withUnsafeBytes(of: UInt32(utf8.count).bigEndian) { bytes.append(contentsOf: $0) }
        bytes.append(contentsOf: utf8)
    }

    mutating func text(_ value: String?) {
        flag(value != nil)
        if let value { text(value) }
    }

    /// Per-purpose totals, in the purposes' order (so equal totals are equal bytes).
    mutating func purposes(_ value: [String: PurposeTotals]) {
        integer(value.count)
        for (purpose, totals) in value.sorted(by: { $0.key < $1.key }) {
            text(purpose)
            integer(totals.count)
            integer(totals.quantity)
            money(totals.amount)
        }
    }
}

/// Reads what ``RowWriter`` wrote; every read checks the bytes are there, and
/// ``finish()`` that nothing is left over.
struct RowReader {
    private let bytes: UnsafeRawBufferPointer
    private var offset = 0
    /// What the row is, for the fault.
    private let row: String

    init(_ bytes: UnsafeRawBufferPointer, row: String) {
        self.bytes = bytes
        self.row = row
    }

    private func damaged() -> ProjectionFault {
        ProjectionFault(reason: "a \(row) row of \(bytes.count) bytes is damaged")
    }

    private mutating func take(_ count: Int) throws -> UnsafeRawBufferPointer {
        guard count >= 0, bytes.count - offset >= count else { throw damaged() }
        defer { offset += count }
        return UnsafeRawBufferPointer(rebasing: bytes[offset..<offset + count])
    }

    mutating func integer() throws -> Int64 { Int64(bigEndian: try take(8).loadUnaligned(as: Int64.self)) }
    mutating func count() throws -> Int {
        let value = try integer()
        guard let count = Int(exactly: value) else { throw damaged() }
        return count
    }
    mutating func money() throws -> VND { VND(try integer()) }
    mutating func totals() throws -> MoneyTotals { MoneyTotals(count: try integer(), amount: try money()) }
    /// A date of the years 1 to 9999, the ones a ledger's dates can take: a day number
    /// beyond them is damage, and would overflow the arithmetic of days.
    mutating func date() throws -> LocalDate {
        let date = LocalDate(dayNumber: Int32(bigEndian: try take(4).loadUnaligned(as: Int32.self)))
        guard LocalDate.earliest <= date, date <= LocalDate.latest else { throw damaged() }
        return date
    }

    mutating func flag() throws -> Bool {
        switch try take(1)[0] {
        case 0: return false
        case 1: return true
        default: throw damaged()
        }
    }

    mutating func optionalDate() throws -> LocalDate? { try flag() ? try date() : nil }

    mutating func text() throws -> String {
        let length = UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self))
        guard let text = String(validating: try take(Int(length)), as: UTF8.self) else { throw damaged() }
        return text
    }

    mutating func person() throws -> PersonName {
        switch try take(1)[0] {
        case 0: return .plain(try text())
        case 1:
            let subjectId = try text()
            let count = Int(UInt32(bigEndian: try take(4).loadUnaligned(as: UInt32.self)))
            let sealed = Array(try take(count))
            let commitment = Array(try take(32))
            return .sealed(SealedName(subjectId: subjectId, sealed: sealed, keyCommitment: commitment))
        default: throw damaged()
        }
    }

    mutating func optionalText() throws -> String? { try flag() ? try text() : nil }

    mutating func purposes() throws -> [String: PurposeTotals] {
        let count = try count()
        guard count >= 0, count <= bytes.count else { throw damaged() }
        var purposes: [String: PurposeTotals] = [:]
        var previous: String?
        for _ in 0..<count {
            let purpose = try text()
            guard previous.map({ $0 < purpose }) ?? true else { throw damaged() }  // one order, one set of bytes
            previous = purpose
            purposes[purpose] = PurposeTotals(count: try integer(), quantity: try integer(), amount: try money())
        }
        return purposes
    }

    func finish() throws {
        guard offset == bytes.count else { throw damaged() }
    }
}

extension FundBalance {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "fund")
        let fundId = try reader.text()
        let name = try reader.text()
        let openedOn = try reader.date()
        let purpose = try reader.optionalText()
        self.init(
            opened: FundOpened(fundId: fundId, name: name, openedOn: openedOn, openingBalance: try reader.money(), purpose: purpose))
        donations = try reader.totals()
        deposits = try reader.totals()
        pledged = try reader.money()
        outstandingPledges = try reader.money()
        disbursedByPurpose = try reader.purposes()
        balance = try reader.money()
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 160)
        writer.text(fundId)
        writer.text(name)
        writer.date(openedOn)
        writer.text(purpose)
        writer.money(openingBalance)
        writer.totals(donations)
        writer.totals(deposits)
        writer.money(pledged)
        writer.money(outstandingPledges)
        writer.purposes(disbursedByPurpose)
        writer.money(balance)
        return writer.bytes
    }
}

extension FundDay {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "fund day")
        self.init()
        broughtForward = try reader.money()
        donations = try reader.totals()
        deposits = try reader.totals()
        disbursedByPurpose = try reader.purposes()
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 48)
        writer.money(broughtForward)
        writer.totals(donations)
        writer.totals(deposits)
        writer.purposes(disbursedByPurpose)
        return writer.bytes
    }
}

extension MemberRecord {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "member")
        self.init(
            memberId: try reader.text(), fullName: try reader.person(), cell: try reader.text(), enrolledOn: try reader.date(),
            leftOn: try reader.optionalDate(), leftReason: try reader.optionalText(), lastDepositOn: try reader.optionalDate())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 64)
        writer.text(memberId)
        writer.person(fullName)
        writer.text(cell)
        writer.date(enrolledOn)
        writer.date(leftOn)
        writer.text(leftReason)
        writer.date(lastDepositOn)
        return writer.bytes
    }
}

extension Enrolment {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "roster")
        self.init(memberId: try reader.text(), cell: try reader.text(), enrolledOn: try reader.date(), leftOn: try reader.optionalDate())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 32)
        writer.text(memberId)
        writer.text(cell)
        writer.date(enrolledOn)
        writer.date(leftOn)
        return writer.bytes
    }
}

extension PledgeTotals {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "pledge totals")
        self.init(pledged: try reader.money(), outstanding: try reader.money())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 16)
        writer.money(pledged)
        writer.money(outstanding)
        return writer.bytes
    }
}

extension ModelRecord {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "model")
        self.init(
            modelId: try reader.text(), name: try reader.text(), fundId: try reader.text(), startsOn: try reader.date(),
            endsOn: try reader.date(), dailyTarget: try reader.money(), closedOn: try reader.optionalDate(),
            decisionRef: try reader.optionalText(), collected: try reader.totals(), lastDepositOn: try reader.optionalDate(),
            lastActivityOn: try reader.optionalDate())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 96)
        writer.text(modelId)
        writer.text(name)
        writer.text(fundId)
        writer.date(startsOn)
        writer.date(endsOn)
        writer.money(dailyTarget)
        writer.date(closedOn)
        writer.text(decisionRef)
        writer.totals(collected)
        writer.date(lastDepositOn)
        writer.date(lastActivityOn)
        return writer.bytes
    }
}

extension ModelMemberTotals {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "model member")
        self.init(total: try reader.totals(), enrolledDays: try reader.integer())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 24)
        writer.totals(total)
        writer.integer(enrolledDays)
        return writer.bytes
    }
}

extension PiggyBankSummary.Cell {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "cell")
        self.init(cell: try reader.text())
        members = try reader.count()
        participating = try reader.count()
        collected = try reader.money()
        deposits = try reader.integer()
        expected = try reader.money()
        belowTarget = try reader.count()
        shortfall = try reader.money()
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 72)
        writer.text(cell)
        writer.integer(members)
        writer.integer(participating)
        writer.money(collected)
        writer.integer(deposits)
        writer.money(expected)
        writer.integer(belowTarget)
        writer.money(shortfall)
        return writer.bytes
    }
}
