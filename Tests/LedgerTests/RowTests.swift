import EventLog
import Foundation
@testable import Ledger
import Testing

/// The rows the read models store in fixed binary layouts: each comes back whole from
/// its bytes, for random values at the edges of their ranges, and damaged bytes (cut
/// short, with a byte too many, a presence byte other than 0 or 1, text that is not
/// UTF-8, purposes out of order) are refused, never read as other figures.
@Suite("Read-model rows in fixed binary layouts")
struct RowTests {
    static let seeds: [UInt64] = [1, 7, 0x2026_1130]

    struct Random {
        var generator: PropertyTests.Generator

        mutating func integer() -> Int64 {
            switch generator.next() % 4 {
            case 0: return [Int64.min, -1, 0, 1, Int64.max].randomElement(using: &generator)!
            case 1: return Int64.random(in: -1_000...1_000, using: &generator)
            default: return Int64(bitPattern: generator.next())
            }
        }
        mutating func count() -> Int { Int(integer()) }
        mutating func money() -> VND { VND(integer()) }
        mutating func totals() -> MoneyTotals { MoneyTotals(count: integer(), amount: money()) }
        mutating func flag() -> Bool { generator.next() % 2 == 0 }
        mutating func date() -> LocalDate {
            let edges = [LocalDate.earliest.dayNumber, -1, 0, LocalDate.latest.dayNumber, Int32.random(in: 0...80_000, using: &generator)]
            return LocalDate(dayNumber: edges[Int(generator.next() % 5)])
        }
        mutating func optionalDate() -> LocalDate? { flag() ? date() : nil }
        mutating func text() -> String {
            let pieces = ["", "a", "Quỹ “Vì người nghèo”", "dv-0001", "\u{0}", "🐷", String(repeating: "x", count: 300)]
            return (0..<Int(generator.next() % 3)).map { _ in pieces.randomElement(using: &generator)! }.joined()
        }
        mutating func optionalText() -> String? { flag() ? text() : nil }
        mutating func person() -> PersonName {
            guard flag() else { return .plain(text()) }
            let bytes = (0..<(60 + 32 * Int(generator.next() % 3))).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            let commitment = (0..<32).map { _ in UInt8(truncatingIfNeeded: generator.next()) }
            return .sealed(SealedName(subjectId: SubjectKeys.subjectId(UInt32(1 + generator.next() % 999_999)), sealed: bytes, keyCommitment: commitment))
        }
        mutating func purposes() -> [String: PurposeTotals] {
            var purposes: [String: PurposeTotals] = [:]
            for _ in 0..<Int(generator.next() % 4) {
                purposes[text()] = PurposeTotals(count: integer(), quantity: integer(), amount: money())
            }
            return purposes
        }

        mutating func fund() -> FundBalance {
            var fund = FundBalance(
                opened: FundOpened(fundId: text(), name: text(), openedOn: date(), openingBalance: money(), purpose: optionalText()))
            (fund.donations, fund.deposits, fund.pledged, fund.outstandingPledges) = (totals(), totals(), money(), money())
            (fund.disbursedByPurpose, fund.balance) = (purposes(), money())
            return fund
        }

        mutating func fundDay() -> FundDay {
            var day = FundDay()
            (day.broughtForward, day.donations, day.deposits, day.disbursedByPurpose) = (money(), totals(), totals(), purposes())
            return day
        }

        mutating func member() -> MemberRecord {
            MemberRecord(
                memberId: text(), fullName: person(), cell: text(), enrolledOn: date(), leftOn: optionalDate(), leftReason: optionalText(),
                lastDepositOn: optionalDate())
        }

        mutating func model() -> ModelRecord {
            ModelRecord(
                modelId: text(), name: text(), fundId: text(), startsOn: date(), endsOn: date(), dailyTarget: money(),
                closedOn: optionalDate(), decisionRef: optionalText(), collected: totals(), lastDepositOn: optionalDate(),
                lastActivityOn: optionalDate())
        }

        mutating func subject() -> SubjectRecord {
            var sealed: SealedName
            repeat {
                if case .sealed(let name) = person() { sealed = name; break }
            } while true
            let role = SubjectRole.allCases[Int(generator.next() % 3)]
            let first = SubjectRecord.Appearance(position: generator.next(), type: text(), on: date())
            var subject = SubjectRecord(subjectId: text(), role: role, sealedName: sealed, memberId: optionalText(), first: first)
            (subject.area, subject.appearances, subject.lastPosition, subject.lastEntryOn) = (optionalText(), integer(), generator.next(), date())
            if flag() {
                subject.erased = SubjectRecord.Erasure(position: generator.next(), erasedOn: date(), reason: text(), retentionOverridden: flag())
            }
            return subject
        }

