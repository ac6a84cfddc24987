import Hummingbird

/// The routes as registered, by path and method: a path that exists under other
/// methods answers 405 with `Allow`, not 404.
final class RouteTable: @unchecked Sendable {
    private var methods: [(segments: [Substring], method: HTTPRequest.Method)] = []
    let router: Router<ServerContext>

    init(router: Router<ServerContext>) { self.router = router }

    var root: Group { Group(table: self, prefix: "") }

    /// The methods `path` is served with; empty when no route has it.
    func allowedMethods(for path: String) -> [String] {
        let segments = path.split(separator: "/")
        let matching = methods.filter { route in
            route.segments.count == segments.count
                && zip(route.segments, segments).allSatisfy { pattern, segment in pattern.hasPrefix(":") || pattern == segment }
        }
        return Array(Set(matching.map(\.method.rawValue))).sorted()
    }

    /// Routes under a prefix (`/v1`).
    struct Group {
        let table: RouteTable
        let prefix: String

        func group(_ path: String) -> Group { Group(table: table, prefix: prefix + "/" + path) }

        func get(_ path: String, use handler: @escaping @Sendable (Request, ServerContext) async throws -> Response) {
            on(path, .get, handler)
        }

        func post(_ path: String, use handler: @escaping @Sendable (Request, ServerContext) async throws -> Response) {
            on(path, .post, handler)
        }

        private func on(
            _ path: String, _ method: HTTPRequest.Method, _ handler: @escaping @Sendable (Request, ServerContext) async throws -> Response
        ) {
            let full = prefix + "/" + path
            table.router.on(RouterPath(full), method: method, use: handler)
            table.methods.append((full.split(separator: "/"), method))
        }
    }
}
