import EventLog
import Foundation

/// People: every data subject (a party member, a donor who is a person, a
/// beneficiary), with their sealed name, the entries that name them, and whether
/// they were erased. It holds no name in the clear: a name is opened, when shown, with
/// the person's key (``SubjectKeys``).
struct PeopleReadModel: LedgerReadModel {
    static let readModelName = "people"
    static let layoutVersion: UInt32 = 2
    static let answers = "each data subject: role, sealed name, where they appear, their last entry's date, whether erased"
    let databases: LedgerDatabases
    let decoded: DecodedEvents
    var tables: [Table] { [databases.subjects, databases.subjectAppearances, databases.memberSubjects] }
    func makeCaches() -> [any WriteBackCache] { [RowCache<SubjectRecord>(databases.subjects)] }

    func fold(_ event: LedgerEvent, _ stored: RecordedEventView, into tables: LedgerTables, context: ProjectionContext) throws {
        // Made only for an event that names someone: most (deposits) name no one.
        var entry: SubjectRecord.Appearance {
            SubjectRecord.Appearance(position: stored.position, type: event.type.rawValue, on: event.businessDate)
        }
        switch event {
        case .memberEnrolled(let enrolled):
            guard case .sealed(let sealed) = enrolled.fullName else { return }
            try appear(sealed, role: .member, area: enrolled.cell, memberId: enrolled.memberId, entry, tables)
            try tables.transaction.putRow(sealed.subjectId, databases.memberSubjects, key: enrolled.memberId)
        case .memberLeft(let left):
            try appearAsMember(left.memberId, entry, tables)
        case .pledgeMade(let pledge):
            guard case .sealed(let sealed) = pledge.donor.name else { return }
            try appear(sealed, role: .donor, area: nil, memberId: nil, entry, tables)
        case .donationReceived(let donation):
            guard case .sealed(let sealed) = donation.donor.name else { return }
            try appear(sealed, role: .donor, area: nil, memberId: nil, entry, tables)
        case .disbursementMade(let disbursement):
            guard case .sealed(let sealed) = disbursement.beneficiary.name else { return }
            try appear(sealed, role: .beneficiary, area: disbursement.beneficiary.area, memberId: nil, entry, tables)
        case .entryReversed(let reversal):
            // A correction of an entry that names someone is an entry about them too.
            let original = try original(of: reversal, context: context)
            switch original.event {
            case .pledgeMade(let pledge):
                if case .sealed(let sealed) = pledge.donor.name { try appearAgain(sealed.subjectId, entry, tables) }
            case .donationReceived(let donation):
                if case .sealed(let sealed) = donation.donor.name { try appearAgain(sealed.subjectId, entry, tables) }
            case .disbursementMade(let disbursement):
                if case .sealed(let sealed) = disbursement.beneficiary.name { try appearAgain(sealed.subjectId, entry, tables) }
            case .memberLeft(let left):
                try appearAsMember(left.memberId, entry, tables)
            case .piggyBankDeposited, .fundOpened, .memberEnrolled, .pledgeCancelled, .piggyBankModelStarted,
                .piggyBankModelClosed, .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
                break  // names no one (a member's deposits are the members read model's)
            }
        case .subjectErased(let erased):
            try update(tables, SubjectRecord.self, databases.subjects, erased.subjectId) {
                $0.erased = SubjectRecord.Erasure(
                    position: stored.position, erasedOn: erased.erasedOn, reason: erased.reason,
                    retentionOverridden: erased.retentionOverridden ?? false)
            }
        case .fundOpened, .pledgeCancelled, .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed,
            .externalSupportRecorded, .periodClosed, .storeMigrated:
            break  // names no one
        }
    }

    /// A sealed name in an entry: the subject's first appearance, or another one.
    private func appear(
        _ sealed: SealedName, role: SubjectRole, area: String?, memberId: String?, _ entry: SubjectRecord.Appearance,
        _ tables: LedgerTables
    ) throws {
        try tables.modify(SubjectRecord.self, databases.subjects, sealed.subjectId) { record in
            if record == nil {
                record = SubjectRecord(subjectId: sealed.subjectId, role: role, sealedName: sealed, memberId: memberId, first: entry)
            }
            record!.count(entry)
            record!.sealedName = sealed
            if let area { record!.area = area }
        }
        try putAppearance(sealed.subjectId, entry, tables)
    }

    private func appearAgain(_ subjectId: String, _ entry: SubjectRecord.Appearance, _ tables: LedgerTables) throws {
        try update(tables, SubjectRecord.self, databases.subjects, subjectId) { $0.count(entry) }
        try putAppearance(subjectId, entry, tables)
    }

