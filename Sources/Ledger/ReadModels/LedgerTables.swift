import EventLog
import Foundation

/// The tables of the ledger's read models, each named after the read model that
/// keeps it. Rows are stored in fixed binary layouts (``RowWriter``; the rarer external
/// support and period records, counts and ids as canonical CBOR), each sealed with a
/// CRC-32C, so equal state is equal bytes and a rebuild can be compared byte for byte.
/// A class: every read model holds it, and read models are handed around for every
/// event they fold.
final class LedgerDatabases: Sendable {
    // funds: fund balances and fund days
    /// fundId → ``FundBalance`` (its pledge sums are the pledges read model's)
    let funds: Table
    /// fundId ‖ 0 ‖ day (order-preserving big-endian) → ``FundDay``
    let fundDays: Table
    /// fundId ‖ 0 ‖ day → what the fund's balance moved by on that day (an integer):
    /// the day balances the rule "never below 0 on any date" reads
    let fundDayNet: Table
    /// modelId → the fund its deposits go to
    let fundModels: Table
    // registers
    /// fundId ‖ 0 ‖ day ‖ 0 (money in) or 1 (out) ‖ position → nothing: a fund's register
    /// in the order it is read
    let registerLines: Table
    // members: member histories
    /// memberId → ``MemberRecord``
    let members: Table
    /// memberId ‖ 0 ‖ position (big-endian) → ``DepositRecord`` in its fixed stored layout
    let deposits: Table
    // piggybank: piggy-bank summaries and cells
    /// modelId → ``ModelRecord``
    let models: Table
    /// memberId → ``Enrolment``: who saves in which cell, and when
    let roster: Table
    /// modelId ‖ 0 ‖ memberId → ``ModelMemberTotals``
    let modelMembers: Table
    /// modelId ‖ 0 ‖ cell → the cell's line of the model's summary over its whole period
    let modelCells: Table
    /// modelId ‖ 0 ‖ memberId → nothing: the members below the model's target
    let belowTarget: Table
    // pledges
    /// pledgeId → ``PledgeRecord``
    let pledges: Table
    /// fundId → ``PledgeTotals``
    let pledgeTotals: Table
    // external-support
    /// day ‖ position → ``ExternalSupportRecord``
    let externalSupport: Table
    // periods
    /// day the period was closed through → ``PeriodRecord``
    let periods: Table
    // entries: what the rules ask of single entries
    /// event type → how many events of it the log holds
    let typeCounts: Table
    /// disbursementId → position
    let disbursements: Table
    /// reversed event id (16 bytes) → position of the reversal
    let reversals: Table
    // people
    /// subjectId → ``SubjectRecord``
    let subjects: Table
    /// subjectId ‖ 0 ‖ position → ``SubjectRecord/Appearance``: the entries that name them
    let subjectAppearances: Table
    /// memberId → subjectId
    let memberSubjects: Table

    /// The dense ids of the entities the write transactions' accumulators hold.
    let entities = LedgerEntities()

    init(_ setup: ProjectionSetup) throws {
        funds = try setup.table("funds.balances")
        fundDays = try setup.table("funds.days")
        fundDayNet = try setup.table("funds.day-net")
        fundModels = try setup.table("funds.models")
        registerLines = try setup.table("registers.lines")
        members = try setup.table("members.records")
        deposits = try setup.table("members.deposits")
        models = try setup.table("piggybank.models")
        roster = try setup.table("piggybank.roster")
        modelMembers = try setup.table("piggybank.model-members")
        modelCells = try setup.table("piggybank.cells")
        belowTarget = try setup.table("piggybank.below-target")
        pledges = try setup.table("pledges.records")
        pledgeTotals = try setup.table("pledges.by-fund")
        externalSupport = try setup.table("external-support.entries")
        periods = try setup.table("periods.closes")
        typeCounts = try setup.table("entries.type-counts")
        disbursements = try setup.table("entries.disbursements")
        reversals = try setup.table("entries.reversals")
        subjects = try setup.table("people.subjects")
        subjectAppearances = try setup.table("people.appearances")
        memberSubjects = try setup.table("people.members")
    }
}

/// Keys of the ledger's databases, each built in one allocation (a fold builds several
/// for every event).
enum LedgerKey {
    static func composite(_ first: String, _ second: String) -> [UInt8] {
        var key = prefix(first, reserving: second.utf8.count)
        key.append(contentsOf: second.utf8)
        return key
    }

    static func prefix(_ first: String) -> [UInt8] { prefix(first, reserving: 0) }

