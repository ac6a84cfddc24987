import Crypto
import EventLog
import Foundation
import Ledger
import LedgerTools
import TestSupport
import Testing

/// Personal data out of the permanent log (store format 2): no person's name in the
/// clear in the store's files, its backups or its public exports; erasure makes a name
/// unreadable everywhere afterwards while every figure, and the chain, stay.
@Suite("Personal data", .serialized)
struct PersonalDataTests {
    static let members = ["Nguyễn Thị Ngọc Hường", "Trần Quốc Việt"]
    static let anonymousDonor = "Lê Văn Tám"
    static let consentingDonor = "Phạm Thị Hoa"
    static let partyDonor = "Đặng Văn Mười"
    static let beneficiary = "Hộ bà Võ Thị Lài"
    static let business = "Công ty Vĩnh Tế"
    static var people: [String] { members + [anonymousDonor, consentingDonor, partyDonor, beneficiary] }

    /// A ward with every kind of person, recorded through the ledger.
    static func ward(at path: String) throws -> Ledger {
        let ledger = try Ledger(path: path)
        let day = { (text: String) in LocalDate(text)! }
        var events: [LedgerEvent] = [
            .fundOpened(FundOpened(fundId: "q", name: "Quỹ Vì người nghèo", openedOn: day("2024-01-01"), openingBalance: VND(1_000_000))),
            .fundOpened(FundOpened(fundId: "dang-bo", name: "Quỹ an sinh Đảng bộ", openedOn: day("2024-01-01"))),
        ]
        for (index, name) in members.enumerated() {
            events.append(
                .memberEnrolled(MemberEnrolled(memberId: "dv-\(index + 1)", fullName: name, cell: "Chi bộ khóm Vĩnh Tây \(index + 1)", enrolledOn: day("2024-01-02"))))
        }
        events += [
            .pledgeMade(PledgeMade(pledgeId: "p-1", fundId: "q", donor: Donor(name: consentingDonor, kind: .individual, publish: true), amount: VND(300_000), pledgedOn: day("2024-02-01"))),
            .pledgeMade(PledgeMade(pledgeId: "p-2", fundId: "q", donor: Donor(name: anonymousDonor, kind: .individual), amount: VND(200_000), pledgedOn: day("2024-02-01"))),
            .pledgeMade(PledgeMade(pledgeId: "p-3", fundId: "q", donor: Donor(name: business, kind: .business), amount: VND(900_000), pledgedOn: day("2024-02-01"))),
            .donationReceived(DonationReceived(fundId: "q", donor: Donor(name: anonymousDonor, kind: .individual), amount: VND(200_000), receivedOn: day("2024-02-03"), pledgeId: "p-2")),
            .donationReceived(DonationReceived(fundId: "q", donor: Donor(name: partyDonor, kind: .partyMember), amount: VND(100_000), receivedOn: day("2024-02-04"))),
            .piggyBankModelStarted(PiggyBankModelStarted(modelId: "ong-heo", name: "Ống heo", fundId: "dang-bo", startsOn: day("2024-05-19"), endsOn: day("2024-11-30"))),
            .piggyBankDeposited(PiggyBankDeposited(modelId: "ong-heo", memberId: "dv-1", amount: VND(31_000), depositedOn: day("2024-06-18"))),
            .piggyBankDeposited(PiggyBankDeposited(modelId: "ong-heo", memberId: "dv-2", amount: VND(12_000), depositedOn: day("2024-06-18"))),
            .disbursementMade(DisbursementMade(disbursementId: "d-1", fundId: "q", purpose: .gift, beneficiary: Beneficiary(name: beneficiary, kind: .poorHousehold, area: "khóm Vĩnh Tây 1"), amount: VND(500_000), disbursedOn: day("2024-03-01"))),
        ]
        try ledger.record(events.map { LedgerCommand($0) }, actor: "lan")
        return ledger
    }

    /// Which of `names` appear in `bytes`, in NFC or in NFD.
    static func found(_ names: [String], in bytes: Data) -> [String] {
        names.filter { name in
            [name.precomposedStringWithCanonicalMapping, name.decomposedStringWithCanonicalMapping].contains { form in
                bytes.range(of: Data(form.utf8)) != nil
            }
        }
    }

