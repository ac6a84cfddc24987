import Foundation
import Logging
import NIOCore
import NIOSSL
import PostgresNIO

/// A province's consolidated books, in PostgreSQL: the wards it follows, their events
/// in public form (each one a leaf of its ward's signed log), and read models for the
/// questions asked across wards. Everything lives in the schema `province`.
public final class ProvinceDatabase: Sendable {
    public let url: DatabaseURL
    let client: PostgresClient
    let logger: Logger

    init(url: DatabaseURL, client: PostgresClient, logger: Logger) {
        (self.url, self.client, self.logger) = (url, client, logger)
    }

    /// Connects to the database at `url` for the time of `body`.
    public static func with<Result: Sendable>(
        _ url: DatabaseURL, connections: Int = 4, _ body: @Sendable (ProvinceDatabase) async throws -> Result
    ) async throws -> Result {
        let configuration = Self.configuration(url, connections: connections)
        var logger = Logger(label: "ansinh.province")
        logger.logLevel = .critical
        let client = PostgresClient(configuration: configuration, backgroundLogger: logger)
        let database = ProvinceDatabase(url: url, client: client, logger: logger)
        return try await withThrowingTaskGroup(of: Void.self) { group in
            group.addTask { await client.run() }
            defer { group.cancelAll() }
            do {
                // One round trip first, so that a wrong address or password is said plainly.
                try await database.client.query("SELECT 1", logger: logger)
                return try await body(database)
            } catch let error as PSQLError {
                throw ProvinceError.database(error, url: url)
            } catch let error as PostgresDecodingError {
                throw ProvinceError.database(error, url: url)
            }
        }
    }

    /// The client's settings for `url`: its TLS as `sslmode` asks, and a small pool.
    static func configuration(_ url: DatabaseURL, connections: Int) -> PostgresClient.Configuration {
        let tls: PostgresClient.Configuration.TLS
        switch url.sslMode {
        case .disable: tls = .disable
        case .require:
            var encryptOnly = TLSConfiguration.makeClientConfiguration()
            encryptOnly.certificateVerification = .none
            tls = .require(encryptOnly)
        case .verifyFull: tls = .require(TLSConfiguration.makeClientConfiguration())
        }
        var configuration = PostgresClient.Configuration(
            host: url.host, port: url.port, username: url.user, password: url.password, database: url.database, tls: tls)
        configuration.options.maximumConnections = connections
        configuration.options.minimumConnections = 0
        configuration.options.connectionIdleTimeout = .seconds(60)
        return configuration
    }

    /// Runs `body` in one transaction: all of it is committed, or none.
    func transaction<Result: Sendable>(begin: String = "BEGIN", _ body: (PostgresConnection) async throws -> Result) async throws -> Result {
        try await client.withConnection { connection in
            try await connection.query(PostgresQuery(unsafeSQL: begin), logger: logger)
            do {
                let result = try await body(connection)
                try await connection.query("COMMIT", logger: logger)
                return result
            } catch {
                _ = try? await connection.query("ROLLBACK", logger: logger)
                throw error
            }
        }
    }

    /// Every row of `query`, decoded by `decode`.
    func rows<Row>(_ query: PostgresQuery, _ decode: (PostgresRow) throws -> Row) async throws -> [Row] {
        var rows: [Row] = []
        for try await row in try await client.query(query, logger: logger) { rows.append(try decode(row)) }
        return rows
    }
}

/// Where the province's database is: `postgres://USER[:PASSWORD]@HOST[:PORT]/DATABASE`
/// (also `postgresql://`), with `?sslmode=disable` (the default), `require` (encrypted,
/// the server's certificate not checked) or `verify-full` (encrypted, the certificate
/// checked against the system's roots and the host name), as libpq names them. The
/// password may come from `$PGPASSWORD` instead.
public struct DatabaseURL: Sendable, CustomStringConvertible {
    public enum SSLMode: String, Sendable {
        case disable
        case require
        case verifyFull = "verify-full"
    }
    public var host: String
    public var port: Int
    public var user: String
    public var password: String?
    public var database: String
    public var sslMode: SSLMode