    /// `first` and a 0 byte, with room for `more` bytes after them.
    private static func prefix(_ first: String, reserving more: Int) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(first.utf8.count + 1 + more)
        key.append(contentsOf: first.utf8)
        key.append(0)
        return key
    }

    static func day(_ date: LocalDate) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(4)
        append(date, to: &key)
        return key
    }

    private static func append(_ date: LocalDate, to key: inout [UInt8]) {
        withUnsafeBytes(of: (UInt32(bitPattern: date.dayNumber) ^ 0x8000_0000).bigEndian) { key.append(contentsOf: $0) }
    }

    private static func append(_ position: UInt64, to key: inout [UInt8]) {
        withUnsafeBytes(of: position.bigEndian) { key.append(contentsOf: $0) }
    }

    static func date(fromDayKey bytes: UnsafeRawBufferPointer) -> LocalDate {
        let raw = UInt32(bigEndian: bytes.loadUnaligned(as: UInt32.self)) ^ 0x8000_0000
        return LocalDate(dayNumber: Int32(bitPattern: raw))
    }

    static func position(_ position: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(8)
        append(position, to: &key)
        return key
    }

    static func fundDay(_ fundId: String, _ date: LocalDate) -> [UInt8] {
        var key = prefix(fundId, reserving: 4)
        append(date, to: &key)
        return key
    }

    static func appearance(_ subjectId: String, _ position: UInt64) -> [UInt8] {
        var key = prefix(subjectId, reserving: 8)
        append(position, to: &key)
        return key
    }

    static func deposit(_ memberId: String, _ position: UInt64) -> [UInt8] {
        var key = prefix(memberId, reserving: 8)
        append(position, to: &key)
        return key
    }

    static func external(_ date: LocalDate, _ position: UInt64) -> [UInt8] {
        var key: [UInt8] = []
        key.reserveCapacity(12)
        append(date, to: &key)
        append(position, to: &key)
        return key
    }

    /// A line of a fund's register, in the order it is read.
    static func registerLine(_ fundId: String, _ date: LocalDate, moneyOut: Bool, position: UInt64) -> [UInt8] {
        var key = prefix(fundId, reserving: 13)
        append(date, to: &key)
        key.append(moneyOut ? 1 : 0)
        append(position, to: &key)
        return key
    }

    static func eventId(_ id: UUID) -> [UInt8] { withUnsafeBytes(of: id.uuid) { Array($0) } }
}

/// Typed reads (and, in a write transaction, writes) of the ledger's tables.
///
/// In a write transaction the records of the few entities many events touch (funds,
/// members, pledges, models, a member's totals in a model, a fund's day) go through
/// the write-back caches of their read models (``LedgerCache``): each is decoded once
/// and encoded once per transaction, however many events fold into it.
final class LedgerTables {
    let transaction: Tables
    let databases: LedgerDatabases
    let caches: [LedgerCache]

    init(transaction: Tables, databases: LedgerDatabases, caches: [LedgerCache] = []) {
        self.transaction = transaction
        self.databases = databases
        self.caches = caches
    }

    /// The write-back cache of `table`'s rows in this transaction, if it has one.
    @inline(__always)
    private func cache<Row: LedgerRow>(_ type: Row.Type, of table: Table) -> RowCache<Row>? {
        for cache in caches {
            guard let found = cache.cache(of: table) else { continue }
            guard let typed = found as? RowCache<Row> else {
                preconditionFailure("\(table.name) holds \(Swift.type(of: found)), not rows of \(Row.self)")
            }
            return typed
        }
        return nil
    }

    /// The numbered accumulator of `table`'s rows in this transaction, if it has one.
    @inline(__always)
    private func numbered<Row: LedgerRow>(_ type: Row.Type, of table: Table) -> NumberedRowCache<Row>? {
        for cache in caches {
            guard let found = cache.cache(of: table) else { continue }
            assert(found is NumberedRowCache<Row>, "\(table.name) holds \(Swift.type(of: found)), not numbered rows of \(Row.self)")
            return unsafeDowncast(found as AnyObject, to: NumberedRowCache<Row>.self)
        }
        return nil
    }

    private func isCached(_ table: Table) -> Bool { caches.contains { $0.cache(of: table) != nil } }

    func load<Row: LedgerRow>(_ type: Row.Type, _ database: Table, _ key: some TableBytes) throws -> Row? {
        if let cache = cache(type, of: database) { return try cache.row(key.withBytes { Array($0) }, in: transaction) }
        guard let bytes = try transaction.get(database, key) else { return nil }
        return try Row(rowBytes: try Seal.opened(bytes, key: key, in: database))
    }

