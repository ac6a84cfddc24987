import CLMDB

/// One key and its value, both pointing into the map; valid until the transaction ends.
public struct Entry {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer
}

/// A position in a database, moved forward and backward; see ``Transaction/withCursor(_:_:)``.
///
/// Each move returns the entry it lands on, or `nil` past either end.
/// See <http://www.lmdb.tech/doc/group__mdb.html#ga48df35fb102536b32dfbb801a47b4cb0>.
public final class Cursor {
    private let handle: OpaquePointer
    private let transaction: Transaction
    private var isClosed = false

    init(transaction: Transaction, database: Database) throws {
        var handle: OpaquePointer?
        try check(mdb_cursor_open(transaction.handle, database.handle, &handle))
        guard let handle else { throw LMDBError.badTransaction }
        self.handle = handle
        self.transaction = transaction
    }

    deinit {
        precondition(isClosed, "a cursor outlived its closure")
    }

    func close() {
        mdb_cursor_close(handle)
        isClosed = true
    }

    public func first() throws -> Entry? { try move(MDB_FIRST) }
    public func last() throws -> Entry? { try move(MDB_LAST) }
    public func next() throws -> Entry? { try move(MDB_NEXT) }
    public func previous() throws -> Entry? { try move(MDB_PREV) }

    /// Moves to the first key equal to or after `key` (`MDB_SET_RANGE`).
    public func seek(atLeast key: some RawBytesConvertible) throws -> Entry? {
        try key.withRawBytes { try move(MDB_SET_RANGE, key: $0) }
    }

    /// Moves to exactly `key` (`MDB_SET_KEY`), or returns `nil` when it is absent.
    public func seek(exactly key: some RawBytesConvertible) throws -> Entry? {
        try key.withRawBytes { try move(MDB_SET_KEY, key: $0) }
    }

    @inline(__always)
    private func move(_ operation: MDB_cursor_op, key: UnsafeRawBufferPointer? = nil) throws -> Entry? {
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
