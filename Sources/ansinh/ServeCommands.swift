import ArgumentParser
import Foundation
import Ledger
import LedgerServer
import LedgerTools
import Logging
import NIOCore

/// `ansinh serve`: the ward's HTTP API, for many clerks at once.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve the ward's HTTP API: recording for clerks, reads, the live feed (stop with SIGTERM).",
        discussion: """
            Clerks record with POST /v1/events (import lines; a token from `ansinh users add`);
            everyone reads the public view; /openapi.json describes every endpoint. Other
            processes, the command line among them, keep using the store meanwhile.
            Logs are JSON lines on standard error. SIGTERM or SIGINT stops it gracefully:
            requests in flight are answered first.
            """)
    @Option(help: ArgumentHelp("The address to listen on, HOST:PORT (port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8080"
    @Option(help: ArgumentHelp("Where POST /v1/exports writes exports (default: not offered).", valueName: "folder"))
    var exports: String?
    @Flag(help: "Give each recording request its own transaction and flush (for comparison; slower).")
    var noGroupCommit = false
    @Option(help: "The largest request body, in bytes.") var bodyMaxBytes = 8 << 20
    @Option(help: "Requests a second allowed for each user's token, on average.") var userRate: Double = 100
    @Option(help: "Requests a user's token may send at once, above its rate.") var userBurst: Double = 400
    @Option(help: "Requests a second allowed for each address sending no token.") var publicRate: Double = 20
    @Option(help: "Requests an address sending no token may send at once.") var publicBurst: Double = 100
    @Flag(help: "Behind a reverse proxy on this machine: take a loopback client's address from X-Forwarded-For.")
    var trustLocalProxy = false
    @Option(help: "trace, debug, info, notice, warning, error or critical (else $ANSINH_LOG_LEVEL, else info).")
    var logLevel: String?
    @OptionGroup var store: StoreOptions

    func validate() throws {
        guard Self.address(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8080") }
        guard bodyMaxBytes > 0 else { throw ValidationError("--body-max-bytes must be at least 1") }
        let rates = [("--user-rate", userRate), ("--user-burst", userBurst), ("--public-rate", publicRate), ("--public-burst", publicBurst)]
        for (name, value) in rates where !(value > 0) {
            throw ValidationError("\(name) must be above 0")
        }
        if let level = logLevel ?? ProcessInfo.processInfo.environment["ANSINH_LOG_LEVEL"], Logger.Level(rawValue: level) == nil {
            throw ValidationError("the log level \(level) is not one of trace, debug, info, notice, warning, error, critical")
        }
    }

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger()
            let (host, port) = Self.address(listen)!
            var configuration = ServerConfiguration(storePath: store.storePath)
            (configuration.host, configuration.port) = (host, port)
            configuration.groupCommit = !noGroupCommit
            configuration.exportsFolder = exports
            configuration.trustsLocalProxy = trustLocalProxy
            configuration.bodyBytesMax = bodyMaxBytes
            (configuration.userRequestsPerSecond, configuration.userRequestsBurst) = (userRate, userBurst)
            (configuration.publicRequestsPerSecond, configuration.publicRequestsBurst) = (publicRate, publicBurst)
            let level = Logger.Level(rawValue: logLevel ?? ProcessInfo.processInfo.environment["ANSINH_LOG_LEVEL"] ?? "info") ?? .info
            LoggingSystem.bootstrap { JSONLogHandler(label: $0, level: level) }
            var logger = Logger(label: "ansinh")
            logger.logLevel = level
            let finished = DispatchSemaphore(value: 0)
            let failure = FailureBox()
            Task.detached { [configuration, logger] in
                do {
                    try await LedgerServer.run(configuration, ledger: ledger, logger: logger) { address in
                        emit("ansinh serve: listening on http://\(address)\n")
                        logger.info("listening", metadata: ["address": .string(address), "store": .string(configuration.storePath)])
                    }
                } catch {
                    failure.error = error
                }
                finished.signal()
            }
            finished.wait()
            if let error = failure.error as? IOError {
                // The address is taken, or not this machine's: the option's value, not the store.
                let reason = String(cString: strerror(error.errnoCode)).lowercased()
                throw Failure(message: "cannot listen on \(listen): \(reason)", status: ExitStatus.usage)
            }
            if let error = failure.error { throw error }
        }
    }

    /// HOST:PORT, or [IPv6]:PORT.
    static func address(_ text: String) -> (String, Int)? {
        guard let colon = text.lastIndex(of: ":"), let port = Int(text[text.index(after: colon)...]), (0...65535).contains(port) else {
            return nil
        }
        var host = String(text[..<colon])
        if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
        return host.isEmpty ? nil : (host, port)
    }
}

/// The server's failure, handed from its task to the command's thread.
private final class FailureBox: @unchecked Sendable {
    private let lock = NSLock()
    private var stored: (any Error)?
    var error: (any Error)? {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}

/// `ansinh users`: who may use `ansinh serve`, and with which token.
struct UsersCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users", abstract: "The users of `ansinh serve`: add one (printing their token once), revoke one, list them.",
        subcommands: [Add.self, Revoke.self, List.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Add a user and print their token, once: the store keeps only its hash.",
            discussion: """
                clerk: records in the funds given with --fund (at least one), reads them in the internal view.
                treasurer: records in every fund (or those given) and the ward's own events (members,
                external support, closing the books, erasures).
                auditor: reads everything in the internal view, runs audits and exports; records nothing.
                """)
        @Argument(help: "The user's name (letters, digits, '.', '-', '_'): recorded as who recorded each event.") var name: String
        @Option(help: "clerk, treasurer or auditor.") var role: Role
        @Option(parsing: .upToNextOption, help: "The funds they record in.") var fund: [String] = []
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                let (user, token) = try Users.add(name, role: role, funds: fund, to: ledger)
                let funds = user.funds.isEmpty ? "" : " for \(user.funds.joined(separator: ", "))"
                FileHandle.standardError.write(
                    Data(
                        ("Added \(user.name), \(user.role.rawValue)\(funds). Their token, shown this once "
                            + "(send it as Authorization: Bearer TOKEN):\n").utf8))
                emit(token + "\n")
            }
        }
    }

    struct Revoke: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Withdraw a user's token: their next request is refused.")
        @Argument(help: "The user's name.") var name: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let user = try Users.revoke(name, in: try store.openLedger())
                emit("Revoked \(user.name)'s token at \(user.revokedAt ?? "")\n")
            }
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Every user, with their role, funds, and whether revoked.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                var listing = Listing([
                    ("name", "Name"), ("role", "Role"), ("funds", "Funds"), ("createdAt", "Added"), ("revokedAt", "Revoked"),
                ])
                for user in try Users.all(in: try store.openLedger(readOnly: true)) {
                    listing.append([
                        .text(user.name), .text(user.role.rawValue), .text(user.funds.joined(separator: " ")), .text(user.createdAt),
                        .text(user.revokedAt),
                    ])
                }
                output.print(listing)
            }
        }
    }
}

extension Role: ExpressibleByArgument {}