    func store<Row: LedgerRow>(_ row: Row, _ database: Table, _ key: some TableBytes) throws {
        precondition(transaction.isWritable, "a projection write outside a write transaction")
        if let cache = cache(Row.self, of: database) {
            cache.set(row, key.withBytes { Array($0) })
            return
        }
        try transaction.putRow(row, database, key: key)
    }

    /// Changes the row under `key` (`nil` when absent; set it to `nil` to delete it) in
    /// place when the table is cached, else reads, changes and writes it.
    func modify<Row: LedgerRow, Result>(
        _ type: Row.Type, _ database: Table, _ key: some TableBytes, _ body: (inout Row?) throws -> Result
    ) throws -> Result {
        precondition(transaction.isWritable, "a projection write outside a write transaction")
        if let cache = cache(type, of: database) {
            return try cache.modify(key.withBytes { Array($0) }, in: transaction, body)
        }
        let before = try load(type, database, key)
        var row = before
        let result = try body(&row)
        if let row {
            try transaction.putRow(row, database, key: key)
        } else if before != nil {
            try transaction.delete(database, key: key)
        }
        return result
    }

    /// The row of an entity (or two), from the transaction's accumulator when the table
    /// has one.
    func load<Row: LedgerRow>(_ type: Row.Type, _ database: Table, _ key: EntityKey) throws -> Row? {
        if let cache = numbered(type, of: database) { return try cache.row(key, in: transaction) }
        return try load(type, database, key.bytes())
    }

    func store<Row: LedgerRow>(_ row: Row, _ database: Table, _ key: EntityKey) throws {
        if let cache = numbered(Row.self, of: database) {
            precondition(transaction.isWritable, "a projection write outside a write transaction")
            cache.set(row, key)
            return
        }
        try store(row, database, key.bytes())
    }

    /// ``modify(_:_:_:_:)-(_,_,TableBytes,_)`` of an entity's row.
    func modify<Row: LedgerRow, Result>(
        _ type: Row.Type, _ database: Table, _ key: EntityKey, _ body: (inout Row?) throws -> Result
    ) throws -> Result {
        if let cache = numbered(type, of: database) {
            precondition(transaction.isWritable, "a projection write outside a write transaction")
            return try cache.modify(key, in: transaction, body)
        }
        return try modify(type, database, key.bytes(), body)
    }

    /// A fund's balance sheet, with the pledge sums the pledges read model keeps.
    func fund(_ fundId: String) throws -> FundBalance? {
        guard var fund = try load(FundBalance.self, databases.funds, .fund(fundId)) else { return nil }
        try addPledgeSums(to: &fund)
        return fund
    }

    /// Sets a fund's pledged and outstanding sums from the pledges read model.
    func addPledgeSums(to fund: inout FundBalance) throws {
        guard let pledges = try load(PledgeTotals.self, databases.pledgeTotals, .fund(fund.fundId)) else { return }
        fund.pledged = pledges.pledged
        fund.outstandingPledges = pledges.outstanding
    }
    func member(_ memberId: String) throws -> MemberRecord? { try load(MemberRecord.self, databases.members, .member(memberId)) }
    func subject(_ subjectId: String) throws -> SubjectRecord? { try load(SubjectRecord.self, databases.subjects, subjectId) }

    /// The subject id of a member whose name was sealed.
    func memberSubject(_ memberId: String) throws -> String? {
        try transaction.get(databases.memberSubjects, memberId).map {
            try String(rowBytes: try Seal.opened($0, key: memberId, in: databases.memberSubjects))
        }
    }

    func pledge(_ pledgeId: String) throws -> PledgeRecord? { try load(PledgeRecord.self, databases.pledges, pledgeId) }
    func model(_ modelId: String) throws -> ModelRecord? { try load(ModelRecord.self, databases.models, .model(modelId)) }

    func modelMember(_ modelId: String, _ memberId: String) throws -> ModelMemberTotals? {
        try load(ModelMemberTotals.self, databases.modelMembers, .modelMember(model: modelId, member: memberId))
    }

    func disbursementPosition(_ disbursementId: String) throws -> UInt64? {
        try transaction.get(databases.disbursements, disbursementId).flatMap {
            try Seal.opened($0, key: disbursementId, in: databases.disbursements).storedPosition()
        }
    }

    /// The position of the reversal of `eventId`, if it was reversed.
    func reversal(of eventId: UUID) throws -> UInt64? {
        let key = LedgerKey.eventId(eventId)
        return try transaction.get(databases.reversals, key).flatMap { try Seal.opened($0, key: key, in: databases.reversals).storedPosition() }
    }

