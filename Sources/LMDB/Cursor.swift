import CLMDB

/// One key and its value, both pointing into the map; valid until the transaction ends.
public struct Entry {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer
}

/// A position in a database, moved forward and backward; see ``Transaction/withCursor(_:_:)``.
///
/// Each move returns the entry it lands on, or `nil` past either end.
///
/// A step forward must land on a greater key, and a step back on a smaller one, by the
/// database's own order (`mdb_cmp`): LMDB keeps no page checksums, and a damaged node
/// pointer can make a page look valid while it repeats or skips an entry. A step that
/// breaks the order throws ``LMDBError/corrupted``.
/// See <http://www.lmdb.tech/doc/group__mdb.html#ga48df35fb102536b32dfbb801a47b4cb0>.
public final class Cursor {
    private let handle: OpaquePointer
    private let transaction: Transaction
    private let database: MDB_dbi
    private var isClosed = false
    /// The key of the entry the cursor is on, copied (LMDB keys are at most 511 bytes):
    /// the order of the next step is checked against it.
    private let currentKey = UnsafeMutableRawBufferPointer.allocate(byteCount: Cursor.keyBytesMax, alignment: 8)
    private var currentKeyCount = 0
    private var hasCurrent = false
    static let keyBytesMax = 512

    init(transaction: Transaction, database: Database) throws {
        var handle: OpaquePointer?
        try check(mdb_cursor_open(transaction.handle, database.handle, &handle))
        guard let handle else { throw LMDBError.badTransaction }
        self.handle = handle
        self.transaction = transaction
        self.database = database.handle
    }

    deinit {
        precondition(isClosed, "a cursor outlived its closure")
        currentKey.deallocate()
    }

    func close() {
        mdb_cursor_close(handle)
        isClosed = true
    }

    public func first() throws -> Entry? { try move(MDB_FIRST) }
    public func last() throws -> Entry? { try move(MDB_LAST) }
    public func next() throws -> Entry? { try step(MDB_NEXT, order: 1) }
    public func previous() throws -> Entry? { try step(MDB_PREV, order: -1) }

    /// A step to the next or previous entry, which must lie on the side `order` says.
    private func step(_ operation: MDB_cursor_op, order: Int32) throws -> Entry? {
        guard let entry = try get(operation) else {
            hasCurrent = false
            return nil
        }
        defer { land(entry) }
        guard hasCurrent else { return entry }
        var left = MDB_val(mv_size: entry.key.count, mv_data: UnsafeMutableRawPointer(mutating: entry.key.baseAddress))
        var right = MDB_val(mv_size: currentKeyCount, mv_data: currentKey.baseAddress)
        let comparison = mdb_cmp(transaction.handle, database, &left, &right)
        guard comparison.signum() == order else { throw LMDBError.corrupted }
        return entry
    }

    /// Moves to the first key equal to or after `key` (`MDB_SET_RANGE`).
    public func seek(atLeast key: some RawBytesConvertible) throws -> Entry? {
        try key.withRawBytes { try move(MDB_SET_RANGE, key: $0) }
    }

    /// Moves to exactly `key` (`MDB_SET_KEY`), or returns `nil` when it is absent.
    public func seek(exactly key: some RawBytesConvertible) throws -> Entry? {
        try key.withRawBytes { try move(MDB_SET_KEY, key: $0) }
    }

    /// A move that is not a step (first, last, a seek): its entry starts the order anew.
    @inline(__always)
    private func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        guard let entry = try get(operation, key: key) else {
            hasCurrent = false
            return nil
        }
        land(entry)
        return entry
    }

    @inline(__always)
    private func land(_ entry: Entry) {
        currentKeyCount = min(entry.key.count, Cursor.keyBytesMax)
        if currentKeyCount > 0 { currentKey.baseAddress!.copyMemory(from: entry.key.baseAddress!, byteCount: currentKeyCount) }
        hasCurrent = true
    }

    @inline(__always)
    private func get(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
        transaction.assertUsable()
        var keyValue = MDB_val(mv_size: key?.count ?? 0, mv_data: UnsafeMutableRawPointer(mutating: key?.baseAddress))
        var data = MDB_val()
        let result = mdb_cursor_get(handle, &keyValue, &data, operation)
        if result == MDB_NOTFOUND { return nil }
        try check(result)
        return Entry(
            key: UnsafeRawBufferPointer(start: keyValue.mv_data, count: keyValue.mv_size),
            value: UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size))
    }
}
