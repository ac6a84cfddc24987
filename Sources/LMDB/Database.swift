import CLMDB

/// A named database (a B-tree) inside an ``Environment``.
///
/// Handles are opened once, in a write transaction, and stay valid for the
/// environment's lifetime. See <http://www.lmdb.tech/doc/group__mdb.html#gac08cad5b096925642ca359a6d6f0562a>.
public struct Database: Hashable, Sendable {
    let handle: MDB_dbi
    /// The name it was opened with; `nil` for the unnamed main database.
    public let name: String?

    /// Handles are unique within an environment: equality and hashing use the handle alone.
    public static func == (left: Database, right: Database) -> Bool { left.handle == right.handle }
    public func hash(into hasher: inout Hasher) { hasher.combine(handle) }

    /// How a database orders and keeps its keys.
    public struct Flags: OptionSet, Sendable {
        public let rawValue: UInt32
        public init(rawValue: UInt32) { self.rawValue = rawValue }

        /// Keys are native-order unsigned integers (`UInt64` here), compared as numbers.
        public static let integerKey = Flags(rawValue: UInt32(MDB_INTEGERKEY))
        /// Create the database if it does not exist (write transactions only).
        public static let create = Flags(rawValue: UInt32(MDB_CREATE))
    }
}

/// How a value is put.
public struct PutFlags: OptionSet, Sendable {
    public let rawValue: UInt32
    public init(rawValue: UInt32) { self.rawValue = rawValue }

    /// Fail with ``LMDBError/keyExists`` rather than overwrite.
    public static let noOverwrite = PutFlags(rawValue: UInt32(MDB_NOOVERWRITE))
    /// The key sorts after every key in the database: LMDB appends without searching,
    /// and fails with ``LMDBError/keyExists`` if it does not.
    public static let append = PutFlags(rawValue: UInt32(MDB_APPEND))
}
