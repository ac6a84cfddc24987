import CLMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// An error returned by LMDB: the library's own codes (`MDB_*`) or an `errno` value.
///
/// Match a specific code with `~=`:
///
/// ```swift
/// do { try txn.put(db, key: key, value: value, flags: .noOverwrite) }
/// catch LMDBError.keyExists { … }
/// ```
///
/// The description is LMDB's own text for the code (`mdb_strerror`); no user data is
/// ever part of it. See <http://www.lmdb.tech/doc/group__errors.html>.
public struct LMDBError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The raw return code: negative for LMDB's own errors, positive for `errno`.
    public let code: Int32

    public init(code: Int32) {
        self.code = code
    }

    public var description: String {
        guard let text = mdb_strerror(code) else { return "LMDB error \(code)" }
        return String(cString: text)
    }

    public static let keyExists = LMDBError(code: MDB_KEYEXIST)
    public static let notFound = LMDBError(code: MDB_NOTFOUND)
    public static let pageNotFound = LMDBError(code: MDB_PAGE_NOTFOUND)
    public static let corrupted = LMDBError(code: MDB_CORRUPTED)
    public static let panic = LMDBError(code: MDB_PANIC)
    public static let versionMismatch = LMDBError(code: MDB_VERSION_MISMATCH)
    public static let invalid = LMDBError(code: MDB_INVALID)
    public static let mapFull = LMDBError(code: MDB_MAP_FULL)
    public static let databasesFull = LMDBError(code: MDB_DBS_FULL)
    public static let readersFull = LMDBError(code: MDB_READERS_FULL)
    public static let transactionFull = LMDBError(code: MDB_TXN_FULL)
    public static let cursorFull = LMDBError(code: MDB_CURSOR_FULL)
    public static let pageFull = LMDBError(code: MDB_PAGE_FULL)
    public static let mapResized = LMDBError(code: MDB_MAP_RESIZED)
    public static let incompatible = LMDBError(code: MDB_INCOMPATIBLE)
    public static let badReaderSlot = LMDBError(code: MDB_BAD_RSLOT)
    public static let badTransaction = LMDBError(code: MDB_BAD_TXN)
    public static let badValueSize = LMDBError(code: MDB_BAD_VALSIZE)
    public static let badDatabase = LMDBError(code: MDB_BAD_DBI)
    /// `ENOSPC`: the disk holding the store is full.
    public static let diskFull = LMDBError(code: ENOSPC)
    /// `EACCES`: the store's files or folder cannot be opened with the needed rights.
    public static let accessDenied = LMDBError(code: EACCES)
    /// `EROFS`: the store is on a read-only file system.
    public static let readOnlyFileSystem = LMDBError(code: EROFS)
    /// `EIO`: the disk failed a read or a write. LMDB also reports a short write this
    /// way, which is how a full disk usually shows; ``Environment/write(_:)`` reports
    /// that case as ``diskFull``.
    public static let ioError = LMDBError(code: EIO)
    /// `ENOENT`: the store's folder does not exist.
    public static let noSuchFile = LMDBError(code: ENOENT)

    /// Lets `catch LMDBError.keyExists` match any error with that code.
    public static func ~= (pattern: LMDBError, error: any Error) -> Bool {
        guard let error = error as? LMDBError else { return false }
        return error.code == pattern.code
    }
}

/// The one place every `mdb_*` return code passes through.
@inline(__always)
func check(_ returnCode: Int32) throws(LMDBError) {
    if returnCode != MDB_SUCCESS {
        throw LMDBError(code: returnCode)
    }
}
