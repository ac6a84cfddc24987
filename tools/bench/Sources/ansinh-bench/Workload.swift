import EventLog
import Foundation
import Ledger

/// A generated but realistic ward history of a given length: members enrolled in
/// cells, a deposit per member per day into the year's piggy-bank model, donations
/// (some against pledges), disbursements by purpose that never overdraw, and a few
/// reversals. Deterministic: the same length gives the same events and ids.
struct Workload {
    let commands: [LedgerCommand]

    init(eventCount: Int) {
        var random = SplitMix(seed: 2024)
        var commands: [LedgerCommand] = []
        commands.reserveCapacity(eventCount)
        var counter: UInt64 = 0
        func add(_ event: LedgerEvent) {
            counter += 1
            commands.append(LedgerCommand(event, eventId: UUID(uuid: uuidBytes(counter))))
        }
        let start = LocalDate("2000-01-01")!
        let funds = ["vi-nguoi-ngheo", "den-on-dap-nghia", "khuyen-hoc", "an-sinh-dang-bo"]
        for fund in funds {
            add(.fundOpened(FundOpened(fundId: fund, name: "Quỹ \(fund)", openedOn: start, openingBalance: VND(1_000_000))))
        }
        let memberCount = max(100, eventCount / 400)
        let cells = (1...max(4, memberCount / 60)).map { "Chi bộ khóm số \($0)" }
        for index in 0..<memberCount {
            add(.memberEnrolled(MemberEnrolled(
                memberId: String(format: "dv-%06d", index), fullName: "Đảng viên Nguyễn Văn \(index)",
                cell: cells[index % cells.count], enrolledOn: start)))
        }
        var balances = Dictionary(uniqueKeysWithValues: funds.map { ($0, Int64(1_000_000)) })
        var donations: [(id: UUID, fund: String, amount: Int64)] = []
        var reversed = Set<UUID>()
        var day = start
        var year = 0
        var pledgeCount = 0
        let purposes: [Purpose] = [.gift, .healthInsurance, .housing, .scholarship, .livelihood]
        while commands.count < eventCount {
            let modelId = "ong-heo-\(2000 + year)"
            add(.piggyBankModelStarted(PiggyBankModelStarted(
                modelId: modelId, name: "Ống heo \(2000 + year)", fundId: "an-sinh-dang-bo",
                startsOn: LocalDate(year: 2000 + year, month: 1, day: 1)!, endsOn: LocalDate(year: 2000 + year, month: 12, day: 31)!)))
            while day.components.year == 2000 + year, commands.count < eventCount {
                for member in 0..<memberCount where commands.count < eventCount {
                    let amount = Int64(1_000 * (1 + random.next(below: 5)))
                    add(.piggyBankDeposited(PiggyBankDeposited(
                        modelId: modelId, memberId: String(format: "dv-%06d", member), amount: VND(amount), depositedOn: day)))
                    balances["an-sinh-dang-bo"]! += amount
                    if commands.count % 50 == 0 {
                        let fund = funds[random.next(below: 3)]
                        var pledgeId: String?
                        if commands.count % 1_000 == 0 {
                            pledgeCount += 1
                            pledgeId = "p-\(pledgeCount)"
                            add(.pledgeMade(PledgeMade(
                                pledgeId: pledgeId!, fundId: fund, donor: Donor(name: "Công ty số \(pledgeCount)", kind: .business),
                                amount: VND(5_000_000), pledgedOn: day)))
                        }
                        let gift = Int64(100_000 * (1 + random.next(below: 50)))
                        add(.donationReceived(DonationReceived(
                            fundId: fund, donor: Donor(name: "Nhà hảo tâm \(commands.count)", kind: .individual), amount: VND(gift),
                            receivedOn: day, pledgeId: pledgeId)))
                        balances[fund]! += gift
                        donations.append((commands.last!.eventId!, fund, gift))
                    }
                    if commands.count % 200 == 0 {
                        let fund = funds[random.next(below: 4)]
                        let amount = min(balances[fund]! / 4, Int64(500_000 * (1 + random.next(below: 10))))
                        if amount > 0 {
                            add(.disbursementMade(DisbursementMade(
                                disbursementId: "d-\(commands.count)", fundId: fund, purpose: purposes[random.next(below: purposes.count)],
                                beneficiary: Beneficiary(name: "Hộ nghèo số \(commands.count)", kind: .poorHousehold), amount: VND(amount),
                                quantity: Int64(1 + random.next(below: 20)), disbursedOn: day)))
                            balances[fund]! -= amount
                        }
                    }
                    if commands.count % 5_000 == 0, let donation = donations.last, !reversed.contains(donation.id),
                        balances[donation.fund]! >= donation.amount
                    {
                        add(.entryReversed(EntryReversed(reversesEventId: donation.id, reversedOn: day, reason: "nhập nhầm")))
                        balances[donation.fund]! -= donation.amount
                        reversed.insert(donation.id)
                    }
                }
                day = day.advanced(by: 1)
            }
            year += 1
        }
        self.commands = commands
    }

    /// The history as an import file, one JSON line an event.
    func jsonLines(_ range: Range<Int>) -> [UInt8] {
        var bytes: [UInt8] = []
        bytes.reserveCapacity(range.count * 220)
        for command in commands[range] {
            let line = #"{"type":"\#(command.event.type.rawValue)","eventId":"\#(command.eventId!.uuidString.lowercased())","data":"#
                + command.event.payload().jsonText + "}\n"
            bytes.append(contentsOf: line.utf8)
        }
        return bytes
    }
}

func uuidBytes(_ counter: UInt64) -> uuid_t {
    var bytes = [UInt8](repeating: 0, count: 16)
    withUnsafeBytes(of: counter.bigEndian) { for (index, byte) in $0.enumerated() { bytes[8 + index] = byte } }
    bytes[6] = 0x40  // version 4 layout, so every tool reads it as a UUID
    bytes[8] = (bytes[8] & 0x3f) | 0x80
    bytes[0] = 0xa5
    return (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
            bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
}

/// A small deterministic generator (SplitMix64).
struct SplitMix {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var mixed = state
        mixed = (mixed ^ (mixed >> 30)) &* 0xBF58_476D_1CE4_E5B9
        mixed = (mixed ^ (mixed >> 27)) &* 0x94D0_49BB_1331_11EB
        return mixed ^ (mixed >> 31)
    }
    mutating func next(below bound: Int) -> Int { Int(next() % UInt64(bound)) }
}
