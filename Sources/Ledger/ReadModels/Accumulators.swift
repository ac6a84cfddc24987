import EventLog
import Foundation

/// Small integer ids ("dense ids") for the entities of one kind (funds, models,
/// members, cells, event types), assigned in the order a ledger's writer first meets
/// them. They live in memory for the ledger's life, never in the store, and only index
/// the accumulators of a write transaction (``NumberedRowCache``): a row many events
/// touch is then found by an array index, not by building and hashing a key.
///
/// Unchecked, and unlocked, like ``DecodedEvents``: only write transactions use them,
/// and the storage engine runs those one at a time.
final class EntityNumbers: @unchecked Sendable {
    private var numbers: [String: UInt32] = [:]
    /// The last id asked for: the read models ask for the same one in turn.
    private var lastId = ""
    private var lastNumber: UInt32 = .max

    func number(_ id: String) -> UInt32 {
        if lastNumber != .max, id == lastId { return lastNumber }
        let number: UInt32
        if let known = numbers[id] {
            number = known
        } else {
            number = UInt32(numbers.count)
            numbers[id] = number
        }
        lastId = id
        lastNumber = number
        return number
    }

    var count: Int { numbers.count }
}

/// The dense ids of a ledger's entities, one numbering per kind.
final class LedgerEntities: Sendable {
    let funds = EntityNumbers()
    let models = EntityNumbers()
    let members = EntityNumbers()
    /// Cells, by name, across models.
    let cells = EntityNumbers()
    let types = EntityNumbers()
}

/// The key of a row of an entity (or of two), as a numbered accumulator finds it
/// (``number(in:)``) and as its table stores it (``bytes()``, built only when the row
/// is read from or written to the table).
enum EntityKey {
    case fund(String)
    /// A fund's day: its movements, or its day balance.
    case fundDay(String, LocalDate)
    case model(String)
    case member(String)
    /// A member's totals in a model.
    case modelMember(model: String, member: String)
    /// A cell's line in a model's summary.
    case modelCell(model: String, cell: String)
    case type(EventType)

    /// Its accumulator number: one dense id, or two side by side (the first in the high
    /// half). Distinct keys of one table have distinct numbers.
    func number(in entities: LedgerEntities) -> UInt64 {
        switch self {
        case .fund(let id): return UInt64(entities.funds.number(id))
        case .fundDay(let id, let date): return UInt64(entities.funds.number(id)) << 32 | UInt64(UInt32(bitPattern: date.dayNumber))
        case .model(let id): return UInt64(entities.models.number(id))
        case .member(let id): return UInt64(entities.members.number(id))
        case .modelMember(let model, let member):
            return UInt64(entities.models.number(model)) << 32 | UInt64(entities.members.number(member))
        case .modelCell(let model, let cell): return UInt64(entities.models.number(model)) << 32 | UInt64(entities.cells.number(cell))
        case .type(let type): return UInt64(entities.types.number(type.rawValue))
        }
    }

    /// Its key in the table (see ``LedgerDatabases``).
    func bytes() -> [UInt8] {
        switch self {
        case .fund(let id), .model(let id), .member(let id): return Array(id.utf8)
        case .fundDay(let id, let date): return LedgerKey.fundDay(id, date)
        case .modelMember(let model, let member): return LedgerKey.composite(model, member)
        case .modelCell(let model, let cell): return LedgerKey.composite(model, cell)
        case .type(let type): return Array(type.rawValue.utf8)
        }
    }
}

/// One table's rows for one write transaction, found by dense ids (``EntityKey``): an
/// array indexed by the number for most, a dictionary of integers for numbers beyond
/// it (a pair of ids, say). Each row is read and decoded once a transaction, changed in
/// place by every event that touches it, and encoded and written once, in key order,
/// appended where its key comes after the table's last (a rebuild's first transaction,
/// a new entity). Every key of one table is of one kind (``EntityKey``), so distinct
/// keys have distinct numbers.
final class NumberedRowCache<Row: LedgerRow>: WriteBackCache {
    private struct Slot {
        let number: UInt64
        let key: [UInt8]
        /// `nil` for a key known to be absent (or deleted).
        var row: Row?
        var dirty: Bool
    }