    /// A member's deposit rows with their positions, in recording order.
    func deposits(of memberId: String) throws -> [(position: UInt64, record: DepositRecord)] {
        let prefix = LedgerKey.prefix(memberId)
        return try transaction.withCursor(databases.deposits) { cursor in
            var rows: [(position: UInt64, record: DepositRecord)] = []
            var previous = DepositRecord.Previous()
            var entry = try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.count == prefix.count + 8, current.key.starts(with: prefix) {
                let value = try Seal.opened(current.value, key: current.key, in: databases.deposits)
                guard let record = DepositRecord(storedBytes: value, previous: &previous) else {
                    throw ProjectionFault(reason: "a deposit row of member \(memberId) is damaged")
                }
                rows.append((current.key.loadBigEndianUInt64(at: prefix.count), record))
                entry = try cursor.next()
            }
            return rows
        }
    }

    /// The tables with the write-back cache written into the transaction, for reading
    /// cached tables with a cursor (a scan). The cache refills as records are read again.
    func flushed() throws -> LedgerTables {
        guard !caches.isEmpty else { return self }
        precondition(transaction.isWritable, "a write-back cache outside a write transaction")
        for cache in caches { try cache.flush(into: transaction) }
        return LedgerTables(transaction: transaction, databases: databases)
    }

    /// The last day of the latest close of the books, if any: read from its key alone,
    /// as every command asks it.
    func closedThrough() throws -> LocalDate? {
        try transaction.withCursor(databases.periods) { cursor in
            try cursor.last().map { LedgerKey.date(fromDayKey: $0.key) }
        }
    }

    /// The latest close of the books, if any.
    func lastPeriod() throws -> PeriodRecord? {
        try transaction.withCursor(databases.periods) { cursor in
            try cursor.last().map { try PeriodRecord(rowBytes: try Seal.opened($0.value, key: $0.key, in: databases.periods)) }
        }
    }

    /// A fund's day movements dated `from` or later, in date order. Reads the table
    /// itself: call it on ``flushed()`` tables in a write transaction.
    func dayNets(of fundId: String, from date: LocalDate) throws -> [(date: LocalDate, net: VND)] {
        var days: [(date: LocalDate, net: VND)] = []
        try forEachDayNet(of: fundId, from: date) { day, net in
            days.append((day, net))
            return true
        }
        return days
    }

    /// A fund's balance at the end of `date`: everything dated on or before it.
    func balance(of fundId: String, through date: LocalDate) throws -> VND {
        var balance = VND.zero
        try forEachDayNet(of: fundId, from: nil) { day, net in
            guard day <= date else { return false }
            balance = try balance.adding(net)
            return true
        }
        return balance
    }

    /// Walks a fund's day movements in date order, from `date` (or its first), while `body` says so.
    private func forEachDayNet(of fundId: String, from date: LocalDate?, _ body: (LocalDate, VND) throws -> Bool) throws {
        let prefix = LedgerKey.prefix(fundId)
        try transaction.withCursor(databases.fundDayNet) { cursor in
            var entry = try cursor.seek(atLeast: date.map { LedgerKey.fundDay(fundId, $0) } ?? prefix)
            while let current = entry, current.key.count == prefix.count + 4, current.key.starts(with: prefix) {
                let day = LedgerKey.date(fromDayKey: UnsafeRawBufferPointer(rebasing: current.key[prefix.count...]))
                var reader = CBORReader(try Seal.opened(current.value, key: current.key, in: databases.fundDayNet))
                guard try body(day, VND(try reader.readInteger())) else { return }
                entry = try cursor.next()
            }
        }
    }

    /// Every record of `database` whose key starts with `prefix`, in key order. It reads
    /// the database itself, so not a table the write-back cache holds.
    func scan<Record: LedgerRow>(
        _ type: Record.Type, _ database: Table, prefix: [UInt8] = [],
        _ body: (UnsafeRawBufferPointer, Record) throws -> Void
    ) throws {
        precondition(!isCached(database), "a scan of a cached table in a write transaction")
        try transaction.withCursor(database) { cursor in
            var entry = prefix.isEmpty ? try cursor.first() : try cursor.seek(atLeast: prefix)
            while let current = entry, current.key.starts(with: prefix) {
                try body(current.key, try Record(rowBytes: try Seal.opened(current.value, key: current.key, in: database)))
                entry = try cursor.next()
            }
        }
    }
}

extension UnsafeRawBufferPointer {
    func loadBigEndianUInt64(at offset: Int) -> UInt64 {
        UInt64(bigEndian: loadUnaligned(fromByteOffset: offset, as: UInt64.self))
    }

