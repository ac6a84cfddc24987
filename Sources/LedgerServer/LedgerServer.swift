import Foundation
import Hummingbird
import Ledger
import LedgerTools
import Logging
import NIOCore

/// How `ansinh serve` runs. Limits have their unit last.
public struct ServerConfiguration: Sendable {
    public var host = "127.0.0.1"
    public var port = 8080
    /// The store's folder: the ward's signing key for checkpoints sits beside it.
    public var storePath: String
    /// Whether recording requests that arrive together share one transaction. Off, each
    /// request is its own transaction and flush (a baseline for benchmarks).
    public var groupCommit = true
    /// At most this many requests in one transaction.
    public var groupRequestCountMax = 1024
    /// At most this many events in one transaction (one request is never split).
    public var groupEventCountMax = 100_000
    /// A request body larger than this is refused (413).
    public var bodyBytesMax = 8 << 20
    /// Events one `POST /v1/events` may carry.
    public var requestEventCountMax = 10_000
    /// Requests a second for each user's token, on average, and the burst allowed.
    public var userRequestsPerSecond: Double = 100
    public var userRequestsBurst: Double = 400
    /// The same for each address sending no token (the public).
    public var publicRequestsPerSecond: Double = 20
    public var publicRequestsBurst: Double = 100
    /// Whether a request from the loopback address is taken to come from the last address
    /// in its `X-Forwarded-For` (a reverse proxy on the same machine), for the public's
    /// rate limit and the logs.
    public var trustsLocalProxy = false
    /// Where `POST /v1/exports` writes exports; `nil`: exports are not offered.
    public var exportsFolder: String?
    /// Events in one page of `GET /v1/events`, at most.
    public var feedPageEventCountMax = 1000
    /// How often a live stream looks for events recorded by other processes.
    public var feedPollInterval: Duration = .seconds(1)
    /// A comment sent on a quiet live stream this often, so that proxies keep it open.
    public var feedKeepAliveInterval: Duration = .seconds(15)
    /// Live streams open at once from one address, and in all.
    public var feedStreamsPerAddressMax = 8
    public var feedStreamCountMax = 512

    public init(storePath: String) { self.storePath = storePath }
}

/// `ansinh serve`: the ward's HTTP API over one store, which the command line and other
/// processes keep using at the same time.
///
/// Every recording goes through `POST /v1/events` and the group commit
/// (``CommitQueue``); reads run in read snapshots on a pool of threads; the live feed
/// follows the head. SIGTERM or SIGINT stops it gracefully: the listening socket
/// closes, requests in flight are answered (recordings committed), live streams end,
/// then the process exits.
public enum LedgerServer {
    /// Serves until SIGTERM or SIGINT. `onListening` is called with the address once the
    /// server accepts connections.
    public static func run(
        _ configuration: ServerConfiguration, ledger: Ledger, logger: Logger, onListening: @escaping @Sendable (String) -> Void
    ) async throws {
        let signal = HeadSignal(head: try ledger.head().position)
        let queue = CommitQueue(
            ledger: ledger, signal: signal, logger: logger,
            groupRequestCountMax: configuration.groupCommit ? configuration.groupRequestCountMax : 1,
            groupEventCountMax: configuration.groupEventCountMax)
        queue.start()
        defer {
            signal.stop()
            queue.stop()
        }
        let router = Router(context: ServerContext.self)
        let limiter = RateLimiter(
            authenticated: .init(perSecond: configuration.userRequestsPerSecond, burst: configuration.userRequestsBurst),
            anonymous: .init(perSecond: configuration.publicRequestsPerSecond, burst: configuration.publicRequestsBurst))
        let table = RouteTable(router: router)
        router.middlewares.add(
            GatewayMiddleware(ledger: ledger, limiter: limiter, routes: table, trustsLocalProxy: configuration.trustsLocalProxy))
        let streams = StreamSlots(perAddressMax: configuration.feedStreamsPerAddressMax, totalMax: configuration.feedStreamCountMax)
        let routes = Routes(ledger: ledger, configuration: configuration, queue: queue, signal: signal, streams: streams)
        routes.add(to: table.root)
        let app = Application(
            router: router,
            configuration: ApplicationConfiguration(
                address: .hostname(configuration.host, port: configuration.port), serverName: "ansinh"),
            onServerRunning: { channel in
                let address = channel.localAddress.map { "\($0.ipAddress ?? configuration.host):\($0.port ?? configuration.port)" }
                onListening(address ?? "\(configuration.host):\(configuration.port)")
            },
            logger: logger)
        try await app.runService()
        logger.info("stopped: every request in flight was answered")
    }
}
