import ArgumentParser
import Crypto
import Foundation
import Ledger
import LedgerTools
import Logging
import Province

/// `ansinh province …`: a province's consolidated books on PostgreSQL.
struct ProvinceCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "province",
        abstract: "A province's books on PostgreSQL, fed by its wards' signed public feeds.",
        discussion: """
            The database is given by --db postgres://USER@HOST:PORT/DATABASE, else
            $ANSINH_PROVINCE_DB; a password may come from $PGPASSWORD. Only the public view of
            each ward travels: people as the ward's public site names them, no clerk, no reason.
            """,
        subcommands: [ProvinceInit.self, ProvinceWard.self, ProvincePull.self, ProvinceReportCommand.self, ProvinceTrace.self, ProvinceServe.self]
    )
}

/// `--db`, shared by every province command.
struct DatabaseOption: ParsableArguments {
    @Option(help: ArgumentHelp("The province's PostgreSQL database (else $ANSINH_PROVINCE_DB).", valueName: "postgres://user@host:port/db"))
    var db: String?

    func url() throws -> DatabaseURL {
        guard let text = db ?? ProcessInfo.processInfo.environment["ANSINH_PROVINCE_DB"], !text.isEmpty else {
            throw ValidationError("--db is required (or $ANSINH_PROVINCE_DB): the province's database, postgres://USER@HOST:PORT/DATABASE")
        }
        do {
            return try DatabaseURL(text)
        } catch {
            throw ValidationError("\(error)")
        }
    }

    func validate() throws { _ = try url() }
}

/// Runs `body` on the database and waits for it; failures become one line and an exit status.
func withProvince<Result: Sendable>(
    _ option: DatabaseOption, connections: Int = 4, _ body: @escaping @Sendable (ProvinceDatabase) async throws -> Result
) throws -> Result {
    let url = try option.url()
    let box = AsyncResult<Result>()
    let done = DispatchSemaphore(value: 0)
    Task.detached {
        do {
            box.set(.success(try await ProvinceDatabase.with(url, connections: connections, body)))
        } catch {
            box.set(.failure(error))
        }
        done.signal()
    }
    done.wait()
    switch box.get()! {
    case .success(let result): return result
    case .failure(let error):
        let (message, status) = describe(error)
        FileHandle.standardError.write(Data("ansinh: \(message)\n".utf8))
        throw ExitCode(status)
    }
}

/// A result handed from a task to the thread that waits for it.
final class AsyncResult<Value: Sendable>: @unchecked Sendable {
    private let lock = NSLock()
    private var value: Swift.Result<Value, any Error>?
    func set(_ result: Swift.Result<Value, any Error>) { lock.withLock { value = result } }
    func get() -> Swift.Result<Value, any Error>? { lock.withLock { value } }
}

struct ProvinceInit: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "init", abstract: "Create the province's schema: wards, events partitioned by ward, read models.")
    @OptionGroup var database: DatabaseOption

    func run() throws {
        try withProvince(database) { try await $0.createSchema() }
        emit("ansinh: the province's schema is ready in \(try database.url())\n")
    }
}

struct ProvinceWard: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "ward", abstract: "Register the wards the province follows.", subcommands: [Add.self])

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Register a ward with the public key it publishes (`ansinh keys show`).")
        @Argument(help: "The ward's id: lower-case letters, digits and hyphens, such as nui-sam.") var id: String
        @OptionGroup var database: DatabaseOption
        @Option(help: "The ward's name, as the public site shows it.") var name: String
        @Option(help: ArgumentHelp("The ward's Ed25519 public key, 64 hexadecimal digits.", valueName: "hex")) var publicKey: String

        func validate() throws {
            guard Self.key(publicKey) != nil else {
                throw ValidationError("--public-key must be the ward's Ed25519 public key: 64 hexadecimal digits")
            }
        }

        static func key(_ text: String) -> [UInt8]? {
            let text = text.trimmingCharacters(in: .whitespacesAndNewlines).lowercased()
            guard text.count == 64, text.allSatisfy(\.isHexDigit) else { return nil }
            let bytes = stride(from: 0, to: 64, by: 2).compactMap { offset -> UInt8? in
                let start = text.index(text.startIndex, offsetBy: offset)
                return UInt8(text[start..<text.index(start, offsetBy: 2)], radix: 16)
            }
            guard (try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)) != nil else { return nil }
            return bytes
        }

        func run() throws {
            let (id, name, key) = (self.id, self.name, Self.key(publicKey)!)
            try withProvince(database) { try await $0.addWard(id, name: name, publicKey: key) }
            emit("ansinh: ward \(id) (\(name)) is registered\n")
        }
    }
}

