import EventLog
import Foundation

/// How a store keeps people's names.
public enum StoreFormat: Int, Sendable {
    /// Earlier versions: names in the clear in the log. Opens only to be migrated.
    case namesInClear = 1
    /// Names sealed under each person's key (``SealedName``); the keys beside the log.
    case sealedNames = 2

    static let settingName = "store-format"

    /// The format of the store `log` opens: written when the store is new, read after.
    static func settle(_ log: EventLog, path: String, openingFormat1: Bool) throws -> StoreFormat {
        if let value = try log.setting(settingName) {
            guard let number = Int(value), let format = StoreFormat(rawValue: number) else {
                throw StoreFormatError.unknown(path: path, format: value)
            }
            if format == .namesInClear, !openingFormat1 { throw StoreFormatError.namesInClear(path: path) }
            return format
        }
        guard try log.head().position > 0 else {
            if !log.options.readOnly {
                try log.setSetting(Ledger.keysCountSetting, to: "0")
                try log.setSetting(settingName, to: String(sealedNames.rawValue))
            }
            return .sealedNames
        }
        // A store with events and no format was written before names were sealed.
        guard openingFormat1 else { throw StoreFormatError.namesInClear(path: path) }
        return .namesInClear
    }
}

/// A store this version cannot use as it is.
public enum StoreFormatError: Error, Hashable, Sendable, CustomStringConvertible {
    /// Format 1: people's names are in the clear in the log.
    case namesInClear(path: String)
    case unknown(path: String, format: String)

    public var description: String {
        switch self {
        case .namesInClear(let path):
            return "the store at \(path) keeps people's names in the clear (store format 1); "
                + "migrate it into a new store, which seals them: ansinh migrate --from \(path) --to NEW-FOLDER"
        case .unknown(let path, let format):
            return "the store at \(path) is in format \(format), which this version of ansinh does not know; use a newer version"
        }
    }
}

extension Ledger {
    /// The setting that names the subjects whose erasure is recorded but whose keys may
    /// not yet be destroyed (a crash in between): finished when the store next opens.
    static let erasurePendingSetting = "erasure-pending"
    /// How many slots of `people.keys` the committed log relies on.
    static let keysCountSetting = "people-keys-count"

    /// `event` with every person's name in the clear sealed under its subject's key
    /// (found, or numbered in `subjects`). Names already sealed (a replay of stored
    /// events) and organisations' names stay as they are.
    func sealingNames(_ event: LedgerEvent, subjects: NewSubjects) throws -> LedgerEvent {
        try event.mappingPeople { name, role, identity in
            guard let role else { return name }  // an organisation
            return try seal(name, role, identity: identity, subjects)
        }
    }

    /// `stored` with each sealed name opened where `like` (a command) gives that name in
    /// the clear, to compare the two. A name whose key is gone stays sealed.
    func openingNames(_ stored: LedgerEvent, like command: LedgerEvent) throws -> LedgerEvent {
        guard command.namedPeople.contains(where: { $0.name.plainText != nil }), let keys else { return stored }
        return try stored.mappingPeople { name, _, _ in
            guard case .sealed(let sealed) = name, let number = SubjectKeys.number(ofSubject: sealed.subjectId),
                let key = try keys.key(number), let text = try? sealed.open(with: key)
            else { return name }
            return .plain(text)
        }
    }

    /// A name sealed for its subject: found by `identity` (a member's id) or by the name.
    private func seal(_ name: PersonName, _ role: SubjectRole, identity: String?, _ subjects: NewSubjects) throws -> PersonName {
        guard case .plain(let text) = name, format == .sealedNames else { return name }
        guard let keys else { throw SubjectKeysError.missing(log.path + "/" + SubjectKeys.fileName) }
        let subject = try keys.findOrReserve(role, identity ?? text, in: subjects)
        return .sealed(SealedName.seal(text, subject: subject.number, key: subject.key))
    }

    /// Destroys the keys of subjects whose erasure the log holds but whose keys a crash
    /// may have left (see ``erase(subject:reason:overridingRetention:actor:)``), and
    /// takes them off the list of pending erasures.
    func completeErasures() throws {
        guard let pending = try setting(Self.erasurePendingSetting), !pending.isEmpty else { return }
        let done = pending.split(separator: ",").map(String.init)
        for subjectId in done {
            if let number = SubjectKeys.number(ofSubject: subjectId) { try keys?.erase(number) }
        }
        try log.updateSetting(Self.erasurePendingSetting) { current in
            current?.split(separator: ",").map(String.init).filter { !done.contains($0) }.joined(separator: ",")
        }
    }

