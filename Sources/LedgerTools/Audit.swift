import EventLog
import Foundation
import Ledger

/// The first thing an audit found wrong.
public enum AuditProblem: Error, Hashable, Sendable, CustomStringConvertible {
    /// The hash chain or a record's bytes.
    case chain(VerificationFailure)
    /// A stored event that does not meet the catalogue.
    case invalidEvent(position: UInt64, FieldError)
    /// A stored event the rules would have refused at the point it was appended.
    case ruleBroken(position: UInt64, type: String, reason: String)
    /// A stored event filed under another stream than the rules put it in.
    case wrongStream(position: UInt64, stored: String, expected: String)
    /// A stored read model differs from a fresh replay of the log.
    case projectionDrift(readModel: String, table: String, entity: String, detail: String)
    /// A stored read model has not folded the whole log.
    case projectionsBehind(readModel: String, checkpoint: UInt64, head: UInt64)
    /// A position a published manifest vouches for is no longer in the log.
    case publishedHeadMissing(manifest: String, position: UInt64, head: UInt64)
    /// The event at a position a published manifest vouches for has another hash.
    case publishedHashDiffers(manifest: String, position: UInt64, published: String, stored: String)

    public var description: String {
        switch self {
        case .chain(let failure): return "\(failure)"
        case .invalidEvent(let position, let error): return "position \(position): \(error)"
        case .ruleBroken(let position, let type, let reason): return "position \(position): \(type) breaks a rule: \(reason)"
        case .wrongStream(let position, let stored, let expected):
            return "position \(position): stored in stream \(stored), but belongs in \(expected)"
        case .projectionDrift(let readModel, let table, let entity, let detail):
            return "projection drift in the \(readModel) read model, table \(table), entry \(entity): \(detail)"
        case .projectionsBehind(let readModel, let checkpoint, let head):
            return "the \(readModel) read model stops at position \(checkpoint), the log goes to \(head)"
        case .publishedHeadMissing(let manifest, let position, let head):
            return "position \(position): \(manifest) vouches for it, but the log ends at position \(head): events were removed"
        case .publishedHashDiffers(let manifest, let position, let published, let stored):
            return "position \(position): \(manifest) published hash \(published), the log now has \(stored): history was rewritten"
        }
    }

    /// The position named, where there is one.
    public var position: UInt64? {
        switch self {
        case .chain(let failure): return failure.position
        case .invalidEvent(let position, _), .ruleBroken(let position, _, _), .wrongStream(let position, _, _),
            .publishedHeadMissing(_, let position, _), .publishedHashDiffers(_, let position, _, _):
            return position
        case .projectionDrift, .projectionsBehind: return nil
        }
    }
}

/// What an audit checked and found.
public struct AuditReport: Sendable {
    public var head: LogHead
    public var eventsChecked: UInt64
    public var problem: AuditProblem?
    /// The read models compared with a replay, each in full.
    public var readModelsChecked: [String] = []
    /// The store, opened read-only, keeps its read models in an earlier version's
    /// layout: none was compared (they are refolded when it is next opened for writing).
    public var readModelsOutdated = false
    /// The leaves of the log's Merkle tree, every node of which was checked.
    public var treeSize: UInt64 = 0
    public var isValid: Bool { problem == nil }
}

/// The stage of an audit or a replay, for progress reports.
public enum AuditPhase: Sendable {
    case chain
    case replay
    case compare
}

/// Audits a ledger from its log alone, and rebuilds it as it stood at any point.
public enum Auditor {
    /// Batch of events replayed per write transaction of the scratch store.
    static let replayBatchEventCountMax = 131_072

    /// Checks the hash chain, and that the log still holds each `published` manifest's
    /// head with the same hash; checks every event against the catalogue and the rules
    /// as they stood when it was appended, folding each into the read models of a fresh
    /// store in `scratchFolder` (which must not exist; removed afterwards) without
    /// appending it there; and compares each read model so built with the stored one,
    /// byte for byte.
    ///
    /// The chain is checked on one core while the replay runs on another, each in its
    /// own snapshot of the same head (a writer that commits between the two makes the
    /// chain check run after the replay instead).
    /// A new folder name under the system's temporary folder, for a replay's scratch store.
    public static func scratchFolder() -> String {
        FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-replay-\(UUID().uuidString)").path
    }

