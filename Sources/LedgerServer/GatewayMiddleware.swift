import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerTools
import Logging

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
                    let served = allowed.joined(separator: ", ")
                    problem = Problem(bare: .methodNotAllowed, detail: "\(request.method.rawValue) is not served here; \(served) is")
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
        Problem.retryLater(
            .tooManyRequests, kind: "rate-limited", title: "Too many requests",
            detail: "over the rate allowed for \(who); try again in \(wait) s", seconds: wait)
    }

    /// One line per request: method, path, status, duration, user and client; problems
    /// of the store at error level, other refusals at notice.
    private func log(
        _ request: Request, context: Context, status: HTTPResponse.Status, since start: ContinuousClock.Instant, problem: Problem?
    ) {
        var metadata: Logger.Metadata = [
            "method": .string(request.method.rawValue), "path": .string(request.uri.path), "status": .stringConvertible(status.code),
            "ms": .string(String(format: "%.2f", milliseconds(start.duration(to: .now)))), "client": .string(context.clientAddress),
        ]
        if let user = context.user { metadata["user"] = .string(user.name) }
        if let problem { metadata["detail"] = .string(problem.detail) }
        let level: Logger.Level =
            status.code >= 500 ? .error : status.code >= 400 ? .notice : request.uri.path == "/healthz" ? .debug : .info
        context.logger.log(level: level, "request", metadata: metadata)
    }
}
