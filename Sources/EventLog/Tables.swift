import LMDB

/// A named table of a store, kept by a read model: keys ordered bytewise, each with one
/// value. Open one with ``ProjectionSetup/table(_:)`` while the log opens; read and
/// write it through the ``Tables`` of a transaction. The storage engine stays below.
public struct Table: Hashable, Sendable {
    @usableFromInline let database: Database

    @usableFromInline init(_ database: Database) { self.database = database }

    /// The name it was opened with.
    public var name: String { database.name ?? "" }
}

/// Bytes a table takes as a key or a value: `[UInt8]`, an array slice, a `String`'s
/// UTF-8, or a buffer.
public protocol TableBytes: RawBytesConvertible {}

extension TableBytes {
    /// Calls `body` with the bytes.
    @inlinable
    public func withBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try withRawBytes(body)
    }
}

extension Array: TableBytes where Element == UInt8 {}
extension ArraySlice: TableBytes where Element == UInt8 {}
extension String: TableBytes {}
extension UnsafeRawBufferPointer: TableBytes {}

/// One key and its value, valid only inside the transaction (and until the cursor moves).
public struct TableEntry {
    public let key: UnsafeRawBufferPointer
    public let value: UnsafeRawBufferPointer

    @inlinable
    init(_ entry: Entry) {
        key = entry.key
        value = entry.value
    }
}

/// A position in a table, moved in key order; see ``Tables/withCursor(_:_:)``.
public struct TableCursor {
    @usableFromInline let cursor: Cursor

    @usableFromInline init(cursor: Cursor) { self.cursor = cursor }

    @inlinable public func first() throws -> TableEntry? { try cursor.first().map(TableEntry.init) }
    @inlinable public func last() throws -> TableEntry? { try cursor.last().map(TableEntry.init) }
    @inlinable public func next() throws -> TableEntry? { try cursor.next().map(TableEntry.init) }
    @inlinable public func previous() throws -> TableEntry? { try cursor.previous().map(TableEntry.init) }

    /// The first entry whose key is `key` or after it.
    @inlinable
    public func seek(atLeast key: some TableBytes) throws -> TableEntry? {
        try cursor.seek(atLeast: key).map(TableEntry.init)
    }

    /// The entry whose key is exactly `key`.
    @inlinable
    public func seek(exactly key: some TableBytes) throws -> TableEntry? {
        try cursor.seek(exactly: key).map(TableEntry.init)
    }
}

/// The tables as one transaction sees them: what a read model reads (and, in a write
/// transaction, writes) beside the log, committed with its events or not at all.
/// Values read are valid only inside the transaction. Errors pass through as the
/// engine raised them: the transaction's own boundary (``EventLog/read(_:)``,
/// ``EventLog/write(actor:_:)``) reports them as ``StoreError``, after the engine had
/// its chance to grow the store's map and retry.
public struct Tables {
    @usableFromInline let transaction: Transaction

    @usableFromInline init(_ transaction: Transaction) { self.transaction = transaction }

    /// Whether the transaction writes (the log's writer), or only reads (a snapshot).
    public var isWritable: Bool { transaction.isWritable }

    @usableFromInline
    var writable: WriteTransaction {
        guard let writable = transaction as? WriteTransaction else {
            preconditionFailure("a table written outside a write transaction")
        }
        return writable
    }

    /// The value stored under `key`, or `nil`.
    @inlinable
    public func get(_ table: Table, _ key: some TableBytes) throws -> UnsafeRawBufferPointer? {
        try transaction.get(table.database, key)
    }

    /// Runs `body` with a cursor over `table`.
    @inlinable
    public func withCursor<Result>(_ table: Table, _ body: (TableCursor) throws -> Result) throws -> Result {
        try transaction.withCursor(table.database) { try body(TableCursor(cursor: $0)) }
    }

    /// How many entries `table` holds.
    public func count(_ table: Table) throws -> Int {
        try transaction.entryCount(table.database)
    }

    /// Stores `value` under `key`, replacing what was there.
    @inlinable
    public func put(_ table: Table, key: some TableBytes, value: some TableBytes) throws {
        try writable.put(table.database, key: key, value: value)
    }

    /// Stores `value` under `key`, which must come after every key in `table`: the cheap
    /// way to fill a table in key order.
    @inlinable
    public func append(_ table: Table, key: some TableBytes, value: some TableBytes) throws {
        try writable.put(table.database, key: key, value: value, flags: .append)
    }

    /// Deletes `key`; returns whether it was there.
    @discardableResult
    @inlinable
    public func delete(_ table: Table, key: some TableBytes) throws -> Bool {
        try writable.delete(table.database, key: key)
    }

    /// Empties `table`, keeping it.
    public func removeAll(_ table: Table) throws {
        try writable.removeAll(table.database)
    }
}