    public static func audit(
        _ ledger: Ledger, scratchFolder: String, published: [PublishedManifest] = [],
        progress: ((AuditPhase, UInt64, UInt64) -> Void)? = nil
    ) throws -> AuditReport {
        guard !FileManager.default.fileExists(atPath: scratchFolder) else { throw ExportError.exists(scratchFolder) }
        defer { try? FileManager.default.removeItem(atPath: scratchFolder) }
        // One snapshot for the replay, the manifests and the comparison, while clerks go
        // on writing; the chain check reads the same head in a snapshot of its own.
        return try ledger.readLog { log in
            let head = try log.head()
            let chain = ChainCheck(ledger, head: head)
            let scratch = try scratchLedger(at: scratchFolder, clockOf: ledger)
            var finding: ReplayFinding?
            var replayError: (any Error)?
            do {
                finding = try scratch.checkAndFold(log, through: head.position, sourceFormat: ledger.format) {
                    progress?(.replay, $0, head.position)
                }
            } catch {
                replayError = error  // a damaged record, say: the chain check names it
            }
            let verification = try chain.result(in: log) { progress?(.chain, $0, $1) }
            var report = AuditReport(head: verification.head, eventsChecked: verification.eventsChecked, problem: nil)
            report.treeSize = verification.treeSize
            if let failure = verification.failure {
                report.problem = .chain(failure)
                return report
            }
            if let replayError { throw replayError }
            for manifest in published {
                if let problem = try manifest.problem(in: log, head: head) {
                    report.problem = problem
                    return report
                }
            }
            if let finding {
                report.problem = AuditProblem(finding)
                return report
            }
            // Read models an earlier version kept in another layout (a store opened
            // read-only) are refolded when it is next opened for writing: none to compare.
            guard !ledger.readModelsOutdated else {
                report.readModelsOutdated = true
                return report
            }
            // Each read model on its own: first that it folded the whole log, then that its
            // tables equal the ones the replay folded, byte for byte, walked side by side.
            let stored = try ledger.snapshot(of: log)
            let readModels = ledger.readModelDescriptions
            for (index, readModel) in readModels.enumerated() {
                progress?(.compare, UInt64(index), UInt64(readModels.count))
                let checkpoint = try log.checkpoint(named: readModel.name)
                guard checkpoint == head.position else {
                    report.problem = .projectionsBehind(readModel: readModel.name, checkpoint: checkpoint, head: head.position)
                    return report
                }
                let difference = try scratch.snapshot(requiringCurrentReadModels: false) { fresh in
                    try stored.firstDifference(inReadModel: readModel.name, from: fresh)
                }
                if let difference {
                    report.problem = AuditProblem(difference, readModel: readModel.name)
                    return report
                }
                report.readModelsChecked.append(readModel.name)
            }
            progress?(.compare, UInt64(readModels.count), UInt64(readModels.count))
            return report
        }
    }

    /// Rebuilds the ledger as it stood after `position`, from its log alone, into a new
    /// store at `folder`, and returns it for querying. The caller removes the folder.
    ///
    /// With `asOf`, only what counts by the end of that business day is replayed: each
    /// entry by its business date, each reversal of money by its own date, and a status
    /// with its reversal (see `LedgerEvent.effectiveDate(original:)`).
    public static func replay(
        _ ledger: Ledger, through position: UInt64, asOf: LocalDate? = nil, into folder: String,
        progress: ((AuditPhase, UInt64, UInt64) -> Void)? = nil
    ) throws -> Ledger {
        let scratch = try scratchLedger(at: folder, clockOf: ledger)
        try ledger.readLog { log in
            let problem = try replay(log, through: position, into: scratch, progress: progress) { event in
                guard let asOf else { return true }
                var original: LedgerEvent?
                if case .entryReversed(let reversal) = event, let stored = try log.event(id: reversal.reversesEventId) {
                    original = try LedgerEvent.decode(stored)
                }
                return event.effectiveDate(original: original) <= asOf
            }
            if let problem { throw problem }
        }
        for name in ["ward", "province"] {
            if let value = try ledger.setting(name) { try scratch.setSetting(name, to: value) }
        }
        return scratch
    }

