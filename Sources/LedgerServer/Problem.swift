import Foundation
import HTTPTypes
import Hummingbird
import LedgerTools

/// An error answered as RFC 9457 problem details (`application/problem+json`): a
/// `type` URI naming the kind of problem, its `title`, the HTTP `status`, a `detail`
/// for this occurrence, the request path as `instance`, and members of its own (the
/// import line and field at fault, say).
///
/// The kinds mean what the command line's exit statuses mean (``Outcome``): refused
/// input is 422 (400 when the body cannot be read at all), a conflict 409, a store
/// problem 503, and what a user may not do 401 or 403.
struct Problem: HTTPResponseError {
    let status: HTTPResponse.Status
    /// The last part of the `type` URI, such as `refused`; `nil` for a bare HTTP status (`about:blank`).
    let kind: String?
    let title: String
    let detail: String
    var members: [(String, JSONOut)] = []
    var headers: HTTPFields = [:]

    /// Where the problem kinds are described, relative to the server.
    static let typePrefix = "/problems/"

    func response(from request: Request, context: some RequestContext) throws -> Response {
        var fields: [(String, JSONOut)] = [
            ("type", .string(kind.map { Self.typePrefix + $0 } ?? "about:blank")), ("title", .string(title)),
            ("status", .integer(Int64(status.code))), ("detail", .string(detail)), ("instance", .string(request.uri.path)),
        ]
        fields += members
        var headers = self.headers
        headers[.contentType] = "application/problem+json"
        let body = ByteBuffer(string: JSONOut.object(fields).serialized() + "\n")
        return Response(status: status, headers: headers, body: ResponseBody(byteBuffer: body))
    }

    /// The problem an error of the ledger or its tools is, by its ``Outcome``.
    static func from(_ error: any Error) -> Problem {
        if let problem = error as? Problem { return problem }
        if error is ServerStopping {
            return retryLater(.serviceUnavailable, kind: "stopping", title: "The server is stopping", detail: "\(error)", seconds: 5)
        }
        if let http = error as? HTTPError { return Problem(bare: http.status, detail: http.body ?? http.status.reasonPhrase) }
        if let http = error as? any HTTPResponseError { return Problem(bare: http.status, detail: "\(error)") }
        let (message, outcome) = Explanation.of(error)
        return Problem(outcome, detail: message)
    }

    init(_ outcome: Outcome, detail: String, members: [(String, JSONOut)] = []) {
        switch outcome {
        case .refused: (status, kind, title) = (.unprocessableContent, "refused", "The ledger refused the request")
        case .conflict: (status, kind, title) = (.conflict, "conflict", "The request conflicts with what the ledger holds")
        case .storeProblem: (status, kind, title) = (.serviceUnavailable, "store-problem", "The store cannot be used")
        case .usage: (status, kind, title) = (.badRequest, "bad-request", "The request is not understood")
        case .auditFailed: (status, kind, title) = (.conflict, "audit-failed", "The history does not hold")
        case .notPermitted: (status, kind, title) = (.forbidden, "forbidden", "Not allowed for this user")
        }
        self.detail = detail
        self.members = members
    }

    init(status: HTTPResponse.Status, kind: String, title: String, detail: String, members: [(String, JSONOut)] = []) {
        self.status = status
        self.kind = kind
        self.title = title
        self.detail = detail
        self.members = members
    }

    /// A bare HTTP problem (`about:blank`): a route that does not exist, a body too large.
    init(bare status: HTTPResponse.Status, detail: String) {
        self.status = status
        self.kind = nil
        self.title = status.reasonPhrase
        self.detail = detail
    }

    static func unauthenticated(_ detail: String, invalidToken: Bool) -> Problem {
        var problem = Problem(status: .unauthorized, kind: "unauthenticated", title: "A token is needed", detail: detail)
        problem.headers[.wwwAuthenticate] = invalidToken ? "Bearer realm=\"ansinh\", error=\"invalid_token\"" : "Bearer realm=\"ansinh\""
        return problem
    }

    static func forbidden(_ detail: String) -> Problem { Problem(.notPermitted, detail: detail) }

    /// A problem the client may retry after `seconds` (`Retry-After`): a rate, a busy or stopping server.
    static func retryLater(
        _ status: HTTPResponse.Status, kind: String, title: String, detail: String, seconds: Int
    ) -> Problem {
        var problem = Problem(status: status, kind: kind, title: title, detail: detail)
        problem.headers[.retryAfter] = String(seconds)
        return problem
    }

    static func badRequest(_ detail: String, members: [(String, JSONOut)] = []) -> Problem {
        Problem(.usage, detail: detail, members: members)
    }

    static func notFound(_ detail: String) -> Problem {
        Problem(status: .notFound, kind: "not-found", title: "Not found", detail: detail)
    }
}
