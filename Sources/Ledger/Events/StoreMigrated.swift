import EventLog
import Foundation

/// The first event of a store migrated from an earlier format (`ansinh migrate`): the
/// position and hash of the old store's head, so that the new chain is tied to the old
/// one. The old store's events follow it, one position later each.
public struct StoreMigrated: Codable, Hashable, Sendable {
    /// The old store's format.
    public var fromFormat: Int64
    /// The old store's last position, and its hash (64 hexadecimal digits).
    public var headPosition: Int64
    public var headHash: String
    public var migratedOn: LocalDate

    public init(fromFormat: Int64, headPosition: Int64, headHash: String, migratedOn: LocalDate) {
        self.fromFormat = fromFormat
        self.headPosition = headPosition
        self.headHash = headHash
        self.migratedOn = migratedOn
    }
}

extension StoreMigrated: EventDeclaration {
    static let type = EventType.storeMigrated
    static let isReversible = false
    /// It moves no money and is dated the day of the migration.
    static let checksItsOwnDate = true
    var businessDate: LocalDate { migratedOn }
    var money: VND? { nil }
    var event: LedgerEvent { .storeMigrated(self) }

    mutating func normalise(_ check: FieldChecker) throws(FieldError) {
        try check.range(fromFormat, "fromFormat", 1...1)
        try check.range(headPosition, "headPosition", 0...Int64.max)
        guard headHash.utf8.count == 64, hexBytes(headHash, lowercaseOnly: true) != nil else {
            throw check.fail("headHash", "must be 64 lowercase hexadecimal digits")
        }
    }

    /// Only a new store's first event.
    func check(_ rules: Rules) throws -> Rules.Target {
        guard try rules.log.event(at: 1) == nil else { throw RuleViolation.migrationNotFirst }
        return ("store", .noStream)
    }
}