    /// The last position recorded on or before `date` (the ward's calendar), found by
    /// bisection: `recordedAt` never goes backwards.
    public static func lastPosition(recordedOnOrBefore date: LocalDate, in ledger: Ledger) throws -> UInt64 {
        try ledger.readLog { reader in
            var low: UInt64 = 0
            var high = try reader.head().position
            while low < high {
                let middle = low + (high - low + 1) / 2
                guard let event = try reader.event(at: middle) else { break }
                if LocalDate(at: event.recordedAt) <= date { low = middle } else { high = middle - 1 }
            }
            return low
        }
    }

    /// A scratch store on the audited store's clock: the rules that read "today" (a close
    /// cannot reach past it) judge the replay as they judged the recording.
    private static func scratchLedger(at folder: String, clockOf ledger: Ledger) throws -> Ledger {
        guard !FileManager.default.fileExists(atPath: folder) else { throw ExportError.exists(folder) }
        var options = EventLog.Options()
        options.clock = ledger.clock
        options.durability = .bulkLoadNoSync  // a scratch store: nothing to keep after a crash
        // The audited store's keys: a replay shows the names it shows.
        return try Ledger(path: folder, options: options, keys: ledger.keys)
    }

    /// Re-records the events up to `position` that `including` keeps into `scratch`
    /// through the rules; each must land at its own position when all are kept.
    private static func replay(
        _ log: LogReader, through position: UInt64, into scratch: Ledger,
        progress: ((AuditPhase, UInt64, UInt64) -> Void)?, including: ((LedgerEvent) throws -> Bool)? = nil
    ) throws -> AuditProblem? {
        var commands: [LedgerCommand] = []
        var stored: [(position: UInt64, stream: String)] = []
        var problem: AuditProblem?
        func flush() throws {
            guard !commands.isEmpty else { return }
            defer {
                commands.removeAll(keepingCapacity: true)
                stored.removeAll(keepingCapacity: true)
            }
            let entries: [RecordedEntry]
            do {
                entries = try scratch.record(commands, actor: "audit")
            } catch let rejected as CommandRejected {
                problem = .ruleBroken(position: stored[rejected.index].position, type: rejected.eventType, reason: "\(rejected.reason)")
                return
            }
            for (entry, original) in zip(entries, stored)
            where entry.stream != original.stream || (including == nil && entry.position != original.position) {
                problem = .wrongStream(position: original.position, stored: original.stream, expected: entry.stream)
                return
            }
            progress?(.replay, stored.last!.position, position)
        }
        try log.forEachEvent(from: 1, limit: Int(clamping: position)) { event in
            guard problem == nil else { return }
            do {
                let decoded = try LedgerEvent.decode(event, checking: true)
                guard try including?(decoded) ?? true else { return }
                commands.append(LedgerCommand(decoded, eventId: event.eventId))
            } catch let error as FieldError {
                problem = .invalidEvent(position: event.position, error)
                return
            }
            stored.append((event.position, event.stream))
            if commands.count >= replayBatchEventCountMax { try flush() }
        }
        if problem == nil { try flush() }
        return problem
    }
}

extension AuditProblem {
    init(_ difference: ReadModelDifference, readModel: String) {
        let detail: String
        switch difference.kind {
        case .missing: detail = "missing from the stored projection"
        case .extra: detail = "stored, but a replay of the log has no such entry"
        case .keyDiffers: detail = "stored and replayed entries differ in key"
        case .valueDiffers: detail = "stored value differs from a replay of the log"
        }
        self = .projectionDrift(
            readModel: readModel, table: difference.table, entity: ProjectionTable.describeKey(difference.key), detail: detail)
    }

    init(_ finding: ReplayFinding) {
        switch finding {
        case .invalidEvent(let position, let error): self = .invalidEvent(position: position, error)
        case .ruleBroken(let position, let type, let reason): self = .ruleBroken(position: position, type: type, reason: reason)
        case .wrongStream(let position, let stored, let expected): self = .wrongStream(position: position, stored: stored, expected: expected)
        }
    }
}

/// The hash chain checked on a thread of its own, in its own snapshot, while the
/// caller replays: the two halves of an audit on the machine's two cores.
final class ChainCheck: @unchecked Sendable {
    private let lock = NSLock()
    private let finished = DispatchSemaphore(value: 0)
    private var outcome: Result<VerificationReport, any Error>?
    private var checked: (done: UInt64, total: UInt64) = (0, 0)

