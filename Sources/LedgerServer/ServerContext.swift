import Hummingbird
import Ledger
import LedgerTools

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
            let allowed = roles.map(\.rawValue).sorted().joined(separator: " or ")
            throw Problem.forbidden("\(purpose) is for \(allowed); \(user.described)")
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
