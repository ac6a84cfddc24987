import CLMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An LMDB environment: one store folder holding `data.mdb` and `lock.mdb`.
///
/// Transactions are closures: ``write(_:)`` commits when its body returns and
/// aborts when it throws; ``read(_:)`` always ends its snapshot on return. A
/// transaction never escapes its closure.
///
/// ```swift
/// let env = try Environment(path: "/var/lib/ansinh")
/// let names = try env.write { txn in try txn.openDatabase("names", flags: .create) }
/// try env.write { txn in try txn.put(names, key: "a", value: "b") }
/// ```
///
/// When the map fills (`MDB_MAP_FULL`), ``write(_:)`` aborts, doubles the map and
/// runs the body again, so its body must have no effect outside the transaction.
/// Several processes may open the same folder: LMDB serialises their writers and
/// readers never block the writer. See <http://www.lmdb.tech/doc/group__mdb.html>.
public final class Environment: @unchecked Sendable {
    let handle: OpaquePointer
    /// The folder holding the store's files.
    public let path: String
    public let options: Options
    private let resizeLock = ReadWriteLock()

    /// How an environment is opened. Sizes have their unit last.
    public struct Options: Sendable {
        /// The map size to start with; it doubles whenever a write fills it. Large, because
        /// growing waits for every open read snapshot of the process: on 64-bit systems the
        /// map is only address space, and the file grows with the data alone.
        public var mapSizeBytesInitial: Int = 16 << 30
        /// The map never grows past this; a write that would is refused with ``LMDBError/mapFull``.
        public var mapSizeBytesMax: Int = 1 << 40
        public var databaseCountMax: UInt32 = 32
        public var readerCountMax: UInt32 = 126
        public var durability: Durability = .synchronous
        /// Opens without write access (`MDB_RDONLY`): every ``write(_:)`` is refused.
        public var readOnly = false
        /// Permission bits for the files LMDB creates.
        public var fileMode: mode_t = 0o600

        public init() {}
    }

    /// When a committed write transaction reaches the disk.
    public enum Durability: Sendable, Equatable {
        /// Each commit is flushed (`fsync`) before ``Environment/write(_:)`` returns.
        /// A crash of the process, the system or the power loses no committed write.
        case synchronous
        /// Commits are not flushed (`MDB_NOSYNC`), which is much faster for bulk loads.
        /// A crash of the process alone loses nothing, but a crash of the system or a
        /// power cut can lose the most recent commits and, on a file system that does
        /// not keep write order, damage the store. Call ``Environment/sync()`` when the
        /// load is done.
        case bulkLoadNoSync
    }

    /// Opens (creating if needed) the environment in the existing folder `path`.
    ///
    /// Reader slots left behind by processes that died are cleared on open.
    /// - Throws: ``LMDBError``; ``LMDBError/noSuchFile`` when the folder is missing,
    ///   ``LMDBError/versionMismatch`` or ``LMDBError/invalid`` when the files are not
    ///   an LMDB store this library can read.
    public init(path: String, options: Options = Options()) throws {
        var handle: OpaquePointer?
        try check(mdb_env_create(&handle))
        guard let handle else { throw LMDBError.invalid }
        do {
            try check(mdb_env_set_maxdbs(handle, options.databaseCountMax))
            try check(mdb_env_set_maxreaders(handle, options.readerCountMax))
            try check(mdb_env_set_mapsize(handle, options.mapSizeBytesInitial))
            var flags = UInt32(MDB_NOTLS)
            if options.durability == .bulkLoadNoSync { flags |= UInt32(MDB_NOSYNC) }
            if options.readOnly { flags |= UInt32(MDB_RDONLY) }
            // LMDB prints its failed assertion itself before aborting; aborting here first
            // leaves the process's own handler of the abort to say it in one line.
            try check(mdb_env_set_assert(handle) { _, _ in abort() })
            try check(mdb_env_open(handle, path, flags, options.fileMode))
            var cleared: Int32 = 0
            try check(mdb_reader_check(handle, &cleared))
        } catch {
            mdb_env_close(handle)
            throw error
        }
        self.handle = handle
        self.path = path
        self.options = options
    }

    deinit {
        mdb_env_close(handle)
    }