    /// The store's retention period for accounting records, in years (a setting; 10 by
    /// default, as the accounting law asks of accounting documents).
    public func retentionYears() throws -> Int {
        try setting(Self.retentionYearsSetting).flatMap(Int.init) ?? 10
    }

    public static let retentionYearsSetting = "retention-years"

    /// Erases a data subject's personal data: records ``SubjectErased`` (no personal
    /// data in it) with the subject's id on the list of pending erasures, in one
    /// transaction; then writes zeros over the subject's key in place, and takes the
    /// subject off the list. A crash in between leaves the erasure recorded and the key
    /// destroyed the next time the store opens for writing: either the old state or
    /// the erased one, never a name that shows after its erasure was recorded.
    ///
    /// Balances, totals, counts and the chain do not change; the name can no longer be
    /// opened, from the store's folder or any export or backup made afterwards.
    /// - Throws: ``ErasureRefused`` (an unknown or erased subject, records still within
    ///   the retention period without `overridingRetention`, a reason that names the
    ///   person); ``CommandRejected``; `StoreError`.
    @discardableResult
    public func erase(subject subjectId: String, reason: String, overridingRetention: Bool, actor: String) throws -> RecordedEntry {
        let today = LocalDate(at: log.options.clock())
        let (record, name, lastEntry) = try snapshot { snapshot -> (SubjectRecord?, String?, LocalDate?) in
            guard let record = try snapshot.tables.subject(subjectId) else { return (nil, nil, nil) }
            var lastEntry = record.lastEntryOn
            if let memberId = record.memberId {
                // A member's deposits are entries about them too, and their reversals.
                for (_, deposit) in try snapshot.tables.deposits(of: memberId) { lastEntry = max(lastEntry, deposit.depositedOn) }
            }
            return (record, try? snapshot.name(.sealed(record.sealedName)), lastEntry)
        }
        guard let record, let lastEntry else { throw ErasureRefused.unknownSubject(subjectId) }
        if let erased = record.erased { throw ErasureRefused.alreadyErased(subjectId, on: erased.erasedOn) }
        let years = try retentionYears()
        let keepUntil = lastEntry.addingYears(years)
        if today < keepUntil, !overridingRetention {
            throw ErasureRefused.withinRetention(subjectId, lastEntry: lastEntry, keepUntil: keepUntil, years: years)
        }
        if let name, Self.mentions(reason, name) { throw ErasureRefused.reasonNamesThePerson(subjectId) }
        var event = LedgerEvent.subjectErased(
            SubjectErased(subjectId: subjectId, erasedOn: today, reason: reason, retentionOverridden: overridingRetention ? true : nil))
        do {
            try event.normalise(FieldChecker(eventType: event.type.rawValue))
        } catch {
            throw CommandRejected(index: 0, eventType: event.type.rawValue, reason: error)
        }
        let entry = try log.write(actor: Self.recorder(actor)) { writer in
            let entry = try execute(event, eventId: UUID(), index: 0, writer: writer, tables: tables(writer), subjects: NewSubjects())
            let pending = try writer.setting(Self.erasurePendingSetting).flatMap { $0.isEmpty ? nil : $0 }
            try writer.setSetting(Self.erasurePendingSetting, to: [pending, subjectId].compactMap { $0 }.joined(separator: ","))
            return entry
        }
        try completeErasures()
        return entry
    }

    /// Whether `text` holds `name` (compared in NFC, ignoring case and diacritics' forms).
    static func mentions(_ text: String, _ name: String) -> Bool {
        let folded = { (value: String) in value.precomposedStringWithCanonicalMapping.lowercased() }
        return folded(text).contains(folded(name))
    }

    /// Every data subject, by subject id, with their name as `view` shows it.
    public func people(view: NameView = .internal) throws -> [PersonListing] {
        try snapshot { snapshot in
            var people: [PersonListing] = []
            try snapshot.tables.scan(SubjectRecord.self, snapshot.tables.databases.subjects) { _, record in
                people.append(try snapshot.listing(record, view: view))
            }
            return people
        }
    }

    /// One data subject, or `nil`.
    public func person(_ subjectId: String, view: NameView = .internal) throws -> PersonListing? {
        try snapshot { snapshot in try snapshot.tables.subject(subjectId).map { try snapshot.listing($0, view: view) } }
    }
}

