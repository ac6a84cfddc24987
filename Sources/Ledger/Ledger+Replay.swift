import EventLog
import Foundation

/// The first stored event an audit's replay finds wrong.
public enum ReplayFinding: Hashable, Sendable {
    /// It does not meet the catalogue.
    case invalidEvent(position: UInt64, FieldError)
    /// The rules, as they stood when it was appended, would have refused it.
    case ruleBroken(position: UInt64, type: String, reason: String)
    /// It is filed under another stream than the rules put it in.
    case wrongStream(position: UInt64, stored: String, expected: String)
}

extension Ledger {
    /// Checks the events of `source` from position `from` through `through` against the
    /// catalogue and the rules, each as the log stood when it was appended, and folds
    /// each into this ledger's read models, appending nothing: an audit's replay, whose
    /// read models are then compared with the stored ones. This ledger is a new one (an
    /// audit's scratch store); `source` is the audited log.
    ///
    /// It works in write transactions of at most `batchEventCountMax` events.
    /// - Returns: the first finding, or `nil` when every event holds.
    /// - Parameter progress: called after each transaction with the last position folded.
    public func checkAndFold(
        _ source: LogReader, from first: UInt64 = 1, through last: UInt64, batchEventCountMax: Int = 131_072,
        sourceFormat: StoreFormat = .sealedNames, progress: ((UInt64) -> Void)? = nil
    ) throws -> ReplayFinding? {
        let today = LocalDate(at: log.options.clock())
        var next = first
        while next <= last {
            let count = Int(min(UInt64(batchEventCountMax), last - next + 1))
            let finding = try log.replay(from: source) { writer -> ReplayFinding? in
                let caches = readModels.map { $0.foldState(writer.projectionState(named: $0.name)!, writer.tables).cache }
                let tables = LedgerTables(transaction: writer.tables, databases: try databases(), caches: caches)
                var finding: ReplayFinding?
                try source.forEachEvent(from: next, limit: count) { stored in
                    guard finding == nil else { return }
                    finding = try check(stored, in: source, tables: tables, today: today, sealsNames: sourceFormat == .sealedNames)
                    if finding == nil { try writer.fold(stored) }
                }
                return finding
            }
            if let finding { return finding }
            next += UInt64(count)
            progress?(next - 1)
        }
        return nil
    }

    /// One stored event against the catalogue, its normal form, and the rules with the
    /// read models as the events before it left them.
    private func check(
        _ stored: RecordedEventView, in source: LogReader, tables: LedgerTables, today: LocalDate, sealsNames: Bool
    ) throws
        -> ReplayFinding?
    {
        let position = stored.position
        let decoded: LedgerEvent
        do {
            decoded = try LedgerEvent.decode(stored, checking: true)
        } catch {
            return .invalidEvent(position: position, error)
        }
        let type = decoded.type.rawValue
        var event = decoded
        do {
            try event.normalise(FieldChecker(eventType: type))
        } catch {
            return .ruleBroken(position: position, type: type, reason: "\(error)")
        }
        // Byte for byte: Swift's strings compare equal across Unicode normal forms.
        let normal = event.canonicalData()
        let isNormal =
            stored.schemaVersion == event.type.currentSchemaVersion
            ? normal.elementsEqual(stored.data) : try LedgerEvent.decode(stored).canonicalData() == normal
        guard isNormal else {
            // Recording stores every event in its normal form (names in NFC, say).
            return .invalidEvent(
                position: position, FieldError(eventType: type, field: "", message: "is not stored in the form recording gives it"))
        }
        let target: (stream: String, expected: ExpectedVersion)
        do {
            var rules = Rules(tables: tables, log: source.limited(through: position - 1), today: today)
            rules.sealsNames = sealsNames
            target = try rules.check(event)
        } catch let violation as RuleViolation {
            return .ruleBroken(position: position, type: type, reason: "\(violation)")
        } catch let overflow as MoneyOverflow {
            return .ruleBroken(position: position, type: type, reason: "\(RuleViolation.amountOverflow(overflow))")
        }
        let stream = stored.stream
        guard target.stream == stream else { return .wrongStream(position: position, stored: stream, expected: target.stream) }
        let version = stored.streamVersion - 1
        guard target.expected.admits(version) else {
            let refusal = LogError.wrongExpectedVersion(stream: stream, expected: target.expected, actual: version)
            return .ruleBroken(position: position, type: type, reason: "\(refusal)")
        }
        return nil
    }
}