        mutating func cell() -> PiggyBankSummary.Cell {
            var cell = PiggyBankSummary.Cell(cell: text())
            (cell.members, cell.participating, cell.collected, cell.deposits) = (count(), count(), money(), integer())
            (cell.expected, cell.belowTarget, cell.shortfall) = (money(), count(), money())
            return cell
        }
    }

    /// Its bytes give it back; every damaged form of them is refused.
    func holds<Row: LedgerRow & Equatable>(_ row: Row, _ context: String) throws {
        let bytes = try row.rowBytes()
        let decoded = try bytes.withUnsafeBytes { try Row(rowBytes: $0) }
        #expect(decoded == row, "\(context)")
        #expect(try decoded.rowBytes() == bytes, "\(context): one value, one set of bytes")
        for cut in [0, 1, bytes.count / 2, bytes.count - 1] where cut < bytes.count {
            #expect(throws: ProjectionFault.self, "\(context): cut to \(cut) bytes") {
                try Array(bytes[..<cut]).withUnsafeBytes { _ = try Row(rowBytes: $0) }
            }
        }
        #expect(throws: ProjectionFault.self, "\(context): a byte too many") {
            try (bytes + [0]).withUnsafeBytes { _ = try Row(rowBytes: $0) }
        }
    }

    @Test("funds, fund days, members, enrolments, pledge sums, models, members' totals, cells, subjects and their appearances come back from their bytes", arguments: seeds)
    func roundTrips(seed: UInt64) throws {
        var random = Random(generator: PropertyTests.Generator(state: seed))
        for round in 0..<200 {
            let context = "seed \(seed) round \(round)"
            try holds(random.fund(), context)
            try holds(random.fundDay(), context)
            try holds(random.member(), context)
            let member = random.member()
            try holds(Enrolment(memberId: member.memberId, cell: member.cell, enrolledOn: member.enrolledOn, leftOn: member.leftOn), context)
            try holds(PledgeTotals(pledged: random.money(), outstanding: random.money()), context)
            try holds(random.model(), context)
            try holds(ModelMemberTotals(total: random.totals(), enrolledDays: random.integer()), context)
            try holds(random.cell(), context)
            try holds(random.subject(), context)
            try holds(SubjectRecord.Appearance(position: random.generator.next(), type: random.text(), on: random.date()), context)
        }
    }

    @Test("a presence byte other than 0 or 1, text that is not UTF-8, purposes out of order and days beyond the calendar are refused")
    func malformed() throws {
        let member = MemberRecord(memberId: "dv-1", fullName: "Nguyễn Văn A", cell: "Chi bộ 1", enrolledOn: LocalDate(dayNumber: 20_000))
        var bytes = member.rowBytes()
        // memberId, then the name (a byte for in the clear, then its text), the cell, enrolledOn
        let leftOnFlag = 4 + "dv-1".utf8.count + 1 + 4 + "Nguyễn Văn A".utf8.count + 4 + "Chi bộ 1".utf8.count + 4
        #expect(bytes[leftOnFlag] == 0)
        bytes[leftOnFlag] = 2
        #expect(throws: ProjectionFault.self) { try bytes.withUnsafeBytes { _ = try MemberRecord(rowBytes: $0) } }

        var text = member.rowBytes()
        text[5] = 0xFF  // inside "dv-1", after its length
        #expect(throws: ProjectionFault.self) { try text.withUnsafeBytes { _ = try MemberRecord(rowBytes: $0) } }

        var day = FundDay()
        day.disbursedByPurpose = ["a": PurposeTotals(count: 1), "b": PurposeTotals(count: 2)]
        var purposes = day.rowBytes()
        let first = 8 + 16 + 16 + 8 + 4  // broughtForward, donations, deposits, count, length of "a"
        #expect(purposes[first] == UInt8(ascii: "a"))
        purposes[first] = UInt8(ascii: "c")  // "c" then "b": out of order
        #expect(throws: ProjectionFault.self) { try purposes.withUnsafeBytes { _ = try FundDay(rowBytes: $0) } }

        // A day number beyond the years 1 to 9999 (a forged row would overflow the count
        // of enrolled days).
        for dayNumber in [LocalDate.earliest.dayNumber - 1, LocalDate.latest.dayNumber + 1, Int32.min, Int32.max] {
            var enrolment = Enrolment(memberId: "dv-1", cell: "Chi bộ 1", enrolledOn: LocalDate(dayNumber: 20_000))
            enrolment.leftOn = LocalDate(dayNumber: dayNumber)
            #expect(throws: ProjectionFault.self, "day \(dayNumber)") {
                try enrolment.rowBytes().withUnsafeBytes { _ = try Enrolment(rowBytes: $0) }
            }
        }
        let edge = Enrolment(memberId: "dv-1", cell: "Chi bộ 1", enrolledOn: .earliest)
        #expect(try edge.rowBytes().withUnsafeBytes { try Enrolment(rowBytes: $0) } == edge)
    }
}
