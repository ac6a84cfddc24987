import CLMDB

/// A read snapshot of an ``Environment``; see ``Environment/read(_:)``.
///
/// Values returned by ``get(_:_:)`` and by cursors point into the memory map and are
/// valid only until the transaction ends: copy what must outlive it. Using a
/// transaction after its closure returned is a programmer error and traps.
public class Transaction {
    let handle: OpaquePointer

    /// The transaction's id (`mdb_txn_id`): for a read, the id of the commit its snapshot shows.
    public var id: UInt64 { UInt64(mdb_txn_id(handle)) }
    public unowned let environment: Environment
    private(set) var isFinished = false

    init(environment: Environment, parent: Transaction?, readOnly: Bool) throws {
        var handle: OpaquePointer?
        try check(mdb_txn_begin(environment.handle, parent?.handle, readOnly ? UInt32(MDB_RDONLY) : 0, &handle))
        guard let handle else { throw LMDBError.badTransaction }
        self.handle = handle
        self.environment = environment
    }

    deinit {
        precondition(isFinished, "a transaction was dropped without commit or abort")
    }

    @inline(__always)
    final func assertUsable() {
        precondition(!isFinished, "a transaction was used after its closure returned")
    }

    final func abort() {
        guard !isFinished else { return }
        mdb_txn_abort(handle)
        isFinished = true
    }

    final func commit() throws {
        assertUsable()
        isFinished = true  // mdb_txn_commit frees the transaction even when it fails
        try check(mdb_txn_commit(handle))
    }

    /// Whether this is a ``WriteTransaction``.
    public final var isWritable: Bool { self is WriteTransaction }

    /// Opens a named database; ``LMDBError/notFound`` when it does not exist and
    /// `flags` lacks ``Database/Flags/create`` (which only a write transaction may use).
    public func openDatabase(_ name: String, flags: Database.Flags = []) throws -> Database {
        assertUsable()
        precondition(isWritable || !flags.contains(.create), "creating a database needs a write transaction")
        var dbi: MDB_dbi = 0
        try check(mdb_dbi_open(handle, name, flags.rawValue, &dbi))
        return Database(handle: dbi, name: name)
    }

    /// The value stored under `key`, or `nil`; it points into the map (no copy).
    @inline(__always)
    public final func get(_ database: Database, _ key: some RawBytesConvertible) throws -> UnsafeRawBufferPointer? {
        assertUsable()
        return try key.withRawBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            var data = MDB_val()
            let result = mdb_get(handle, database.handle, &keyValue, &data)
            if result == MDB_NOTFOUND { return nil }
            try check(result)
            return UnsafeRawBufferPointer(start: data.mv_data, count: data.mv_size)
        }
    }

    /// Runs `body` with a cursor over `database`, closed when `body` returns.
    public final func withCursor<Result>(_ database: Database, _ body: (Cursor) throws -> Result) throws -> Result {
        assertUsable()
        let cursor = try Cursor(transaction: self, database: database)
        defer { cursor.close() }
        return try body(cursor)
    }

    /// How many entries `database` holds.
    public final func entryCount(_ database: Database) throws -> Int {
        assertUsable()
        var stat = MDB_stat()
        try check(mdb_stat(handle, database.handle, &stat))
        return stat.ms_entries
    }
}

/// A write transaction; see ``Environment/write(_:)``.
public final class WriteTransaction: Transaction {
    /// Opens a named database, creating it when `flags` has ``Database/Flags/create``.
    public override func openDatabase(_ name: String, flags: Database.Flags = []) throws -> Database {
        try super.openDatabase(name, flags: flags)
    }

    /// Stores `value` under `key`.
    /// - Throws: ``LMDBError/keyExists`` with ``PutFlags/noOverwrite`` or a misplaced
    ///   ``PutFlags/append``; ``LMDBError/badValueSize`` for a key over 511 bytes.
    @inline(__always)
    public func put(
        _ database: Database, key: some RawBytesConvertible, value: some RawBytesConvertible, flags: PutFlags = []
    ) throws {
        assertUsable()
        try key.withRawBytes { keyBytes in
            try value.withRawBytes { valueBytes in
                var keyValue = MDB_val(
                    mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
                var data = MDB_val(
                    mv_size: valueBytes.count, mv_data: UnsafeMutableRawPointer(mutating: valueBytes.baseAddress))
                try check(mdb_put(handle, database.handle, &keyValue, &data, flags.rawValue))
            }
        }
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    public func delete(_ database: Database, key: some RawBytesConvertible) throws -> Bool {
        assertUsable()
        return try key.withRawBytes { keyBytes in
            var keyValue = MDB_val(mv_size: keyBytes.count, mv_data: UnsafeMutableRawPointer(mutating: keyBytes.baseAddress))
            let result = mdb_del(handle, database.handle, &keyValue, nil)
            if result == MDB_NOTFOUND { return false }
            try check(result)
            return true
        }
    }

    /// Deletes `database` and every entry in it; its handle must not be used again.
    public func dropDatabase(_ database: Database) throws {
        assertUsable()
        try check(mdb_drop(handle, database.handle, 1))
    }

    /// Deletes every entry of `database`, keeping the database itself.
    public func removeAll(_ database: Database) throws {
        assertUsable()
        try check(mdb_drop(handle, database.handle, 0))
    }
}