    /// Every file under `folder`, with its bytes.
    static func files(under folder: String) throws -> [(String, Data)] {
        try FileManager.default.subpathsOfDirectory(atPath: folder).sorted().compactMap { name in
            var isFolder: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: folder + "/" + name, isDirectory: &isFolder)
            return isFolder.boolValue ? nil : (name, try Data(contentsOf: URL(fileURLWithPath: folder + "/" + name)))
        }
    }

    @Test("no person's name, in NFC or NFD, in the data file, the keys, a backup or the public export; an erasure takes it from everything made afterwards")
    func namesOutOfTheFiles() throws {
        let folder = TemporaryPath("people")
        var ledger = try Self.ward(at: folder.path)
        // The store's folder: data file and keys hold no name.
        for (name, bytes) in try Self.files(under: folder.path) {
            #expect(Self.found(Self.people, in: bytes).isEmpty, "\(name) holds \(Self.found(Self.people, in: bytes))")
        }
        // A backup: the data and its keys.
        let backup = TemporaryPath("people-backup")
        try FileManager.default.createDirectory(atPath: backup.path, withIntermediateDirectories: true)
        try Backups.backUp(ledger, to: backup.path + "/store.backup")
        for (name, bytes) in try Self.files(under: backup.path) {
            #expect(Self.found(Self.people, in: bytes).isEmpty, "backup \(name) holds \(Self.found(Self.people, in: bytes))")
        }
        // The public view: the business and the donor who consented, no one else.
        let publicExport = TemporaryPath("people-public")
        try Exporter.export(ledger, to: publicExport.path)
        var everything = Data()
        for (name, bytes) in try Self.files(under: publicExport.path) {
            let named = Self.found(Self.people, in: bytes)
            #expect(named.isEmpty || named == [Self.consentingDonor], "public \(name) holds \(named)")
            everything += bytes
        }
        #expect(Self.found([Self.business, Self.consentingDonor], in: everything).count == 2)
        let members = String(decoding: try Data(contentsOf: URL(fileURLWithPath: publicExport.path + "/members.csv")), as: UTF8.self)
        #expect(members.contains("N.T.N.H., Chi bộ khóm Vĩnh Tây 1") && members.contains("T.Q.V., Chi bộ khóm Vĩnh Tây 2"), "\(members)")
        let pledges = String(decoding: try Data(contentsOf: URL(fileURLWithPath: publicExport.path + "/pledges.csv")), as: UTF8.self)
        #expect(pledges.contains(PeopleWords.anonymousDonor), "\(pledges)")
        #expect(!FileManager.default.fileExists(atPath: publicExport.path + "/member-histories.json"), "no member's deposits by name in public")
        // The internal view names everyone.
        let internalBefore = TemporaryPath("people-internal")
        try Exporter.export(ledger, to: internalBefore.path, view: .internal)
        var internalBytes = Data()
        for (_, bytes) in try Self.files(under: internalBefore.path) { internalBytes += bytes }
        #expect(Set(Self.found(Self.members + [Self.anonymousDonor, Self.consentingDonor], in: internalBytes)) == Set(Self.members + [Self.anonymousDonor, Self.consentingDonor]))

        // Erase a member and the consenting donor.
        let funds = try ledger.funds()
        let head = try ledger.head()
        let people = try ledger.people()
        let member = try #require(people.first { $0.memberId == "dv-1" })
        let donor = try #require(people.first { $0.name == Self.consentingDonor })
        let keys = try #require(ledger.keys)
        let memberKey = try #require(try keys.key(SubjectKeys.number(ofSubject: member.subjectId)!)).withUnsafeBytes { Data($0) }
        try ledger.erase(subject: member.subjectId, reason: "Đảng viên đề nghị xoá dữ liệu cá nhân", overridingRetention: true, actor: "lan")
        try ledger.erase(subject: donor.subjectId, reason: "Theo yêu cầu", overridingRetention: true, actor: "lan")
        ledger = try Ledger(path: folder.path)
        let erased = [Self.members[0], Self.consentingDonor]

        // Figures and the chain: unchanged; two erasure events appended; the audit passes.
        #expect(try ledger.funds() == funds)
        #expect(try ledger.head().position == head.position + 2)
        let kept = try ledger.readLog { log in try log.event(at: head.position)?.hash }
        #expect(kept == head.hash)
        let audit = try Auditor.audit(ledger, scratchFolder: TemporaryPath("people-audit").path)
        #expect(audit.isValid, "\(String(describing: audit.problem))")
        // Shown as the subject id and "đã xoá".
        #expect(try ledger.member("dv-1")?.fullName.plainText == "\(member.subjectId) (đã xoá)")
        #expect(try ledger.people().first { $0.subjectId == member.subjectId }?.name == nil)
        #expect(try ledger.member("dv-2")?.fullName.plainText == Self.members[1])
        // Nothing made afterwards holds the erased names, or the erased key.
        let backupAfter = TemporaryPath("people-backup-after")
        try FileManager.default.createDirectory(atPath: backupAfter.path, withIntermediateDirectories: true)
        try Backups.backUp(ledger, to: backupAfter.path + "/store.backup")
        let internalAfter = TemporaryPath("people-internal-after")
        try Exporter.export(ledger, to: internalAfter.path, view: .internal)
        let publicAfter = TemporaryPath("people-public-after")
        try Exporter.export(ledger, to: publicAfter.path)
        for place in [folder.path, backupAfter.path, internalAfter.path, publicAfter.path] {
            for (name, bytes) in try Self.files(under: place) {
                #expect(Self.found(erased, in: bytes).isEmpty, "\(place)/\(name) still holds \(Self.found(erased, in: bytes))")
                #expect(bytes.range(of: memberKey) == nil, "\(place)/\(name) still holds the erased key")
            }
        }
        let internalMembers = String(decoding: try Data(contentsOf: URL(fileURLWithPath: internalAfter.path + "/members.csv")), as: UTF8.self)
        #expect(internalMembers.contains("\(member.subjectId) (đã xoá)") && internalMembers.contains(Self.members[1]), "\(internalMembers)")
        let (status, output) = try python([packageRoot.appendingPathComponent("tools/verify-export.py").path, internalAfter.path])
        #expect(status == 0, "\(output)")
    }

    @Test("an erasure within the retention period, of a reason that names the person, of an unknown or erased subject, is refused; nothing is written")
    func erasureRefusals() throws {
        let folder = TemporaryPath("people-refusals")
        let ledger = try Self.ward(at: folder.path)
        let member = try #require(try ledger.people().first { $0.memberId == "dv-1" })
        let head = try ledger.head()
        // The member deposited on 2024-06-18: records kept for 10 years, to 2034-06-18.
        #expect(throws: ErasureRefused.withinRetention(member.subjectId, lastEntry: LocalDate("2024-06-18")!, keepUntil: LocalDate("2034-06-18")!, years: 10)) {
            try ledger.erase(subject: member.subjectId, reason: "đề nghị", overridingRetention: false, actor: "lan")
        }
        #expect(throws: ErasureRefused.reasonNamesThePerson(member.subjectId)) {
            try ledger.erase(subject: member.subjectId, reason: "Xoá tên nguyễn thị ngọc hường", overridingRetention: true, actor: "lan")
        }
        #expect(throws: ErasureRefused.unknownSubject("ds-000099")) {
            try ledger.erase(subject: "ds-000099", reason: "x", overridingRetention: true, actor: "lan")
        }
        #expect(try ledger.head() == head, "a refused erasure writes nothing")
        #expect(try ledger.people().first { $0.memberId == "dv-1" }?.name == Self.members[0])
        try ledger.setSetting(Ledger.retentionYearsSetting, to: "0")
        try ledger.erase(subject: member.subjectId, reason: "đề nghị", overridingRetention: false, actor: "lan")
        #expect(throws: ErasureRefused.alreadyErased(member.subjectId, on: LocalDate(at: ledger.now()))) {
            try ledger.erase(subject: member.subjectId, reason: "đề nghị", overridingRetention: true, actor: "lan")
        }
        // The person's entries now refuse their subject: a new enrolment is a new person.
        #expect(try ledger.people().count == Self.people.count)
    }

    @Test("a process killed at any instant of an erasure leaves the old state or the erased one, never a name shown after its erasure")
    func killedErasure() throws {
        let base = TemporaryPath("people-kill-base")
        _ = try Self.ward(at: base.path)
        let subject = try #require(try Ledger(path: base.path).people().first { $0.memberId == "dv-1" }).subjectId
        var outcomes: [String: Int] = [:]
        var generator = SystemRandomNumberGenerator()
        for round in 0..<24 {
            let copy = TemporaryPath("people-kill-\(round)")
            try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
            for file in try FileManager.default.contentsOfDirectory(atPath: base.path) where file != "lock.mdb" {
                try FileManager.default.copyItem(atPath: base.path + "/" + file, toPath: copy.path + "/" + file)
            }
            let process = Process()
            process.executableURL = ansinhExecutable
            process.arguments = ["people", "erase", subject, "--reason", "đề nghị", "--override-retention", "--store", copy.path, "--actor", "lan"]
            process.standardOutput = FileHandle.nullDevice
            process.standardError = FileHandle.nullDevice
            try process.run()
            usleep(UInt32.random(in: 0...60_000, using: &generator))
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Whatever instant it died at: open, and look.
            let ledger = try Ledger(path: copy.path)
            let person = try #require(try ledger.people().first { $0.subjectId == subject })
            let keyLeft = try ledger.keys?.key(SubjectKeys.number(ofSubject: subject)!) != nil
            if let erasure = person.erased {
                #expect(person.name == nil && !keyLeft, "round \(round): erased at \(erasure.position), but the name still opens")
                outcomes["erased", default: 0] += 1
            } else {
                #expect(person.name == Self.members[0] && keyLeft, "round \(round): not erased, yet the name is gone")
                outcomes["old", default: 0] += 1
            }
            let audit = try Auditor.audit(ledger, scratchFolder: TemporaryPath("people-kill-audit").path)
            #expect(audit.isValid, "round \(round): \(String(describing: audit.problem))")
        }
        #expect(outcomes.values.reduce(0, +) == 24, "\(outcomes)")
    }

    @Test("erasures while other processes record new people: every acknowledged entry stays, each erased name is gone, every other name opens")
    func erasureWhileOthersWrite() throws {
        let folder = TemporaryPath("people-concurrent")
        _ = try Self.ward(at: folder.path)
        let writers = (0..<2).map { writer in
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/bash")
            let donations = (0..<20).map { index in
                "\(ansinhExecutable.path) donate --fund q --donor 'Nhà hảo tâm \(writer)-\(index)' --donor-kind individual --amount 1.000 --date 2024-03-02 --store \(folder.path) --actor w\(writer) >/dev/null || echo refused"
            }
            process.arguments = ["-c", donations.joined(separator: "\n")]
            return process
        }
        let output = temporaryOutputFile()
        defer { try? FileManager.default.removeItem(at: output) }
        for process in writers {
            process.standardOutput = try FileHandle(forWritingTo: output)
            try process.run()
        }
        let ledger = try Ledger(path: folder.path)
        var erased: [String] = []
        for name in [Self.anonymousDonor, Self.partyDonor, Self.beneficiary] {
            let subject = try #require(try ledger.people().first { $0.name == name }).subjectId
            try ledger.erase(subject: subject, reason: "theo yêu cầu", overridingRetention: true, actor: "lan")
            erased.append(subject)
        }
        for process in writers { try waitForExit(process, timeLimit: 120) }
        #expect(String(decoding: try Data(contentsOf: output), as: UTF8.self).isEmpty, "a donation was refused")
        let after = try Ledger(path: folder.path)
        let people = try after.people()
        for subject in erased { #expect(people.first { $0.subjectId == subject }?.name == nil, "\(subject) not erased") }
        for writer in 0..<2 {
            for index in 0..<20 {
                #expect(people.contains { $0.name == "Nhà hảo tâm \(writer)-\(index)" }, "donor \(writer)-\(index) missing or unreadable")
            }
        }
        #expect(try after.funds().first { $0.fundId == "q" }?.donations.count == 2 + 40)
        // Numbered once each, densely, whichever process numbered them.
        #expect(people.map(\.subjectId).sorted() == (1...people.count).map { SubjectKeys.subjectId(UInt32($0)) })
        let audit = try Auditor.audit(after, scratchFolder: TemporaryPath("people-concurrent-audit").path)
        #expect(audit.isValid, "\(String(describing: audit.problem))")
    }
}
