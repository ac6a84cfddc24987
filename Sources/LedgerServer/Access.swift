import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerTools
import Logging
import NIOCore
import NIOPosix

/// What the server knows of one request: who sent it (their user, when they gave a
/// token) and from where.
struct ServerContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// The user whose token the request carried, or `nil`: the public.
    var user: User?
    /// The token itself, for a long answer (a live stream) to check it is still valid.
    var token: String?
    /// The client's address, for the public's rate limit and the logs.
    var clientAddress: String

    init(source: ApplicationRequestContextSource) {
        coreContext = CoreRequestContextStorage(source: source)
        clientAddress = source.channel.remoteAddress?.ipAddress ?? "unknown"
    }

    /// The user, or 401 when the request carried no token.
    func requireUser() throws -> User {
        guard let user else { throw Problem.unauthenticated("this needs a token: send Authorization: Bearer TOKEN", invalidToken: false) }
        return user
    }

    /// The user, who must have one of `roles`: 401 without a token, 403 with another role.
    func requireUser(_ roles: Set<Role>, for purpose: String) throws -> User {
        let user = try requireUser()
        guard roles.contains(user.role) else {
            throw Problem.forbidden("\(purpose) is for \(roles.map(\.rawValue).sorted().joined(separator: " or ")); \(user.name) is \(user.role.article) \(user.role.rawValue)")
        }
        return user
    }

    /// A path parameter, percent-decoded (an id may hold any character).
    func pathParameter(_ name: String) throws -> String {
        let raw = try parameters.require(name)
        return raw.removingPercentEncoding ?? raw
    }

    /// How names are shown to this request: the internal view only to those who read everything.
    var view: NameView { user?.readsEverything == true ? .internal : .public }
}

/// The way in for every request: recognises the token it carries (`Authorization:
/// Bearer TOKEN`), holds each token, and each address sending none, to its rate, turns
/// every error into problem details, and logs the request with its outcome.
///
/// A token that is unknown or revoked is refused (401) rather than read as the
/// public: a clerk whose token was withdrawn is told so.
struct GatewayMiddleware: RouterMiddleware {
    typealias Context = ServerContext
    let ledger: Ledger
    let limiter: RateLimiter
    let routes: RouteTable
    let trustsLocalProxy: Bool

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var context = context
        if trustsLocalProxy, ["127.0.0.1", "::1"].contains(context.clientAddress),
            let forwarded = request.headers[.init("X-Forwarded-For")!]?.split(separator: ",").last
        {
            context.clientAddress = forwarded.trimmingCharacters(in: .whitespaces)
        }
        let response: Response
        do {
            try await admit(request, context: &context)
            response = try await next(request, context)
        } catch {
            var problem = Problem.from(error)
            if problem.status == .notFound, problem.kind == nil {
                let allowed = routes.allowedMethods(for: request.uri.path)
                if !allowed.isEmpty {
                    problem = Problem(bare: .methodNotAllowed, detail: "\(request.method.rawValue) is not served here; \(allowed.joined(separator: ", ")) is")
                    problem.headers[.allow] = allowed.joined(separator: ", ")
                }
            }
            log(request, context: context, status: problem.status, since: start, problem: problem)
            return try problem.response(from: request, context: context)
        }
        log(request, context: context, status: response.status, since: start, problem: nil)
        return response
    }

    private func admit(_ request: Request, context: inout Context) async throws {
        // An address sending unknown tokens is held to the public's rate while it tries, in a
        // bucket of its own: the public's reads never lock a clerk out, nor the reverse.
        let guesses = "unknown-token:" + context.clientAddress
        if request.headers[.authorization] != nil, let wait = limiter.peek(guesses) {
            throw Self.limited(wait, who: "this address, after unknown tokens")
        }
        if let authorization = request.headers[.authorization] {
            let parts = authorization.split(separator: " ", maxSplits: 1)
            guard parts.count == 2, parts[0].lowercased() == "bearer" else {
                throw Problem.unauthenticated("the Authorization header must be Bearer TOKEN", invalidToken: true)
            }
            let token = String(parts[1]).trimmingCharacters(in: .whitespaces)
            // Two point reads of the store: cheaper here than a hop to the readers' threads.
            guard let user = try Users.user(holding: token, in: ledger) else {
                _ = limiter.take(guesses, authenticated: false)
                throw Problem.unauthenticated("the token is not known, or was revoked", invalidToken: true)
            }
            context.user = user
            context.token = token
        }
        let key = context.user.map { "user:" + $0.name } ?? "address:" + context.clientAddress
        if let wait = limiter.take(key, authenticated: context.user != nil) {
            throw Self.limited(wait, who: context.user.map { "user " + $0.name } ?? "this address")
        }
    }

    private static func limited(_ wait: Int, who: String) -> Problem {
        var problem = Problem(
            status: .tooManyRequests, kind: "rate-limited", title: "Too many requests",
            detail: "over the rate allowed for \(who); try again in \(wait) s")
        problem.headers[.retryAfter] = String(wait)
        return problem
    }

    /// One line per request: method, path, status, duration, user and client; problems
    /// of the store at error level, other refusals at notice.
    private func log(_ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant, problem: Problem?) {
        let elapsed = start.duration(to: .now)
        let milliseconds = Double(elapsed.components.seconds) * 1000 + Double(elapsed.components.attoseconds) / 1e15
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "status": .stringConvertible(status.code),
            "ms": .string(String(format: "%.2f", milliseconds)), "client": .string(context.clientAddress),
        ]
        if let user = context.user { metadata["user"] = .string(user.name) }
        if let problem { metadata["detail"] = .string(problem.detail) }
        let level: Logger.Level = status.code >= 500 ? .error : status.code >= 400 ? .notice : request.uri.path == "/healthz" ? .debug : .info
        context.logger.log(level: level, "request", metadata: metadata)
    }
}

