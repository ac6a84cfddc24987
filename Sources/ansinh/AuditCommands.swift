import ArgumentParser
import Crypto
import EventLog
import Foundation
import Ledger
import LedgerTools

struct AuditCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit", abstract: "Check the history, and see the ledger as it stood at any point.",
        subcommands: [Verify.self, Replay.self, Trail.self])

    struct Verify: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check the hash chain, every event against the catalogue and the rules, and the projections against a replay.",
            discussion: """
                Exit status 0 when everything holds; 1, naming the first bad position or entry, when it does not; \
                74 when the data file itself is damaged.

                It first walks every page of the data file, reading it directly rather than through the storage \
                library, and reports the first damaged page and its database; only then does it read events. \
                --structure-only runs that walk alone: a quick nightly check of backups.

                The chain shows any event changed in place. To show that events were cut from the end of the log, \
                or that the whole chain was recomputed after an edit, hold the store to manifests published \
                earlier with --manifest: the head each vouches for must still be in the log with the same hash.
                """)
        @Option(
            help: ArgumentHelp(
                "A manifest.json (or an export folder) published earlier; may be repeated.", valueName: "path"))
        var manifest: [String] = []
        @Option(
            help: ArgumentHelp(
                "The ward's published public key (64 hex digits, or a file holding them): each manifest must carry its signature. Default: the store's signing.pub, when there is one.",
                valueName: "key"))
        var publicKey: String?
        @Flag(help: "Only walk the data file's pages: its structure, not its history.") var structureOnly = false
        @OptionGroup var store: StoreOptions

        func validate() throws {
            if publicKey != nil && manifest.isEmpty { throw ValidationError("--public-key checks a --manifest; give one") }
            if structureOnly && !manifest.isEmpty { throw ValidationError("--structure-only checks no --manifest") }
        }

        func run() throws {
            try reportingFailures {
                let structure = try store.checkStructure()
                let walked = "The data file's structure holds: \(structure.pagesReached) pages in \(structure.databases.count) "
                    + "databases and \(structure.pagesFree) free pages, of \(structure.pagesInUse) in use.\n"
                if structureOnly {
                    emit(walked)
                    return
                }
                // An archive of format 1 is audited as it is, before or instead of its migration.
                let ledger = try store.openLedger(readOnly: true, upkeep: .tryBringingUpToDate, openingFormat1: true)
                let key = try trustedKey()
                let published = try manifest.map { path in
                    do {
                        return try PublishedManifest(path: path, trustedKey: key)
                    } catch let error as ManifestError {
                        throw Failure(message: "\(error)", status: error.isUnusable ? ExitStatus.usage : ExitStatus.auditFailed)
                    }
                }
                let bars: [AuditPhase: ProgressBar] = [.chain: ProgressBar("Chain   "), .replay: ProgressBar("Replay  ")]
                var drawing: AuditPhase?
                let report = try Auditor.audit(ledger, scratchFolder: scratchPath(), published: published) { phase, done, total in
                    if let drawing, drawing != phase { bars[drawing]?.finish() }  // one bar at a time
                    drawing = phase
                    bars[phase]?.update(Int(done), of: Int(total))
                }
                bars.values.forEach { $0.finish() }
                if let problem = report.problem {
                    throw Failure(message: "audit failed: \(problem)", status: ExitStatus.auditFailed)
                }
                let readModels =
                    report.readModelsOutdated
                    ? "the read models are kept in an earlier version's layout, so none was compared "
                        + "(opening the store for writing refolds them from the log)"
                    : "each read model (\(report.readModelsChecked.joined(separator: ", "))) equals a replay of the log"
                emit(
                    "Audit passed: \(report.eventsChecked) events; the chain holds to head position \(report.head.position), "
                        + "hash \(report.head.hash.hex); every event meets the catalogue and the rules; \(readModels).\n"
                        + (report.treeSize == report.head.position
                            ? "The Merkle tree of the \(report.treeSize) events holds: every node is the hash of what it covers.\n"
                            : "The Merkle tree holds for its \(report.treeSize) leaves of \(report.head.position): the last events have "
                                + "no leaves yet (appended by an earlier version of ansinh, or its last nodes were removed); "
                                + "the next opening for writing adds them.\n"))
                emit(walked)
                for manifest in published {
                    emit(
                        "The log still holds position \(manifest.manifest.headPosition) with the hash \(manifest.source) published"
                            + (!manifest.signatureChecked ? " (unsigned: give --public-key to check who published it).\n"
                                : publicKey == nil ? " (signed with the store's own signing.pub; give --public-key with the key the ward published to rely on it).\n"
                                : " (its signature checked with the given key).\n"))
                }
            }
        }

        /// The key published manifests must be signed with: --public-key, else the store's signing.pub.
        private func trustedKey() throws -> Curve25519.Signing.PublicKey? {
            guard !manifest.isEmpty else { return nil }
            return try SigningKeys.loadPublic(publicKey ?? SigningKeys.publicPath(store: store.storePath), required: publicKey != nil)
        }
    }

    struct Replay: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The funds, piggy-bank summaries and period report as they stood at a date or position, from the log alone.",
            discussion: """
                --as-of takes a business date: the books as they stand for that day, with every entry dated \
                on or before it (a reversal on its own date) whenever it was recorded. --recorded-as-of takes \
                a recording date: what the log held at the end of that day, whatever the entries' dates. \
                --until-position: what the log held after that position.
                """)
        @Option(help: "The books for the end of this business day: entries dated on or before it, however late they were recorded.")
        var asOf: LocalDate?
        @Option(help: "What the log held at the end of this day (Asia/Ho_Chi_Minh), by when events were recorded.")
        var recordedAsOf: LocalDate?
        @Option(help: "What the log held after this position.") var untilPosition: UInt64?
        @Option(help: "The period report's first day (default: 1 January of the last day's year).") var from: LocalDate?
        @Option(help: "The period report's last day (default: the day given, or the day of the last event).") var to: LocalDate?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func validate() throws {
            guard [asOf != nil, recordedAsOf != nil, untilPosition != nil].filter({ $0 }).count == 1 else {
                throw ValidationError("give exactly one of --as-of, --recorded-as-of and --until-position")
            }
        }

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger(readOnly: true)
                let bar = ProgressBar("Replay  ")
                let books = try PastBooks.replay(
                    ledger, asOf: asOf, recordedAsOf: recordedAsOf, untilPosition: untilPosition, from: from, to: to,
                    today: TestClock.today(), scratchFolder: scratchPath()
                ) { _, done, total in bar.update(Int(done), of: Int(total)) }
                bar.finish()
                let (position, funds, summaries, report, from, to) = (books.position, books.funds, books.summaries, books.report, books.from, books.to)
                switch output.format.value {
                case .json:
                    output.print(try books.json().serialized() + "\n")
                case .csv:
                    output.print(try Listings.funds(funds).csv)
                case .table:
                    var text = asOf.map { "The books for the end of \($0) (every entry dated on or before it)\n\n" }
                        ?? ("As the log stood after position \(position)" + (recordedAsOf.map { " (recorded by the end of \($0))" } ?? "") + "\n\n")
                    text += try Listings.funds(funds).table
                    for summary in summaries { text += "\n" + piggyBankText(summary) }
                    text += "\nPeriod \(from) to \(to)\n" + (try Listings.reportFunds(report)).droppingEmptyColumns().table
                    output.print(text)
                }
            }
        }
    }

    struct Trail: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Who recorded what, and when.")
        @Option(help: "Only entries recorded by this person.") var recordedBy: String?
        @Option(help: "Only entries that moved this fund's money.") var fund: String?
        @Option(help: "Only entries recorded on or after this day (Asia/Ho_Chi_Minh).") var since: LocalDate?
        @Option(help: "Only entries recorded on or before this day (Asia/Ho_Chi_Minh).") var until: LocalDate?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger(readOnly: true)
                var query = TrailQuery()
                (query.recordedBy, query.fundId, query.since, query.until) = (recordedBy, fund, since, until)
                let listing = Listings.trail(try query.lines(in: ledger))
                output.print(listing)
            }
        }
    }
}

/// A new folder name under the system's temporary folder, for a scratch store.
func scratchPath() -> String { Auditor.scratchFolder() }
