import EventLog
import Foundation
@testable import Ledger
import Testing

/// `people.keys`: slots written for a batch that never committed, torn or whole, are cut
/// off before the next person is numbered; a file shorter than the log relies on, or a
/// slot the log uses that no longer checks, is reported as damage, never worked around.
@Suite("The people's keys file")
struct SubjectKeysTests {
    static let slotSize = 96
    static let headerSize = 64

    /// A store with three members, and the path of its keys file.
    static func store() throws -> (TemporaryLedger, String) {
        let store = try TemporaryLedger()
        try store.record(enrol("m1"), enrol("m2"), enrol("m3"))
        return (store, store.path + "/" + SubjectKeys.fileName)
    }

    static func append(_ bytes: [UInt8], to path: String) throws {
        let handle = try #require(FileHandle(forWritingAtPath: path))
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(bytes))
        try handle.close()
    }

    static func length(_ path: String) throws -> Int {
        try #require(try FileManager.default.attributesOfItem(atPath: path)[.size] as? Int)
    }

    /// What a batch that did not commit can leave: part of a slot, a whole slot whose
    /// checksum fails, whole slots written by a batch the log then refused to commit.
    enum Leftover: String, CaseIterable, CustomTestStringConvertible {
        case partialSlot, tornSlot, uncommittedSlots
        var testDescription: String { rawValue }
    }

    @Test("slots past those the log relies on are cut before the next person is numbered", arguments: Leftover.allCases)
    func uncommittedTail(_ leftover: Leftover) throws {
        let (store, path) = try Self.store()
        let committed = Self.headerSize + 3 * Self.slotSize
        #expect(try Self.length(path) == committed)
        switch leftover {
        case .partialSlot:
            try Self.append([1, 2, 0, 0, 0, 0, 0, 4] + [UInt8](repeating: 0xA5, count: 42), to: path)
        case .tornSlot:
            try Self.append([1, 2, 0, 0, 0, 0, 0, 4] + [UInt8](repeating: 0xA5, count: Self.slotSize - 8), to: path)
        case .uncommittedSlots:
            // Numbered and written as a batch does just before its commit, which never came.
            let keys = try SubjectKeys(folder: store.path, create: false)
            let new = NewSubjects(committedCount: 3)
            _ = try keys.findOrReserve(.donor, "Nguyễn Văn Bốn", in: new)
            _ = try keys.findOrReserve(.donor, "Trần Thị Năm", in: new)
            try keys.persist(new)
            #expect(new.count == 5)
        }
        #expect(try Self.length(path) > committed)
        // A new person is numbered right after the three the log names.
        try store.record(enrol("m4"))
        let people = try store.ledger.people()
        #expect(people.map(\.subjectId) == (1...4).map { SubjectKeys.subjectId($0) })
        #expect(people.map(\.name) == ["Đảng viên m1", "Đảng viên m2", "Đảng viên m3", "Đảng viên m4"])
        #expect(try Self.length(path) == committed + Self.slotSize)
        // The person an uncommitted batch had numbered gets a subject of their own now.
        try store.record(openFund("f"), Self.donation("Nguyễn Văn Bốn"))
        #expect(try store.ledger.people().last?.name == "Nguyễn Văn Bốn")
        #expect(try store.ledger.people().last?.subjectId == SubjectKeys.subjectId(5))
    }

    @Test("another process's cut makes this one read its index afresh: no number is found for the wrong person")
    func cutSeenByAnotherInstance() throws {
        let (store, path) = try Self.store()
        let other = try Ledger(path: store.path)
        // The other instance indexes an uncommitted slot for "Lê Văn Sáu" as number 4.
        let keys = try SubjectKeys(folder: store.path, create: false)
        let new = NewSubjects(committedCount: 3)
        _ = try keys.findOrReserve(.donor, "Lê Văn Sáu", in: new)
        try keys.persist(new)
        _ = try other.keys!.find(.donor, "Lê Văn Sáu")
        // This instance cuts it and gives number 4 to a new member.
        try store.record(enrol("m4"))
        #expect(try Self.length(path) == Self.headerSize + 4 * Self.slotSize)
        // The other instance must not seal "Lê Văn Sáu" under member m4's key.
        try other.record([LedgerCommand(openFund("f")), LedgerCommand(Self.donation("Lê Văn Sáu"))], actor: "lan")
        let people = try store.ledger.people()
        #expect(people.map(\.name) == ["Đảng viên m1", "Đảng viên m2", "Đảng viên m3", "Đảng viên m4", "Lê Văn Sáu"])
        #expect(Set(people.map(\.subjectId)).count == 5)
    }

    @Test("a keys file that holds fewer people than the log names is damage: recording a new person is refused, nothing written")
    func shorterThanTheLog() throws {
        let (store, path) = try Self.store()
        #expect(truncate(path, off_t(Self.headerSize + Self.slotSize)) == 0)
        let head = try store.head
        #expect {
            try store.record(enrol("m4"))
        } throws: { error in
            // Named as the batch's command that met it, reported as the store's damage.
            guard let rejected = error as? CommandRejected, case .damaged(_, let detail) = rejected.reason as? SubjectKeysError
            else { return false }
            return detail.contains("holds the keys of 1 people, the log names 3")
        }
        #expect(try store.head == head)
        #expect(try Self.length(path) == Self.headerSize + Self.slotSize, "nothing written to the keys either")
    }

    @Test("a changed byte in a slot the log uses is reported as damage to that subject, never shown as another name")
    func damagedSlot() throws {
        let (store, path) = try Self.store()
        let handle = try #require(FileHandle(forUpdatingAtPath: path))
        try handle.seek(toOffset: UInt64(Self.headerSize + Self.slotSize + 20))
        let byte = try #require(try handle.read(upToCount: 1)).first!
        try handle.seek(toOffset: UInt64(Self.headerSize + Self.slotSize + 20))
        try handle.write(contentsOf: Data([byte ^ 0x01]))
        try handle.close()
        #expect {
            _ = try store.ledger.member("m2")
        } throws: { error in
            guard case .damaged(_, let detail) = error as? SubjectKeysError else { return false }
            return detail == "the slot of ds-000002"
        }
        // The others still open.
        #expect(try store.ledger.member("m1")?.fullName == .plain("Đảng viên m1"))
        #expect(try store.ledger.member("m3")?.fullName == .plain("Đảng viên m3"))
    }

    @Test("a subject id spells its number one way: ds- and six digits, or more with no leading zero")
    func subjectIds() {
        for number: UInt32 in [1, 9, 12, 999_999, 1_000_000, 1_234_567, UInt32.max] {
            #expect(SubjectKeys.number(ofSubject: SubjectKeys.subjectId(number)) == number, "\(number)")
        }
        #expect(SubjectKeys.subjectId(12) == "ds-000012" && SubjectKeys.subjectId(1_234_567) == "ds-1234567")
        for text in [
            "ds-00001", "ds-0000001", "ds-000000", "DS-000001", "ds-00000a", "ds-4294967296", "ds-\u{FF10}00001", "ds-000001 ",
            " ds-000001", "ds_000001", "ds-", "", "ds-+00001", "ds-99999999999",
        ] {
            #expect(SubjectKeys.number(ofSubject: text) == nil, "\(text)")
        }
    }

    static func donation(_ donor: String) -> LedgerEvent {
        .donationReceived(
            DonationReceived(fundId: "f", donor: Donor(name: donor, kind: .individual), amount: VND(1_000), receivedOn: day("2024-02-01")))
    }
}
