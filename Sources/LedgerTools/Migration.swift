import EventLog
import Foundation
import Ledger

/// `ansinh migrate`: replays a store of format 1 (people's names in the clear) into a
/// new store of format 2, which seals them, and proves that every old event maps to
/// its new one.
public enum Migration {
    /// What a migration did and checked.
    public struct Report: Sendable {
        /// The old store's head, recorded by the new store's first event.
        public var oldHead: LogHead
        public var newHead: LogHead
        /// Old events replayed (the new store holds one more: its first).
        public var eventsMigrated: UInt64
        /// People whose names were sealed.
        public var subjects: Int
    }

    /// Events replayed per write transaction of the new store.
    static let batchEventCountMax = 10_000

    /// Replays the store at `oldPath` into a new store at `newPath` (which must not hold
    /// one): first ``StoreMigrated`` with the old head, then every old event with its
    /// event id, its recorder and the instant it was recorded, each through today's
    /// rules, each name sealed. Then ``check(old:new:)`` compares the two, event by
    /// event. Settings, and the ward's signing keys, are copied.
    /// - Throws: ``MigrationError``, and whatever opening or recording throws.
    public static func migrate(
        from oldPath: String, to newPath: String, progress: ((UInt64, UInt64) -> Void)? = nil
    ) throws -> Report {
        var oldOptions = EventLog.Options()
        oldOptions.createIfMissing = false
        oldOptions.readOnly = true
        let old = try Ledger(path: oldPath, options: oldOptions, openingFormat1: true)
        guard old.format == .namesInClear else { throw MigrationError.alreadySealed(oldPath) }
        if FileManager.default.fileExists(atPath: EventLog.dataFilePath(newPath)) { throw MigrationError.targetExists(newPath) }
        let new = try Ledger(path: newPath)
        guard try new.head().position == 0, new.format == .sealedNames else { throw MigrationError.targetExists(newPath) }
        let oldHead = try old.head()

        for name in ["ward", "province", Ledger.retentionYearsSetting, PeopleWords.publicNameFormatSetting] {
            if let value = try old.setting(name) { try new.setSetting(name, to: value) }
        }
        try copySigningKeys(from: oldPath, to: newPath)

        try old.readLog { log in
            let first = try log.event(at: 1)?.recordedAt ?? new.now()
            var migrated = LedgerCommand(
                .storeMigrated(
                    StoreMigrated(
                        fromFormat: 1, headPosition: Int64(oldHead.position), headHash: oldHead.hash.hex,
                        migratedOn: LocalDate(at: new.now()))))
            migrated.recordedAt = first
            try new.record([migrated], actor: "ansinh migrate")
            var batch: [LedgerCommand] = []
            var actor = ""
            func flush() throws {
                guard !batch.isEmpty else { return }
                try new.record(batch, actor: actor)
                batch.removeAll(keepingCapacity: true)
            }
            try log.forEachEvent(from: 1, limit: Int(clamping: oldHead.position)) { stored in
                let event: LedgerEvent
                do {
                    event = try LedgerEvent.decode(stored, checking: true)
                } catch {
                    throw MigrationError.unreadable(position: stored.position, reason: "\(error)")
                }
                if stored.recordedBy != actor || batch.count >= batchEventCountMax {
                    try flush()
                    actor = stored.recordedBy
                }
                var command = LedgerCommand(event, eventId: stored.eventId)
                command.recordedAt = stored.recordedAt
                batch.append(command)
                if stored.position & 0x3fff == 0 { progress?(stored.position, oldHead.position) }
            }
            try flush()
        }
        progress?(oldHead.position, oldHead.position)
        if let mismatch = try check(old: old, new: new) { throw mismatch }
        return Report(oldHead: oldHead, newHead: try new.head(), eventsMigrated: oldHead.position, subjects: try new.people().count)
    }

    /// Compares a format-1 store with the store migrated from it: the new one's first
    /// event records the old head; then, position by position (one later in the new
    /// store), each event has the same id, type, recorder, instant, business date and
    /// amount, and every name the old one gives in the clear opens, from the new one,
    /// to the same name.
    /// - Returns: the first difference, or `nil` when every event maps to its new one.
    public static func check(old: Ledger, new: Ledger) throws -> MigrationError? {
        let oldHead = try old.head()
        return try old.readLog { oldLog in
            try new.snapshot { snapshot in
                let newLog = snapshot.log
                guard let first = try newLog.event(at: 1), case .storeMigrated(let migrated) = try LedgerEvent.decode(first),
                    migrated.headPosition == Int64(oldHead.position), migrated.headHash == oldHead.hash.hex
                else { return MigrationError.differs(position: 1, detail: "the first event does not record the old store's head") }
                guard try newLog.head().position == oldHead.position + 1 else {
                    return MigrationError.differs(
                        position: oldHead.position,
                        detail: "the old store has \(oldHead.position) events, the new one \(try newLog.head().position - 1) after its first")
                }
                var found: MigrationError?
                try oldLog.forEachEvent(from: 1, limit: Int(clamping: oldHead.position)) { stored in
                    guard found == nil else { return }
                    guard let copy = try newLog.event(at: stored.position + 1) else {
                        found = .differs(position: stored.position, detail: "the new store has no event at \(stored.position + 1)")
                        return
                    }
                    let before = try LedgerEvent.decode(stored, checking: true)
                    let after = try LedgerEvent.decode(copy)
                    var differences: [String] = []
                    if copy.eventId != stored.eventId { differences.append("event id") }
                    if copy.type != stored.type { differences.append("type") }
                    if copy.recordedBy != stored.recordedBy { differences.append("recorder") }
                    if copy.recordedAt != stored.recordedAt { differences.append("instant recorded") }
                    if after.businessDate != before.businessDate { differences.append("date") }
                    if after.amount != before.amount { differences.append("amount") }
                    for (was, now) in zip(before.namedPeople, after.namedPeople) {
                        if try snapshot.name(now.name) != was.name.plainText { differences.append(was.field) }
                    }
                    if !differences.isEmpty {
                        found = .differs(position: stored.position, detail: differences.joined(separator: ", ") + " differ")
                    }
                }
                return found
            }
        }
    }

    private static func copySigningKeys(from oldPath: String, to newPath: String) throws {
        for path in [SigningKeys.privatePath(store: oldPath), SigningKeys.publicPath(store: oldPath)]
        where FileManager.default.fileExists(atPath: path) {
            let target = newPath + "/" + (path as NSString).lastPathComponent
            guard !FileManager.default.fileExists(atPath: target) else { continue }
            try FileManager.default.copyItem(atPath: path, toPath: target)
        }
    }
}

/// Why a migration stopped, or what its check found.
public enum MigrationError: Error, Hashable, Sendable, CustomStringConvertible {
    case alreadySealed(String)
    case targetExists(String)
    case unreadable(position: UInt64, reason: String)
    case differs(position: UInt64, detail: String)

    public var description: String {
        switch self {
        case .alreadySealed(let path): return "the store at \(path) already seals people's names (format 2): there is nothing to migrate"
        case .targetExists(let path): return "\(path) already holds a store: migrate into a new folder"
        case .unreadable(let position, let reason): return "position \(position) of the old store cannot be read: \(reason)"
        case .differs(let position, let detail):
            return "the migrated store does not match the old one at old position \(position): \(detail)"
        }
    }
}