    /// Runs `body` in a read-only snapshot of the store.
    ///
    /// The snapshot sees every transaction committed before it began and nothing after;
    /// it never blocks writers, in this process or any other.
    public func read<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        try readOnlyTransaction(committing: false, body)
    }

    /// Runs `body` in a write transaction: commits when it returns, aborts when it throws.
    ///
    /// Only one write transaction runs at a time across every process using the store;
    /// others wait. If the map fills, the transaction is aborted, the map grows and
    /// `body` runs again from the start. Growing waits until the process has no read
    /// snapshot open, so a write made inside a ``read(_:)`` of the same environment
    /// must not need the map to grow (it would wait for itself).
    /// - Throws: whatever `body` throws, or ``LMDBError``.
    public func write<Result>(_ body: (WriteTransaction) throws -> Result) throws -> Result {
        precondition(!options.readOnly, "write transaction on an environment opened read-only")
        while true {
            do {
                return try resizeLock.withShared {
                    let transaction = try WriteTransaction(environment: self, parent: nil, readOnly: false)
                    do {
                        let result = try body(transaction)
                        do {
                            try transaction.commit()
                        } catch LMDBError.ioError where freeBytes().map({ $0 < Self.fullDiskBytesMax }) ?? false {
                            // LMDB reports a short write as EIO: on a disk with (next to) no room left, it is a full disk.
                            throw LMDBError.diskFull
                        }
                        return result
                    } catch {
                        transaction.abort()
                        throw error
                    }
                }
            } catch LMDBError.mapFull {
                try growMap()
            } catch LMDBError.mapResized {
                try adoptMapSizeOfOtherProcess()
            }
        }
    }

    /// Runs `body` in a transaction that is committed, so that the database handles
    /// it opens stay valid for the environment's lifetime: a write transaction, or a
    /// read-only one when the environment is opened read-only.
    public func openingDatabases<Result>(_ body: (Transaction) throws -> Result) throws -> Result {
        if !options.readOnly {
            return try write { try body($0) }
        }
        return try readOnlyTransaction(committing: true, body)
    }

    /// A read-only transaction around `body`, begun again if another process grew the
    /// map; committed (to keep database handles it opened) or else aborted.
    private func readOnlyTransaction<Result>(committing: Bool, _ body: (Transaction) throws -> Result) throws -> Result {
        while true {
            do {
                return try resizeLock.withShared {
                    let transaction = try Transaction(environment: self, parent: nil, readOnly: true)
                    do {
                        let result = try body(transaction)
                        if committing { try transaction.commit() } else { transaction.abort() }
                        return result
                    } catch {
                        transaction.abort()
                        throw error
                    }
                }
            } catch LMDBError.mapResized {
                try adoptMapSizeOfOtherProcess()
            }
        }
    }

    /// Flushes every commit to disk (`mdb_env_sync` with force), as needed after a
    /// bulk load with ``Durability/bulkLoadNoSync``.
    public func sync() throws {
        try check(mdb_env_sync(handle, 1))
    }

    /// Writes a consistent copy of the store into the existing, empty folder `path`
    /// while writers go on. With `compacting`, free pages are left out and the copy
    /// is renumbered (`MDB_CP_COMPACT`).
    public func copy(to path: String, compacting: Bool) throws {
        try resizeLock.withShared {
            try check(mdb_env_copy2(handle, path, compacting ? UInt32(MDB_CP_COMPACT) : 0))
        }
    }

    /// Writes a consistent copy of the store's data file to the open file `descriptor`
    /// while writers go on (`mdb_env_copyfd2`); with `compacting`, free pages are left out.
    public func copy(toFileDescriptor descriptor: Int32, compacting: Bool) throws {
        try resizeLock.withShared {
            try check(mdb_env_copyfd2(handle, descriptor, compacting ? UInt32(MDB_CP_COMPACT) : 0))
        }
    }

    /// Clears reader slots left by processes that died, returning how many.
    @discardableResult
    public func clearStaleReaders() throws -> Int {
        var cleared: Int32 = 0
        try check(mdb_reader_check(handle, &cleared))
        return Int(cleared)
    }

    /// Figures about the map and its use.
    public struct Info: Sendable {
        public let mapSizeBytes: Int
        public let pageSizeBytes: Int
        /// Pages in use, counting those not yet reclaimed.
        public let pageCountUsed: Int
        public let readerCountMax: Int
        public let readerCountUsed: Int
        public let lastTransactionID: Int

        public var bytesUsed: Int { pageCountUsed * pageSizeBytes }
    }

    public var info: Info {
        var info = MDB_envinfo()
        var stat = MDB_stat()
        mdb_env_info(handle, &info)
        mdb_env_stat(handle, &stat)
        return Info(
            mapSizeBytes: info.me_mapsize,
            pageSizeBytes: Int(stat.ms_psize),
            pageCountUsed: info.me_last_pgno + 1,
            readerCountMax: Int(info.me_maxreaders),
            readerCountUsed: Int(info.me_numreaders),
            lastTransactionID: info.me_last_txnid
        )
    }

    /// Below this much free space, a failed write is taken for a full disk.
    static let fullDiskBytesMax: UInt64 = 16 << 20

    /// The bytes this process may still write on the store's file system, if known.
    func freeBytes() -> UInt64? {
        var info = statvfs()
        guard statvfs(path, &info) == 0 else { return nil }
        // The superuser may also fill the blocks kept back for it.
        let blocks = geteuid() == 0 ? UInt64(info.f_bfree) : UInt64(info.f_bavail)
        return blocks * UInt64(info.f_frsize)
    }

    private func growMap() throws {
        try resizeLock.withExclusive {
            var info = MDB_envinfo()
            try check(mdb_env_info(handle, &info))
            let current = info.me_mapsize
            guard current < options.mapSizeBytesMax else { throw LMDBError.mapFull }
            let grown = current > options.mapSizeBytesMax / 2 ? options.mapSizeBytesMax : current * 2
            try check(mdb_env_set_mapsize(handle, grown))
        }
    }

    /// Another process grew the map: take its size (`mdb_env_set_mapsize` with 0).
    private func adoptMapSizeOfOtherProcess() throws {
        try resizeLock.withExclusive {
            try check(mdb_env_set_mapsize(handle, 0))
        }
    }
}