    /// Starts checking `ledger`'s chain, if its snapshot opens at `head`.
    init(_ ledger: Ledger, head: LogHead) {
        Thread { [self] in
            let outcome = Result<VerificationReport?, any Error> {
                try ledger.readLog { reader in
                    guard try reader.head() == head else { return nil }  // a writer committed in between
                    return try reader.verify { done, total in self.lock.withLock { self.checked = (done, total) } }
                }
            }
            lock.withLock {
                switch outcome {
                case .success(let report?): self.outcome = .success(report)
                case .success(nil): self.outcome = nil
                case .failure(let error): self.outcome = .failure(error)
                }
            }
            finished.signal()
        }.start()
    }

    /// Waits for the check, reporting its progress now and then; checks the chain in
    /// `log` (the caller's snapshot) when the thread's snapshot saw another head.
    func result(in log: LogReader, progress: (UInt64, UInt64) -> Void) throws -> VerificationReport {
        while finished.wait(timeout: .now() + .milliseconds(100)) == .timedOut {
            let (done, total) = lock.withLock { checked }
            progress(done, total)
        }
        guard let outcome = lock.withLock({ outcome }) else {
            return try withoutActuallyEscaping(progress) { try log.verify(progress: $0) }
        }
        let report = try outcome.get()
        progress(report.eventsChecked, report.head.position)
        return report
    }
}

/// The books as they stood at a point of the log, replayed from the log alone
/// (`ansinh audit replay`, `GET /v1/replay`): the funds, the piggy-bank summaries and
/// the period report.
public struct PastBooks {
    /// The last position replayed.
    public let position: UInt64
    public let asOf: LocalDate?
    public let recordedAsOf: LocalDate?
    public let from: LocalDate
    public let to: LocalDate
    public let funds: [FundBalance]
    public let summaries: [PiggyBankSummary]
    public let report: PeriodReport

    /// Why a point of the log cannot be replayed.
    public struct PastTheHead: Error, Sendable, CustomStringConvertible {
        public let position: UInt64
        public let head: UInt64
        public var description: String { "position \(position) is past the head \(head)" }
    }

    /// Replays `ledger` into a scratch store in `scratchFolder` (removed after) through
    /// `untilPosition`, the last event recorded by the end of `recordedAsOf`, or the head;
    /// with `asOf`, only entries dated on or before that business day. The report runs
    /// from `from` (default: 1 January of its last day's year) to `to` (default: the day
    /// given, else the day of the last event replayed, else `today`).
    public static func replay(
        _ ledger: Ledger, asOf: LocalDate?, recordedAsOf: LocalDate?, untilPosition: UInt64?, from: LocalDate?, to: LocalDate?,
        today: LocalDate, scratchFolder: String, progress: ((AuditPhase, UInt64, UInt64) -> Void)? = nil
    ) throws -> PastBooks {
        let head = try ledger.head().position
        let position = try untilPosition ?? recordedAsOf.map { try Auditor.lastPosition(recordedOnOrBefore: $0, in: ledger) } ?? head
        guard position <= head else { throw PastTheHead(position: position, head: head) }
        defer { try? FileManager.default.removeItem(atPath: scratchFolder) }
        let past = try Auditor.replay(ledger, through: position, asOf: asOf, into: scratchFolder, progress: progress)
        let lastDay = try asOf ?? recordedAsOf
            ?? past.readLog { reader in try reader.event(at: position).map { LocalDate(at: $0.recordedAt) } } ?? today
        let to = to ?? lastDay
        let from = from ?? LocalDate(year: to.components.year, month: 1, day: 1)!
        return PastBooks(
            position: position, asOf: asOf, recordedAsOf: recordedAsOf, from: from, to: to, funds: try past.funds(),
            summaries: try past.models().compactMap { try past.piggyBankSummary($0.modelId, asOf: asOf) },
            report: try past.periodReport(from: from, to: to))
    }

    /// As `ansinh audit replay --format json` prints it.
    public func json(view: NameView = .internal) throws -> JSONOut {
        JSONOut.object([
            ("position", .integer(Int64(position))), ("asOf", .date(asOf)), ("recordedAsOf", .date(recordedAsOf)),
            ("funds", .array(try funds.map(Listings.fund))),
            ("piggyBanks", .array(summaries.map { summary in
                var shown = summary
                if view == .public { shown.belowTarget = [] }
                return Listings.summary(json: shown)
            })),
            ("report", try Listings.report(json: report, view: view)),
        ])
    }
}
