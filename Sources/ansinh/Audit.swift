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
                let ledger = try store.openLedger(readOnly: true)
                let key = try trustedKey()
                let published = try manifest.map { path in
                    do {
                        return try PublishedManifest(path: path, trustedKey: key)
                    } catch let error as ManifestError {
                        throw Failure(message: "\(error)", status: error.isUnusable ? ExitStatus.usage : ExitStatus.auditFailed)
                    }
                }
                let bars: [AuditPhase: ProgressBar] = [.chain: ProgressBar("Chain   "), .replay: ProgressBar("Replay  ")]
                let report = try Auditor.audit(ledger, scratchFolder: scratchPath(), published: published) { phase, done, total in
                    if phase != .chain { bars[.chain]?.finish() }
                    bars[phase]?.update(Int(done), of: Int(total))
                }
                bars.values.forEach { $0.finish() }
                if let problem = report.problem {
                    throw Failure(message: "audit failed: \(problem)", status: ExitStatus.auditFailed)
                }
                emit(
                    "Audit passed: \(report.eventsChecked) events; the chain holds to head position \(report.head.position), "
                        + "hash \(report.head.hash.hex); every event meets the catalogue and the rules; "
                        + "the projections equal a replay of the log.\n")
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
            return try SigningKey.loadPublic(publicKey ?? SigningKey.publicPath(store.storePath), required: publicKey != nil)
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
                let head = try ledger.head().position
                let position = try untilPosition ?? recordedAsOf.map { try Auditor.lastPosition(recordedOnOrBefore: $0, in: ledger) } ?? head
                guard position <= head else {
                    throw Failure(message: "position \(position) is past the head \(head)", status: ExitStatus.refused)
                }
                let folder = scratchPath()
                defer { try? FileManager.default.removeItem(atPath: folder) }
                let bar = ProgressBar("Replay  ")
                let past = try Auditor.replay(ledger, through: position, asOf: asOf, into: folder) { _, done, total in
                    bar.update(Int(done), of: Int(total))
                }
                bar.finish()
                let lastDay = try asOf ?? recordedAsOf
                    ?? past.readLog { reader in try reader.event(at: position).map { LocalDate(at: $0.recordedAt) } } ?? LocalDate.today()
                let to = self.to ?? lastDay
                let from = self.from ?? LocalDate(year: to.components.year, month: 1, day: 1)!
                let funds = try past.funds()
                let report = try past.periodReport(from: from, to: to)
                let summaries = try past.models().compactMap { try past.piggyBankSummary($0.modelId, asOf: asOf) }
                switch output.format.value {
                case .json:
                    output.print(
                        JSONOut.object([
                            ("position", .integer(Int64(position))), ("asOf", .date(asOf)), ("recordedAsOf", .date(recordedAsOf)),
                            ("funds", .array(try funds.map(Listings.fund))),
                            ("piggyBanks", .array(summaries.map { Listings.summary(json: $0) })),
                            ("report", try Listings.report(json: report)),
                        ]).serialized() + "\n")
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
                var listing = Listing([
                    ("position", "#"), ("recordedAt", "Recorded at (UTC)"), ("recordedBy", "By"), ("type", "Entry"),
                    ("stream", "Stream"), ("date", "Dated"), ("amount", "Amount"), ("eventId", "Event id"),
                ])
                try ledger.readLog { reader in
                    let visit: (RecordedEventView) throws -> Void = { stored in
                        if let recordedBy, !stored.recordedByBytes.elementsEqual(recordedBy.precomposedStringWithCanonicalMapping.utf8) { return }
                        let day = LocalDate(at: stored.recordedAt)
                        if let since, day < since { return }
                        if let until, day > until { return }
                        let event = try LedgerEvent.decode(stored)
                        listing.append([
                            .ordinal(Int64(stored.position)), .text(stored.recordedAt.iso8601), .text(stored.recordedBy), .text(stored.type),
                            .text(stored.stream), .date(event.businessDate), .money(event.amount), .text(stored.eventId.uuidString.lowercased()),
                        ])
                    }
                    if let fund {
                        try reader.forEachEvent(inStream: "fund-" + fund, visit)
                    } else {
                        try reader.forEachEvent(visit)
                    }
                }
                output.print(listing)
            }
        }
    }
}