    /// Numbers below it are found in `direct`.
    private static var directLimit: UInt64 { 1 << 16 }

    let table: Table
    private let entities: LedgerEntities
    private var slots: [Slot] = []
    /// number → its slot + 1 (0: none), for numbers below ``directLimit``
    private var direct: [Int32] = []
    /// number → its slot, for the others
    private var spread: [UInt64: Int32] = [:]

    init(_ table: Table, _ entities: LedgerEntities) {
        self.table = table
        self.entities = entities
    }

    @inline(__always)
    private func slot(_ number: UInt64) -> Int? {
        if number < Self.directLimit {
            let index = Int(number)
            guard index < direct.count, direct[index] != 0 else { return nil }
            return Int(direct[index]) - 1
        }
        return spread[number].map(Int.init)
    }

    private func add(_ slot: Slot) {
        let index = slots.count
        slots.append(slot)
        if slot.number < Self.directLimit {
            let number = Int(slot.number)
            if number >= direct.count { direct.append(contentsOf: repeatElement(0, count: number + 1 - direct.count)) }
            direct[number] = Int32(index + 1)
        } else {
            spread[slot.number] = Int32(index)
        }
    }

    /// The row under `key`, read from `transaction` the first time.
    func row(_ key: EntityKey, in transaction: Tables) throws -> Row? {
        let number = key.number(in: entities)
        if let index = slot(number) { return slots[index].row }
        let bytes = key.bytes()
        let row = try read(bytes, in: transaction)
        add(Slot(number: number, key: bytes, row: row, dirty: false))
        return row
    }

    /// Sets the row under `key`.
    func set(_ row: Row, _ key: EntityKey) {
        let number = key.number(in: entities)
        if let index = slot(number) {
            slots[index].row = row
            slots[index].dirty = true
        } else {
            add(Slot(number: number, key: key.bytes(), row: row, dirty: true))
        }
    }

    /// Changes the row under `key` (`nil` when absent) where it is held, without
    /// copying it. `body` must not touch this cache. If it throws, a row already held may
    /// be left part-changed: a fold that throws fails its whole write transaction.
    func modify<Result>(_ key: EntityKey, in transaction: Tables, _ body: (inout Row?) throws -> Result) throws -> Result {
        let number = key.number(in: entities)
        if let index = slot(number) {
            slots[index].dirty = true
            return try body(&slots[index].row)
        }
        let bytes = key.bytes()
        var slot = Slot(number: number, key: bytes, row: try read(bytes, in: transaction), dirty: true)
        let result = try body(&slot.row)
        add(slot)  // only once the change is whole
        return result
    }

    private func read(_ key: [UInt8], in transaction: Tables) throws -> Row? {
        try transaction.get(table, key).map { try Row(rowBytes: try Seal.opened($0, key: key, in: table)) }
    }

    func flush(into transaction: Tables) throws {
        var dirty = slots.filter(\.dirty)
        dirty.sort { RowKey.less($0.key, $1.key) }
        try transaction.putInOrder(table, dirty.map { ($0.key, $0.row) })
        for slot in slots where slot.number < Self.directLimit { direct[Int(slot.number)] = 0 }
        spread.removeAll(keepingCapacity: true)
        slots.removeAll(keepingCapacity: true)
    }
}

extension Tables {
    /// Stores each row under its key (deletes the key for `nil`), the keys in ascending
    /// order: those after the table's last key are appended (`MDB_APPEND`), which fills
    /// a page after page instead of searching the tree for each.
    func putInOrder<Row: LedgerRow>(_ table: Table, _ rows: [(key: [UInt8], row: Row?)]) throws {
        guard !rows.isEmpty else { return }
        let last = try withCursor(table) { try $0.last().map { Array($0.key) } }
        var appending = false
        for (key, row) in rows {
            if !appending, row != nil { appending = last.map { RowKey.less($0, key) } ?? true }
            if let row {
                let value = Seal.sealed(try row.rowBytes(), key: key)
                if appending { try append(table, key: key, value: value) } else { try put(table, key: key, value: value) }
            } else {
                try delete(table, key: key)
            }
        }
    }
}
