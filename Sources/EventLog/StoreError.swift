import LMDB

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A problem with the store's files or the disk under them, in the log's own words.
/// The storage engine's codes stop at the log's boundary: every public entry point of
/// ``EventLog`` reports them as one of these.
public enum StoreError: Error, Hashable, Sendable, CustomStringConvertible {
    /// The disk holding the store is full (or a write came up short); nothing was written.
    case diskFull
    /// The store's files or folder cannot be opened with the rights needed.
    case accessDenied
    /// The store is on a read-only file system, and the operation writes.
    case readOnlyFileSystem
    /// The store reached the largest size it may grow to; nothing was written.
    case sizeLimitReached
    /// The disk failed a read or a write.
    case ioError
    /// The store's files are damaged, or not a store; with the engine's own words.
    case damaged(String)
    /// Any other failure of the storage engine, with its words.
    case failed(String)

    @usableFromInline
    init(_ error: LMDBError) {
        switch error.code {
        case LMDBError.diskFull.code: self = .diskFull
        case LMDBError.accessDenied.code, EPERM: self = .accessDenied
        case LMDBError.readOnlyFileSystem.code: self = .readOnlyFileSystem
        case LMDBError.mapFull.code: self = .sizeLimitReached
        case LMDBError.ioError.code: self = .ioError
        case LMDBError.invalid.code, LMDBError.versionMismatch.code, LMDBError.corrupted.code,
            LMDBError.pageNotFound.code, LMDBError.panic.code:
            self = .damaged(error.description)
        default: self = .failed(error.description)
        }
    }

    public var description: String {
        switch self {
        case .diskFull: "the disk holding the store is full"
        case .accessDenied: "permission denied"
        case .readOnlyFileSystem: "the store is on a read-only file system"
        case .sizeLimitReached: "the store reached its size limit"
        case .ioError: "input/output error"
        case .damaged(let words): "the store's files are damaged or not a store (\(words))"
        case .failed(let words): "store error: \(words)"
        }
    }
}

/// Runs `body`, reporting the storage engine's errors as ``StoreError``: the one
/// conversion at the log's boundary.
@inlinable
func storage<Result>(_ body: () throws -> Result) throws -> Result {
    do {
        return try body()
    } catch let error as LMDBError {
        throw StoreError(error)
    }
}