extension LedgerSnapshot {
    func listing(_ record: SubjectRecord, view: NameView) throws -> PersonListing {
        var appearances: [SubjectRecord.Appearance] = []
        try tables.scan(SubjectRecord.Appearance.self, tables.databases.subjectAppearances, prefix: LedgerKey.prefix(record.subjectId)) {
            appearances.append($1)
        }
        var deposits = 0
        if let memberId = record.memberId { deposits = try tables.deposits(of: memberId).count }
        let name: String?
        if record.erased != nil {
            name = nil
        } else {
            name = try self.name(.sealed(record.sealedName), view: view, role: record.role, area: record.area)
        }
        return PersonListing(
            subjectId: record.subjectId, role: record.role, name: name, memberId: record.memberId, area: record.area,
            appearances: appearances, deposits: deposits, lastEntryOn: record.lastEntryOn, erased: record.erased)
    }
}

/// A data subject as `ansinh people` lists them.
public struct PersonListing: Hashable, Sendable {
    public var subjectId: String
    public var role: SubjectRole
    /// Their name as the view shows it; `nil` once erased.
    public var name: String?
    public var memberId: String?
    public var area: String?
    /// The entries that name them.
    public var appearances: [SubjectRecord.Appearance]
    /// A member's deposits (entries about them that do not repeat their name).
    public var deposits: Int
    public var lastEntryOn: LocalDate
    public var erased: SubjectRecord.Erasure?

    /// Their name, or their subject id and "đã xoá".
    public var shownName: String { name ?? "\(subjectId) (\(PeopleWords.erased))" }
}

/// An erasure that was not done; nothing was written.
public enum ErasureRefused: Error, Hashable, Sendable, CustomStringConvertible {
    case unknownSubject(String)
    case alreadyErased(String, on: LocalDate)
    case withinRetention(String, lastEntry: LocalDate, keepUntil: LocalDate, years: Int)
    case reasonNamesThePerson(String)

    public var description: String {
        switch self {
        case .unknownSubject(let subject): return "no person has subject id \(subject) (ansinh people lists them)"
        case .alreadyErased(let subject, let date): return "\(subject) was already erased on \(date)"
        case .withinRetention(let subject, let lastEntry, let keepUntil, let years):
            return "the records of \(subject) must be kept until \(keepUntil) (\(years) years after their last entry, on \(lastEntry)); "
                + "to erase them before then, add --override-retention"
        case .reasonNamesThePerson(let subject):
            return "the reason names the person (\(subject)), and it is kept for ever: give the reason without their name"
        }
    }
}

extension LedgerEvent {
    /// The people the event names, each with its field: a member, a donor (a person or
    /// not), a beneficiary.
    public var namedPeople: [(field: String, name: PersonName)] {
        switch self {
        case .memberEnrolled(let enrolled): return [("fullName", enrolled.fullName)]
        case .pledgeMade(let pledge): return [("donor.name", pledge.donor.name)]
        case .donationReceived(let donation): return [("donor.name", donation.donor.name)]
        case .disbursementMade(let disbursement): return [("beneficiary.name", disbursement.beneficiary.name)]
        case .fundOpened, .memberLeft, .pledgeCancelled, .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed,
            .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
            return []
        }
    }

    /// The event with each name it gives changed by `change`, which is told the role of
    /// a person (`nil` for an organisation) and, for a member, their id (the identity
    /// their subject is found by; others are found by name).
    func mappingPeople(_ change: (PersonName, SubjectRole?, _ identity: String?) throws -> PersonName) rethrows -> LedgerEvent {
        switch self {
        case .memberEnrolled(var enrolled):
            enrolled.fullName = try change(enrolled.fullName, .member, enrolled.memberId)
            return .memberEnrolled(enrolled)
        case .pledgeMade(var pledge):
            pledge.donor.name = try change(pledge.donor.name, pledge.donor.kind.isPerson ? .donor : nil, nil)
            return .pledgeMade(pledge)
        case .donationReceived(var donation):
            donation.donor.name = try change(donation.donor.name, donation.donor.kind.isPerson ? .donor : nil, nil)
            return .donationReceived(donation)
        case .disbursementMade(var disbursement):
            disbursement.beneficiary.name = try change(disbursement.beneficiary.name, .beneficiary, nil)
            return .disbursementMade(disbursement)
        case .fundOpened, .memberLeft, .pledgeCancelled, .piggyBankModelStarted, .piggyBankDeposited, .piggyBankModelClosed,
            .externalSupportRecorded, .entryReversed, .periodClosed, .subjectErased, .storeMigrated:
            return self
        }
    }
}