    public init(_ text: String, environment: [String: String] = ProcessInfo.processInfo.environment) throws {
        guard let components = URLComponents(string: text), ["postgres", "postgresql"].contains(components.scheme ?? ""),
            let host = components.host, !host.isEmpty
        else {
            throw ProvinceError.badURL(text, "it must look like postgres://USER@HOST:PORT/DATABASE")
        }
        let database = String(components.path.drop { $0 == "/" })
        guard !database.isEmpty else { throw ProvinceError.badURL(text, "it names no database (…/DATABASE at its end)") }
        self.host = host
        port = components.port ?? 5432
        user = components.user ?? environment["PGUSER"] ?? environment["USER"] ?? "postgres"
        password = components.password ?? environment["PGPASSWORD"]
        self.database = database
        let mode = components.queryItems?.first { $0.name == "sslmode" }?.value ?? environment["PGSSLMODE"] ?? "disable"
        guard let sslMode = SSLMode(rawValue: mode) else {
            throw ProvinceError.badURL(text, "sslmode is disable, require or verify-full, not \(mode)")
        }
        self.sslMode = sslMode
    }

    /// The address without its password.
    public var description: String { "postgres://\(user)@\(host):\(port)/\(database)" }
}

/// Why a province command did not do what it was asked.
public enum ProvinceError: Error, CustomStringConvertible, Sendable {
    case badURL(String, String)
    case database(any Error, url: DatabaseURL)
    case noSchema
    case schemaVersion(Int)
    case unknownWard(String)
    case wardExists(String)
    case badWard(String, String)
    case source(String)
    /// A ward's feed does not extend what the province holds: the refusal, kept as evidence.
    case refused(ward: String, position: UInt64, reason: String, loaded: UInt64)
    case concurrentPull(String)

    public var description: String {
        switch self {
        case .badURL(let url, let why): return "--db \(url) is not a PostgreSQL address: \(why)"
        case .database(let error, let url):
            if let error = error as? ProvinceError { return error.description }
            return "the province's database at \(url): \(Self.explain(error))"
        case .noSchema: return "the database has no province schema yet: run `ansinh province init --db URL` first"
        case .schemaVersion(let version):
            return "the province schema is version \(version), which this ansinh does not know: use a newer ansinh"
        case .unknownWard(let ward): return "no ward \(ward) is registered: add it with `ansinh province ward add \(ward) …`"
        case .wardExists(let ward): return "ward \(ward) is already registered, with another name or key; its key never changes"
        case .badWard(let field, let why): return "\(field): \(why)"
        case .source(let why): return why
        case .refused(let ward, let position, let reason, let loaded):
            let before = loaded == 0 ? "nothing was loaded" : "the \(loaded) entries before it that checked out were loaded"
            return "ward \(ward) refused at position \(position): \(reason); \(before), and the refusal is kept as evidence"
        case .concurrentPull(let ward): return "another pull of ward \(ward) committed meanwhile; run the pull again"
        }
    }

    /// What PostgreSQL said, in its own words, or why it could not be reached.
    static func explain(_ error: any Error) -> String {
        if let error = error as? PSQLError {
            if let message = error.serverInfo?[.message] {
                let code = error.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? ""
                return message + code
            }
            if let underlying = error.underlying { return "cannot connect: \(underlying)" }
            return "\(error.code)"
        }
        if let error = error as? PostgresDecodingError {
            return "a column of \(error.postgresType) could not be read as \(error.targetType) (column \(error.columnName))"
        }
        return "\(error)"
    }

    /// The exit status: 65 for input refused (a ward's feed), 73 for a conflict, 74 for the database, 64 for bad arguments.
    public var exitStatus: Int32 {
        switch self {
        case .badURL, .badWard: return 64
        case .refused, .source: return 65
        case .wardExists, .concurrentPull: return 73
        case .unknownWard: return 65
        case .database(let error, _): return (error as? ProvinceError)?.exitStatus ?? 74
        case .noSchema, .schemaVersion: return 74
        }
    }
}