    /// A position stored in native byte order (``Seal/sealed(_:key:)-(UInt64,_)``), or
    /// `nil` when the value is not 8 bytes long.
    func storedPosition() -> UInt64? {
        guard count == MemoryLayout<UInt64>.size else { return nil }
        return loadUnaligned(as: UInt64.self)
    }
}

/// Every value the ledger's read models store ends with a CRC-32C of its key and its
/// value, checked whenever it is read: the storage library keeps no checksums of its
/// own, so a damaged byte in a balance is reported as damage, never shown as a figure.
enum Seal {
    static let byteCount = 4

    /// `value` followed by its seal under `key`.
    static func sealed(_ value: [UInt8], key: some TableBytes) -> [UInt8] {
        var crc = key.withBytes { CRC32C.update(CRC32C.start, $0) }
        crc = value.withUnsafeBytes { CRC32C.update(crc, $0) }
        var bytes = value
        withUnsafeBytes(of: CRC32C.finish(crc).littleEndian) { bytes.append(contentsOf: $0) }
        return bytes
    }

    static func sealed(_ position: UInt64, key: some TableBytes) -> [UInt8] {
        sealed(withUnsafeBytes(of: position) { Array($0) }, key: key)
    }

    /// The value within `stored`, once its seal holds.
    /// - Throws: ``ProjectionFault`` naming the table when it does not.
    static func opened(_ stored: UnsafeRawBufferPointer, key: some TableBytes, in database: Table) throws
        -> UnsafeRawBufferPointer
    {
        guard stored.count >= byteCount else { throw damaged(database) }
        let value = UnsafeRawBufferPointer(rebasing: stored[..<(stored.count - byteCount)])
        var crc = key.withBytes { CRC32C.update(CRC32C.start, $0) }
        crc = CRC32C.update(crc, value)
        let seal = UInt32(littleEndian: stored.loadUnaligned(fromByteOffset: stored.count - byteCount, as: UInt32.self))
        guard CRC32C.finish(crc) == seal else { throw damaged(database) }
        return value
    }

    static func damaged(_ database: Table) -> ProjectionFault {
        ProjectionFault(reason: "a record of \(database.name) is damaged (its checksum does not hold); "
            + "run `ansinh audit verify`, and restore the store from a backup")
    }
}

/// CRC-32C (Castagnoli), eight bytes at a time ("slicing by 8"): a record is read on
/// every query, so its check must cost little next to reading it.
enum CRC32C {
    static let start: UInt32 = 0xFFFF_FFFF
    /// Eight tables of 256, one after the other: table 0 is the byte-wise one.
    static let tables: [UInt32] = {
        var tables = [UInt32](repeating: 0, count: 8 * 256)
        for index in 0..<256 {
            var crc = UInt32(index)
            for _ in 0..<8 { crc = crc & 1 != 0 ? (crc >> 1) ^ 0x82F6_3B78 : crc >> 1 }
            tables[index] = crc
        }
        for slice in 1..<8 {
            for index in 0..<256 {
                let previous = tables[(slice - 1) * 256 + index]
                tables[slice * 256 + index] = (previous >> 8) ^ tables[Int(previous & 0xff)]
            }
        }
        return tables
    }()

    static func update(_ crc: UInt32, _ bytes: UnsafeRawBufferPointer) -> UInt32 {
        var crc = crc
        tables.withUnsafeBufferPointer { table in
            var offset = 0
            while bytes.count - offset >= 8 {
                let word = UInt64(littleEndian: bytes.loadUnaligned(fromByteOffset: offset, as: UInt64.self))
                let low = UInt32(truncatingIfNeeded: word) ^ crc
                let high = UInt32(truncatingIfNeeded: word >> 32)
                crc = table[7 * 256 + Int(low & 0xff)] ^ table[6 * 256 + Int((low >> 8) & 0xff)]
                    ^ table[5 * 256 + Int((low >> 16) & 0xff)] ^ table[4 * 256 + Int(low >> 24)]
                    ^ table[3 * 256 + Int(high & 0xff)] ^ table[2 * 256 + Int((high >> 8) & 0xff)]
                    ^ table[256 + Int((high >> 16) & 0xff)] ^ table[Int(high >> 24)]
                offset += 8
            }
            while offset < bytes.count {
                crc = table[Int((crc ^ UInt32(bytes[offset])) & 0xff)] ^ (crc >> 8)
                offset += 1
            }
        }
        return crc
    }

    static func finish(_ crc: UInt32) -> UInt32 { ~crc }
}
