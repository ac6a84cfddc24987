#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// A process-local readers–writer lock.
///
/// Every transaction holds it shared; changing the map size holds it exclusively,
/// because LMDB allows `mdb_env_set_mapsize` only while the process has no
/// transaction open.
final class ReadWriteLock: @unchecked Sendable {
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        let result = pthread_rwlock_init(lock, nil)
        precondition(result == 0, "pthread_rwlock_init failed: \(result)")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withShared<Result>(_ body: () throws -> Result) rethrows -> Result {
        let result = pthread_rwlock_rdlock(lock)
        precondition(result == 0, "pthread_rwlock_rdlock failed: \(result)")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withExclusive<Result>(_ body: () throws -> Result) rethrows -> Result {
        let result = pthread_rwlock_wrlock(lock)
        precondition(result == 0, "pthread_rwlock_wrlock failed: \(result)")
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
