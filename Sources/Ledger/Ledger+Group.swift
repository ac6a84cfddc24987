import EventLog
import Foundation

/// What one user may record: the funds they keep, and whether they may record the
/// ward's own events (those of no fund: members joining and leaving, external support,
/// closing the books, erasures).
public struct RecordingScope: Sendable, Hashable {
    /// The funds they record in; `nil` for every fund.
    public var funds: Set<String>?
    /// Whether they may record events that belong to no fund.
    public var wardEvents: Bool

    public init(funds: Set<String>?, wardEvents: Bool) {
        self.funds = funds
        self.wardEvents = wardEvents
    }

    /// Everything: the command line, run by whoever holds the store.
    public static let everything = RecordingScope(funds: nil, wardEvents: true)
}

/// A command outside its recorder's ``RecordingScope``.
public struct ScopeViolation: Error, Sendable, Hashable, CustomStringConvertible {
    /// The fund the command records in, or `nil` for an event of no fund.
    public let fundId: String?

    public init(fundId: String?) { self.fundId = fundId }

    public var description: String {
        if let fundId { return "fund \(fundId) is not one of the funds this user records in" }
        return "this event belongs to no fund: only a treasurer records it"
    }
}

/// One user's batch in a group commit: all or nothing on its own.
public struct RecordingRequest: Sendable {
    public var commands: [LedgerCommand]
    public var actor: String
    public var scope: RecordingScope

    public init(commands: [LedgerCommand], actor: String, scope: RecordingScope = .everything) {
        self.commands = commands
        self.actor = actor
        self.scope = scope
    }
}

extension Ledger {
    /// Records several users' batches in one write transaction, so that they share one
    /// flush to disk (group commit). Each batch is all or nothing on its own: a refused
    /// batch does not fail the others, which are recorded as if it had never been sent.
    /// The outcome is that of recording the batches one after another, in order.
    ///
    /// A batch refused inside the transaction aborts it; the transaction runs again
    /// without that batch (nothing was acknowledged, and nothing outside the
    /// transaction was touched). A store problem fails every batch still pending.
    /// - Returns: per batch, in order, its entries or why it was refused
    ///   (``CommandRejected``, or a `StoreError`/`LogError` for a store problem).
    public func recordGroup(_ requests: [RecordingRequest]) -> [Result<[RecordedEntry], any Error>] {
        var outcomes = [Result<[RecordedEntry], any Error>?](repeating: nil, count: requests.count)
        var prepared: [[PreparedCommand]] = Array(repeating: [], count: requests.count)
        var pending: [Int] = []
        for (index, request) in requests.enumerated() {
            do {
                prepared[index] = try request.commands.enumerated().map { try prepare($0.element, index: $0.offset) }
                pending.append(index)
            } catch {
                outcomes[index] = .failure(error)
            }
        }
        // The batches before a refused one passed in the aborted transaction: they commit on
        // their own, then the rest go on. Each batch runs at most twice, whatever is refused.
        var passed: [Int] = []
        while !passed.isEmpty || !pending.isEmpty {
            let attempt = passed.isEmpty ? pending : passed
            do {
                let entries = try log.write(actor: Self.recorder(requests[attempt[0]].actor)) { writer in
                    try recordPending(attempt, requests: requests, prepared: prepared, writer: writer)
                }
                for (index, recorded) in zip(attempt, entries) { outcomes[index] = .success(recorded) }
                if passed.isEmpty { pending = [] } else { passed = [] }
            } catch let refused as RefusedInGroup {
                outcomes[refused.request] = .failure(refused.reason)
                let at = attempt.firstIndex(of: refused.request)!
                if passed.isEmpty {
                    passed = Array(pending[..<at])
                    pending = Array(pending[(at + 1)...])
                } else {
                    // Not expected (they passed moments ago); the rest of them wait with the others.
                    pending = Array(passed[(at + 1)...]) + pending
                    passed = Array(passed[..<at])
                }
            } catch {
                for index in attempt { outcomes[index] = .failure(error) }
                if passed.isEmpty { pending = [] } else { passed = [] }
            }
        }
        return outcomes.map { $0! }
    }

    /// The pending batches, each under its own recorder and scope, in one transaction.
    private func recordPending(
        _ pending: [Int], requests: [RecordingRequest], prepared: [[PreparedCommand]],
        writer: LogWriter
    ) throws -> [[RecordedEntry]] {
        let tables = tables(writer)
        let subjects = NewSubjects(committedCount: try writer.setting(Self.keysCountSetting).flatMap { UInt32($0) })
        var recorded: [[RecordedEntry]] = []
        recorded.reserveCapacity(pending.count)
        for request in pending {
            try writer.record(as: Self.recorder(requests[request].actor))
            var entries: [RecordedEntry] = []
            entries.reserveCapacity(prepared[request].count)
            for (index, command) in prepared[request].enumerated() {
                do {
                    entries.append(
                        try execute(
                            command.event, eventId: command.eventId, index: index, writer: writer, tables: tables,
                            subjects: subjects, recordedAt: command.recordedAt, scope: requests[request].scope))
                } catch let rejected as CommandRejected {
                    throw RefusedInGroup(request: request, reason: rejected)
                }
            }
            recorded.append(entries)
        }
        try keys?.persist(subjects)
        if let count = subjects.count { try writer.setSetting(Self.keysCountSetting, to: String(count)) }
        return recorded
    }

    /// Refuses `event` when it records outside `scope`. An event whose fund cannot be
    /// found (a pledge or model that does not exist) is left to the rules, which say so.
    func check(_ event: LedgerEvent, within scope: RecordingScope, tables: LedgerTables, log: LogReader) throws {
        switch try recordingFund(of: event, tables: tables, log: log) {
        case .fund(let fundId):
            if let funds = scope.funds, !funds.contains(fundId) { throw ScopeViolation(fundId: fundId) }
        case .ward:
            if !scope.wardEvents { throw ScopeViolation(fundId: nil) }
        case .unknown:
            return
        }
    }

    private enum RecordingPlace {
        case fund(String)
        case ward
        case unknown
    }

    /// The fund `event` records in: the fund it names, or the fund of the model, pledge
    /// or entry it refers to.
    private func recordingFund(of event: LedgerEvent, tables: LedgerTables, log: LogReader) throws -> RecordingPlace {
        switch event {
        case .fundOpened(let opened): return .fund(opened.fundId)
        case .donationReceived(let donation): return .fund(donation.fundId)
        case .disbursementMade(let disbursement): return .fund(disbursement.fundId)
        case .pledgeMade(let pledge): return .fund(pledge.fundId)
        case .piggyBankModelStarted(let model): return .fund(model.fundId)
        case .piggyBankDeposited(let deposit): return try tables.model(deposit.modelId).map { .fund($0.fundId) } ?? .unknown
        case .piggyBankModelClosed(let closed): return try tables.model(closed.modelId).map { .fund($0.fundId) } ?? .unknown
        case .pledgeCancelled(let cancelled): return try tables.pledge(cancelled.pledgeId).map { .fund($0.fundId) } ?? .unknown
        case .entryReversed(let reversal):
            guard let stored = try log.event(id: reversal.reversesEventId) else { return .unknown }
            return try recordingFund(of: try LedgerEvent.decode(stored), tables: tables, log: log)
        case .memberEnrolled, .memberLeft, .externalSupportRecorded, .periodClosed, .subjectErased, .storeMigrated:
            return .ward
        }
    }
}

/// A batch refused inside a group's transaction: the transaction is aborted and run
/// again without it.
private struct RefusedInGroup: Error {
    let request: Int
    let reason: CommandRejected
}
