import NIOPosix

/// Reads of the store run on a pool of threads, not on the threads serving HTTP: a
/// long register or report must not hold up other requests.
///
/// Long jobs (an audit, a replay, an export) have one thread of their own, so that they
/// queue behind each other, never in front of the quick reads, the health check and the
/// live feeds.
enum Reads {
    static func run<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await NIOThreadPool.singleton.runIfActive(body)
    }

    static func runLong<Result: Sendable>(_ body: @escaping @Sendable () throws -> Result) async throws -> Result {
        try await longJobs.runIfActive(body)
    }

    private static let longJobs: NIOThreadPool = {
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        return pool
    }()
}