extension LedgerEvent {
    /// The money the event names, if any.
    var amount: VND? {
        switch self {
        case .fundOpened(let event): return event.openingBalance
        case .pledgeMade(let event): return event.amount
        case .donationReceived(let event): return event.amount
        case .piggyBankDeposited(let event): return event.amount
        case .disbursementMade(let event): return event.amount
        case .externalSupportRecorded(let event): return event.value
        default: return nil
        }
    }
}

/// A new folder name under the system's temporary folder, for a scratch store.
func scratchPath() -> String {
    FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-replay-\(UUID().uuidString)").path
}

struct Export: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a consistent snapshot: events.jsonl, every projection as JSON and CSV, and a manifest (signed when the ward has a key).",
        discussion: """
            The snapshot is one read of the store, taken while clerks go on writing. It is written
            into a hidden folder beside --out and renamed into place when complete. Check it with
            tools/verify-export.py, which needs only Python.
            """)
    @Option(help: ArgumentHelp("The new folder to write.", valueName: "folder")) var out: String
    @Option(help: "Only the events after this position (an incremental export).") var sincePosition: UInt64?
    @Flag(help: "Only the events after the last export made from this store.") var incremental = false
    @OptionGroup var store: StoreOptions

    func validate() throws {
        if incremental && sincePosition != nil { throw ValidationError("give --incremental or --since-position, not both") }
    }

    func run() throws {
        try reportingFailures {
            _ = try store.checkStructure()  // an export reads every page: walk them first
            let ledger = try store.openLedger()
            let since = try sincePosition ?? (incremental ? UInt64(ledger.setting("export.lastPosition") ?? "0") ?? 0 : 0)
            let key = try SigningKey.load(store: store.storePath)
            let bar = ProgressBar("Exporting")
            let manifest = try TestMarkers.around("export") {
                let manifest = try Exporter.export(ledger, to: out, sincePosition: since, signingKey: key) { done, total in
                    bar.update(Int(done), of: Int(total))
                }
                try ledger.setSetting("export.lastPosition", to: String(manifest.headPosition))
                return manifest
            }
            bar.finish()
            emit(
                "Exported positions \(manifest.fromPosition) to \(manifest.headPosition) into \(out)"
                    + "\nHead hash: \(manifest.headHash)" + (key == nil ? "\nNot signed: create the ward's key with `ansinh keys init`." : "\nSigned with key \(manifest.signingKey!)")
                    + "\n")
        }
    }
}

/// The ward's Ed25519 key pair, kept in the store's folder: `signing.key` (owner-only,
/// never exported) and `signing.pub`.
enum SigningKey {
    static func privatePath(_ store: String) -> String { store + "/signing.key" }
    static func publicPath(_ store: String) -> String { store + "/signing.pub" }

    /// A public key given as 64 hex digits or a file holding them; nil when `given` is
    /// a file that does not exist and not `required`.
    static func loadPublic(_ given: String, required: Bool) throws -> Curve25519.Signing.PublicKey? {
        var text = given
        if FileManager.default.fileExists(atPath: given) {
            guard let contents = try? String(contentsOfFile: given, encoding: .utf8) else {
                throw Failure(message: "cannot read the public key file \(given)", status: ExitStatus.usage)
            }
            text = contents
        } else if !required {
            return nil
        }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        else { throw Failure(message: "\(given) is not an Ed25519 public key (64 hexadecimal digits)", status: ExitStatus.usage) }
        return key
    }

    static func load(store: String) throws -> Curve25519.Signing.PrivateKey? {
        let path = privatePath(store)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(message: "cannot read the ward's signing key \(path); nothing was exported", status: ExitStatus.storeProblem)
        }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        else { throw Failure(message: "\(privatePath(store)) is not a signing key", status: ExitStatus.storeProblem) }
        return key
    }
}

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The ward's signing key for exports.", subcommands: [InitKeys.self])

    struct InitKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Make the ward's Ed25519 key pair; publish the public key it prints.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                _ = try store.openLedger()
                let path = SigningKey.privatePath(store.storePath)
                guard !FileManager.default.fileExists(atPath: path) else {
                    throw Failure(message: "the ward already has a signing key (\(path))", status: ExitStatus.conflict)
                }
                let key = Curve25519.Signing.PrivateKey()
                let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else { throw Failure(message: "cannot create \(path)", status: ExitStatus.storeProblem) }
                let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                try handle.write(contentsOf: Data((hex(Array(key.rawRepresentation)) + "\n").utf8))
                try handle.synchronize()
                let publicKey = hex(Array(key.publicKey.rawRepresentation))
                try Data((publicKey + "\n").utf8).write(to: URL(fileURLWithPath: SigningKey.publicPath(store.storePath)))
                emit("Created the ward's signing key. Public key (publish it):\n\(publicKey)\n")
            }
        }
    }
}