struct ProvincePull: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pull",
        abstract: "Load a ward's events after the last position held, from its export or its live feed.",
        discussion: """
            Nothing is committed before the ward's checkpoint verifies with its registered key,
            is consistent with the last one accepted, and the entries continue the chain held.
            Each batch is one transaction; a pull stopped at any instant resumes where it
            stopped. A feed that rewrites what is held is refused (exit 65), naming the ward
            and the position, and kept as evidence in province.refusals.
            """)
    @OptionGroup var database: DatabaseOption
    @Option(help: "The ward's id.") var ward: String
    @Option(help: ArgumentHelp("A folder written by `ansinh export` (public view, signed).", valueName: "folder")) var export: String?
    @Option(help: ArgumentHelp("The address of the ward's `ansinh serve`.", valueName: "url")) var feed: String?
    @Option(help: "Entries per transaction.") var batchSize = 5_000
    @Flag(help: "With --feed: keep following, pulling again every --interval seconds until stopped.") var follow = false
    @Option(help: "With --follow: seconds between pulls.") var interval: Double = 5

    func validate() throws {
        guard (export == nil) != (feed == nil) else { throw ValidationError("give one of --export DIR or --feed URL") }
        guard batchSize > 0 else { throw ValidationError("--batch-size must be at least 1") }
        if follow && feed == nil { throw ValidationError("--follow goes with --feed") }
        guard interval > 0 else { throw ValidationError("--interval must be above 0") }
    }

    func run() throws {
        let (ward, export, feed, batch, follow, interval) = (self.ward, self.export, self.feed, batchSize, self.follow, self.interval)
        let bar = ProgressBar("Pulling \(ward)")
        let bars = SendableBox(bar)
        let outcome = try withProvince(database, connections: 2) { database in
            let head = try await database.wardKey(ward)
            let source: any WardSource
            if let export {
                source = try ExportSource(folder: export, wardKey: head)
            } else {
                source = try FeedSource(feed!, wardKey: head)
            }
            var outcome = try await database.pull(ward: ward, from: source, batch: batch) { done, total in
                bars.value.update(Int(done), of: Int(total))
            }
            while follow {
                try await Task.sleep(for: .milliseconds(Int(interval * 1000)))
                let next = try await database.pull(ward: ward, from: source, batch: batch)
                outcome.through = next.through
                outcome.batches += next.batches
                if next.batches > 0 { emit("ansinh: ward \(ward): through position \(next.through)\n") }
            }
            return outcome
        }
        bar.finish()
        if outcome.batches == 0 {
            emit("ansinh: ward \(ward) is up to date at position \(outcome.through) (checkpoint \(outcome.checkpointSize))\n")
        } else {
            emit(
                "ansinh: ward \(ward): positions \(outcome.from + 1)–\(outcome.through) loaded in \(outcome.batches) batches; checkpoint \(outcome.checkpointSize) accepted\n")
        }
    }
}

/// A value handed to a `@Sendable` closure that only the command's own thread uses in turn.
final class SendableBox<Value>: @unchecked Sendable {
    let value: Value
    init(_ value: Value) { self.value = value }
}

struct ProvinceReportCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report",
        abstract: "The cross-ward report: funds by ward, what sits unspent, piggy-bank cells behind, external support.",
        discussion: """
            Every row names its ward, the position its figures are computed through and the
            checkpoint accepted over it. --from defaults to 1 January of --to's year, --to to today.
            """)
    @OptionGroup var database: DatabaseOption
    @Option(help: "First day, YYYY-MM-DD.") var from: LocalDate?
    @Option(help: "Last day, YYYY-MM-DD.") var to: LocalDate?
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let from, let to, from > to { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() throws {
        let to = self.to ?? LocalDate.today()
        let from = self.from ?? LocalDate(year: to.components.year, month: 1, day: 1)!
        let report = try withProvince(database) { try await $0.report(from: from, to: to) }
        try reportingFailures {
            if output.format.isWorkbook, let out = output.out {
                return try output.writeWorkbook(
                    [("Các quỹ", report.fundsListing), ("Ống heo theo chi bộ", report.cellsListing), ("Hỗ trợ ngoài quỹ", report.supportListing),
                     ("Các phường, xã", report.wardsListing)], to: out)
            }
            switch output.format.value {
            case .json: output.print(report.json.serialized() + "\n")
            case .csv: output.print(report.fundsListing.csv)
            case .table: output.print(report.table)
            }
        }
    }
}

struct ProvinceTrace: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "trace", abstract: "The entries behind a ward's fund figures: each one's position, leaf hash and checkpoint.")
    @OptionGroup var database: DatabaseOption
    @Option(help: "The ward's id.") var ward: String
    @Option(help: "The fund's id.") var fund: String
    @Option(help: "First day, YYYY-MM-DD.") var from: LocalDate?
    @Option(help: "Last day, YYYY-MM-DD.") var to: LocalDate?
    @OptionGroup var output: FormatOptions

    func run() throws {
        let (ward, fund) = (self.ward, self.fund)
        let to = self.to ?? LocalDate.today()
        let from = self.from ?? LocalDate(year: 1, month: 1, day: 1)!
        let listing = try withProvince(database) { try await $0.trace(ward: ward, fund: fund, from: from, to: to) }
        output.print(listing)
    }
}

struct ProvinceServe: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve", abstract: "Serve the province's public site, read from the database (stop with SIGTERM).")
    @OptionGroup var database: DatabaseOption
    @Option(help: ArgumentHelp("The address to listen on, HOST:PORT (port 0: any free port).", valueName: "host:port"))
    var listen = "127.0.0.1:8090"

    func validate() throws {
        guard Serve.address(listen) != nil else { throw ValidationError("--listen must be HOST:PORT, such as 127.0.0.1:8090") }
    }

    func run() throws {
        let (host, port) = Serve.address(listen)!
        var logger = Logger(label: "ansinh.province")
        logger.logLevel = .warning
        try withProvince(database) { [logger] database in
            try await ProvinceSite.run(database: database, host: host, port: port, logger: logger) { address in
                emit("ansinh province serve: listening on http://\(address)\n")
            }
        }
    }
}