    private func appearAsMember(_ memberId: String, _ entry: SubjectRecord.Appearance, _ tables: LedgerTables) throws {
        guard let bytes = try tables.transaction.get(databases.memberSubjects, memberId) else { return }  // a member of format 1
        let subjectId = try String(rowBytes: try Seal.opened(bytes, key: memberId, in: databases.memberSubjects))
        try appearAgain(subjectId, entry, tables)
    }

    private func putAppearance(_ subjectId: String, _ entry: SubjectRecord.Appearance, _ tables: LedgerTables) throws {
        let key = LedgerKey.appearance(subjectId, entry.position)
        try tables.transaction.putRow(entry, databases.subjectAppearances, key: key)
    }
}

/// What a data subject is to the ward: the role they were first recorded in.
public enum SubjectRole: String, Codable, Hashable, Sendable, CaseIterable {
    case member
    case donor
    case beneficiary
}

/// A data subject, as the people read model keeps them: no name in the clear.
public struct SubjectRecord: Codable, Hashable, Sendable {
    public var subjectId: String
    public var role: SubjectRole
    /// The name as the latest entry sealed it.
    public var sealedName: SealedName
    /// A member's id.
    public var memberId: String?
    /// Where the public view places them: a member's cell, a beneficiary's area.
    public var area: String?
    /// How many entries name them (a member's deposits aside).
    public var appearances: Int64 = 0
    public var firstPosition: UInt64
    public var lastPosition: UInt64
    /// The latest business date of an entry that names them: the retention period runs from it.
    public var lastEntryOn: LocalDate
    public var erased: Erasure?

    public struct Erasure: Codable, Hashable, Sendable {
        public var position: UInt64
        public var erasedOn: LocalDate
        public var reason: String
        public var retentionOverridden: Bool
    }

    /// One entry that names a subject.
    public struct Appearance: Codable, Hashable, Sendable {
        public var position: UInt64
        public var type: String
        public var on: LocalDate
    }

    init(subjectId: String, role: SubjectRole, sealedName: SealedName, memberId: String?, first: Appearance) {
        self.subjectId = subjectId
        self.role = role
        self.sealedName = sealedName
        self.memberId = memberId
        firstPosition = first.position
        lastPosition = first.position
        lastEntryOn = first.on
    }

    mutating func count(_ entry: Appearance) {
        appearances += 1
        lastPosition = max(lastPosition, entry.position)
        lastEntryOn = max(lastEntryOn, entry.on)
    }
}

extension SubjectRecord: LedgerRow {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "subject")
        subjectId = try reader.text()
        guard let role = SubjectRole(rawValue: try reader.text()), case .sealed(let sealed) = try reader.person() else {
            throw ProjectionFault(reason: "a subject row of \(bytes.count) bytes is damaged")
        }
        self.role = role
        sealedName = sealed
        memberId = try reader.optionalText()
        area = try reader.optionalText()
        appearances = try reader.integer()
        firstPosition = UInt64(bitPattern: try reader.integer())
        lastPosition = UInt64(bitPattern: try reader.integer())
        lastEntryOn = try reader.date()
        if try reader.flag() {
            erased = Erasure(
                position: UInt64(bitPattern: try reader.integer()), erasedOn: try reader.date(), reason: try reader.text(),
                retentionOverridden: try reader.flag())
        }
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 192)
        writer.text(subjectId)
        writer.text(role.rawValue)
        writer.person(.sealed(sealedName))
        writer.text(memberId)
        writer.text(area)
        writer.integer(appearances)
        writer.integer(Int64(bitPattern: firstPosition))
        writer.integer(Int64(bitPattern: lastPosition))
        writer.date(lastEntryOn)
        writer.flag(erased != nil)
        if let erased {
            writer.integer(Int64(bitPattern: erased.position))
            writer.date(erased.erasedOn)
            writer.text(erased.reason)
            writer.flag(erased.retentionOverridden)
        }
        return writer.bytes
    }
}

extension SubjectRecord.Appearance: LedgerRow {
    init(rowBytes bytes: UnsafeRawBufferPointer) throws {
        var reader = RowReader(bytes, row: "appearance")
        self.init(position: UInt64(bitPattern: try reader.integer()), type: try reader.text(), on: try reader.date())
        try reader.finish()
    }

    func rowBytes() -> [UInt8] {
        var writer = RowWriter(capacity: 40)
        writer.integer(Int64(bitPattern: position))
        writer.text(type)
        writer.date(on)
        return writer.bytes
    }
}