struct Backup: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a compacted copy of the store's data file while clerks go on writing, with its SHA-256 beside it.",
        discussion: """
            Writes FILE and FILE.sha256 (as `sha256sum -c` reads it). `ansinh restore --from FILE --to FOLDER` \
            checks both, the file's structure and its history before the copy becomes a store.
            """)
    @Option(help: ArgumentHelp("The file to write.", valueName: "file")) var out: String
    @OptionGroup var store: StoreOptions

    func run() throws {
        try reportingFailures {
            _ = try store.checkStructure()  // a backup of a damaged store would keep the damage
            let ledger = try store.openLedger(readOnly: true)
            let target = URL(fileURLWithPath: out).standardizedFileURL
            guard !FileManager.default.fileExists(atPath: out) else { throw ExportError.exists(target.path) }
            let checksum = Backups.checksumPath(for: target.path)
            guard !FileManager.default.fileExists(atPath: checksum) else { throw ExportError.exists(checksum) }
            try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
            try TestMarkers.around("backup") {
                let partial = PartialWrite.start(for: target).path
                let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else {
                    throw Failure(message: "cannot create \(partial): \(String(cString: strerror(errno)))", status: ExitStatus.storeProblem)
                }
                do {
                    do {
                        defer { close(descriptor) }
                        try ledger.copyStore(toFileDescriptor: descriptor)
                        guard fsync(descriptor) == 0 else {
                            throw Failure(message: "cannot flush \(partial): \(String(cString: strerror(errno)))", status: ExitStatus.storeProblem)
                        }
                    }
                    // The data first, then its checksum: of two backups to one path at once, the
                    // one whose data lands writes the checksum; a kill in between leaves a backup
                    // without one (restore then asks for --without-checksum), never a checksum
                    // that blocks the next backup.
                    try PartialWrite.finish(URL(fileURLWithPath: partial), onto: target)
                    try Backups.writeChecksum(of: target.path, as: target.path)
                } catch {
                    try? FileManager.default.removeItem(atPath: partial)
                    throw error
                }
            }
            let bytes = (try? FileManager.default.attributesOfItem(atPath: out)[.size] as? Int) ?? 0
            emit(
                "Backed up position \(try ledger.head().position) to \(out) (\(VND(Int64(bytes)).grouped) bytes), "
                    + "its SHA-256 in \(Backups.checksumPath(for: out)).\n")
        }
    }
}

struct Restore: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Make a store from a backup, after checking its SHA-256, its structure and its history.",
        discussion: """
            Checks FILE against FILE.sha256, copies it beside FOLDER, walks every page of the copy and audits \
            it (the chain, every event against the rules, the projections against a replay), and only then \
            renames the copy to FOLDER. It never overwrites a store: FOLDER must not exist, or be empty. \
            Nothing is left behind when a check fails.
            """)
    @Option(help: ArgumentHelp("The backup file, written by `ansinh backup`.", valueName: "file")) var from: String
    @Option(help: ArgumentHelp("The folder the store is restored to: new, or empty.", valueName: "folder")) var to: String
    @Flag(help: "Restore a backup that has no FILE.sha256 beside it (one written before backups carried it).")
    var withoutChecksum = false

    func run() throws {
        try reportingFailures {
            let report: Backups.RestoreReport
            do {
                report = try Backups.restore(from: from, to: to, checksum: !withoutChecksum)
            } catch let problem as AuditProblem {
                throw Failure(message: "\(from) fails the audit, so nothing was restored: \(problem)", status: ExitStatus.auditFailed)
            }
            emit(
                "Restored \(from) to \(to): "
                    + (report.checksumChecked ? "its SHA-256 matches; " : "no checksum checked; ")
                    + "\(report.structure.pagesReached) pages in \(report.structure.databases.count) databases hold their structure; "
                    + "\(report.audit.eventsChecked) events pass the audit, head position \(report.audit.head.position), "
                    + "hash \(report.audit.head.hash.hex).\n")
        }
    }
}