/// A token bucket per key: `rate` requests a second on average, up to `burst` at once.
final class RateLimiter: @unchecked Sendable {
    struct Rate: Sendable {
        var perSecond: Double
        var burst: Double
        /// No limit.
        static let unlimited = Rate(perSecond: .infinity, burst: .infinity)
    }

    private let lock = NSLock()
    private var buckets: [String: (tokens: Double, at: ContinuousClock.Instant)] = [:]
    let authenticated: Rate
    let anonymous: Rate
    /// Buckets kept at most; full ones are dropped first when there are more.
    static let bucketCountMax = 100_000

    init(authenticated: Rate, anonymous: Rate) {
        self.authenticated = authenticated
        self.anonymous = anonymous
    }

    /// `nil` when the public's bucket `key` has a request left (without taking it), else the seconds to wait.
    func peek(_ key: String) -> Int? {
        guard anonymous.perSecond.isFinite else { return nil }
        return lock.withLock {
            guard let bucket = buckets[key] else { return nil }
            let elapsed = bucket.at.duration(to: .now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            let tokens = min(anonymous.burst, bucket.tokens + seconds * anonymous.perSecond)
            return tokens >= 1 ? nil : max(1, Int(((1 - tokens) / anonymous.perSecond).rounded(.up)))
        }
    }

    /// `nil` when the request may go, else the seconds to wait.
    func take(_ key: String, authenticated isAuthenticated: Bool) -> Int? {
        let rate = isAuthenticated ? authenticated : anonymous
        guard rate.perSecond.isFinite else { return nil }
        let now = ContinuousClock.now
        return lock.withLock {
            var bucket = buckets[key] ?? (rate.burst, now)
            let elapsed = bucket.at.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            bucket.tokens = min(rate.burst, bucket.tokens + seconds * rate.perSecond)
            bucket.at = now
            guard bucket.tokens >= 1 else {
                buckets[key] = bucket
                return max(1, Int(((1 - bucket.tokens) / rate.perSecond).rounded(.up)))
            }
            bucket.tokens -= 1
            if buckets.count >= Self.bucketCountMax {
                // Buckets idle for a minute are full again (or nearly): forgetting them changes nothing.
                buckets = buckets.filter { $0.value.at.duration(to: now) < .seconds(60) }
                if buckets.count >= Self.bucketCountMax { buckets = [:] }
            }
            buckets[key] = bucket
            return nil
        }
    }
}

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
