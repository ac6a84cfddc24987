@testable import EventLog
import Foundation
import Ledger
import TestSupport

/// What the ledger answers about the demo, in the shape of `tools/demo/expected.json`:
/// one tree of figures per section, built only from the ledger's queries (funds, the
/// period report, registers, pledges, members and their histories, cells, piggy-bank
/// summaries, the log) after importing the demo files into an empty store.
///
/// A few figures are counted here from those answers where the ledger has no query of
/// their own (how many members joined during a model, the total of a fund's pledges
/// whatever their status, the external support grouped by organisation); each says so.
struct DemoAnswers {
    struct Unexpected: Error, CustomStringConvertible {
        let description: String
        init(_ description: String) { self.description = description }
    }

    /// The demo's event files, imported in this order, and where they live.
    static let files = [("nui-sam-2024.jsonl", "Sources/ansinh/Demo/nui-sam-2024.jsonl"),
                        ("piggybank-2024.jsonl", "Sources/ansinh/Demo/piggybank-2024.jsonl")]

    /// The sections of expected.json that hold the ledger's figures.
    static let sections = [
        "files", "events", "periodReport", "periodReportAfterOpening", "fundBalancesAtEnd", "pledges", "reversals", "cells",
        "memberHistories", "memberDeposits", "piggyBankModel", "piggyBankModelAsOf",
    ]

    let ledger: Ledger

    /// A store holding the demo, and what each import said.
    static func importDemo() throws -> (store: TemporaryLedger, imports: [(name: String, bytes: [UInt8], summary: ImportSummary)]) {
        let store = try TemporaryLedger()
        var imports: [(name: String, bytes: [UInt8], summary: ImportSummary)] = []
        for (name, path) in files {
            let bytes = Array(try Data(contentsOf: packageRoot.appendingPathComponent(path)))
            imports.append((name, bytes, try store.ledger.importLines(bytes, actor: "demo")))
        }
        return (store, imports)
    }

    /// Every section's answer. The inputs (a report's dates, the date of a summary, the
    /// members whose every row is listed) are read from `expected`.
    static func compute(expected: [String: Payload]) throws -> [String: Payload] {
        let (store, imports) = try importDemo()
        let answers = DemoAnswers(ledger: store.ledger)
        var result: [String: Payload] = [:]
        result["files"] = try answers.files(imports)
        result["events"] = try answers.events()
        for name in ["periodReport", "periodReportAfterOpening"] {
            let input = try fields(expected[name], name)
            let from = try inputDate(input["from"], name + ".from")
            result[name] = try answers.periodReport(from: from, to: try inputDate(input["to"], name + ".to"))
        }
        result["fundBalancesAtEnd"] = try answers.fundBalances()
        result["pledges"] = try answers.pledges()
        result["reversals"] = try answers.reversals()
        result["cells"] = try answers.cells()
        result["memberHistories"] = try answers.memberHistories()
        result["memberDeposits"] = try answers.memberDeposits(Array(try fields(expected["memberDeposits"], "memberDeposits").keys))
        result["piggyBankModel"] = try answers.piggyBankSummary(asOf: nil)
        let asOf = try fields(expected["piggyBankModelAsOf"], "piggyBankModelAsOf")["asOf"]
        result["piggyBankModelAsOf"] = try answers.piggyBankSummary(asOf: try inputDate(asOf, "piggyBankModelAsOf.asOf"))
        return result
    }

    // MARK: - Files and the log

    /// Per file: its lines (all recorded), its SHA-256, the funds it opens and its reversals.
    func files(_ imports: [(name: String, bytes: [UInt8], summary: ImportSummary)]) throws -> Payload {
        let events = try ledger.snapshot { try $0.log.events() }
        var files: [String: Payload] = [:]
        for (name, bytes, summary) in imports {
            guard let first = summary.firstPosition, let last = summary.lastPosition else { throw Unexpected("\(name) recorded nothing") }
            let range = first...last
            let own = events.filter { range.contains($0.position) }
            let funds = try own.filter { $0.type == EventType.fundOpened.rawValue }.map { event -> Payload in
                guard case .fundOpened(let opened) = try decode(event) else { throw Unexpected("FundOpened") }
                return .text(opened.fundId)
            }
            files[name] = .object([
                "lines": .integer(Int64(summary.recorded)),
                "sha256": .text(bytes.withUnsafeBytes { ChainHash.digest(of: $0) }.hex),
                "funds": .array(funds),
                "reversals": .integer(Int64(own.count { $0.type == EventType.entryReversed.rawValue })),
            ])
        }
        return .object(files)
    }

    func events() throws -> Payload {
        let byType = try ledger.eventCounts().map { ($0.key.rawValue, Payload.integer(Int64($0.value))) }
        return .object([
            "total": .integer(Int64(try ledger.head().position)), "byType": .object(Dictionary(uniqueKeysWithValues: byType)),
        ])
    }

    /// Every reversal in the log, with the entry it reverses.
    func reversals() throws -> Payload {
        try ledger.snapshot { snapshot in
            var reversals: [Payload] = []
            for event in try snapshot.log.events() where event.type == EventType.entryReversed.rawValue {
                guard case .entryReversed(let reversal) = try decode(event),
                    let original = try snapshot.log.event(id: reversal.reversesEventId)
                else { throw Unexpected("reversal at \(event.position)") }
                reversals.append(.object([
                    "position": .integer(Int64(event.position)), "eventId": .text(event.eventId.uuidString.lowercased()),
                    "stream": .text(event.stream), "reversedOn": date(reversal.reversedOn), "reason": .text(reversal.reason),
                    "reversesPosition": .integer(Int64(original.position)),
                    "reversesEventId": .text(original.eventId.uuidString.lowercased()), "reversesType": .text(original.type),
                    "reversesDate": date(try LedgerEvent.decode(original).businessDate),
                ]))
            }
            return .array(reversals)
        }
    }

    // MARK: - Funds

    func periodReport(from: LocalDate, to: LocalDate) throws -> Payload {
        let report = try ledger.periodReport(from: from, to: to)
        var funds: [String: Payload] = [:]
        for fund in report.funds {
            let opened = try ledger.fund(fund.fundId)?.openedOn
            funds[fund.fundId] = .object([
                "name": .text(fund.name), "openedOn": date(opened), "opening": money(fund.opening),
                "received": money(try fund.received), "receivedCount": .integer(fund.donations.count + fund.deposits.count),
                "donations": totals(fund.donations), "deposits": totals(fund.deposits),
                "disbursed": purposes(fund.disbursedByPurpose), "disbursedTotal": money(try fund.disbursed.amount),
                "closing": money(fund.closing),
            ])
        }
        return .object([
            "from": date(report.from), "to": date(report.to), "isClosed": .bool(report.isClosed), "funds": .object(funds),
            "externalSupport": try externalSupport(report),
        ])
    }

    /// The external support of a report; grouped by organisation here, from its lines.
    private func externalSupport(_ report: PeriodReport) throws -> Payload {
        var byOrganisation: [String: (count: Int64, beneficiaries: Int64, value: VND)] = [:]
        for line in report.externalSupport {
            var group = byOrganisation[line.support.organisation] ?? (0, 0, .zero)
            group.count += line.isReversal ? -1 : 1
            group.beneficiaries += line.signedBeneficiaries
            group.value = try group.value.adding(line.signedValue)
            byOrganisation[line.support.organisation] = group
        }
        let records = report.externalSupport.enumerated().filter { !$0.element.isReversal }.sorted { left, right in
            let (one, other) = (left.element.support, right.element.support)
            return (one.recordedOn, one.organisation, one.programme, left.offset)
                < (other.recordedOn, other.organisation, other.programme, right.offset)
        }
        return .object([
            "count": .integer(report.externalSupport.reduce(0) { $0 + ($1.isReversal ? -1 : 1) }),
            "beneficiaries": .integer(report.externalSupportBeneficiaries), "value": money(try report.externalSupportValue),
            "byOrganisation": .object(byOrganisation.mapValues { group in
                .object(["count": .integer(group.count), "beneficiaries": .integer(group.beneficiaries), "value": money(group.value)])
            }),
            "records": .array(records.map { record in
                let support = record.element.support
                var fields: [String: Payload] = [
                    "organisation": .text(support.organisation), "programme": .text(support.programme),
                    "description": .text(support.description), "beneficiaries": .integer(support.beneficiaries),
                    "value": money(support.value), "recordedOn": date(support.recordedOn),
                ]
                if let source = support.source { fields["source"] = .text(source) }
                return .object(fields)
            }),
        ])
    }

    /// Every fund's balance sheet and register; `pledgedIncludingCancelled` is added up
    /// here from the fund's pledges.
    func fundBalances() throws -> Payload {
        let pledges = try ledger.pledges()
        var funds: [String: Payload] = [:]
        for fund in try ledger.funds() {
            let own = pledges.filter { $0.fundId == fund.fundId }
            funds[fund.fundId] = .object([
                "name": .text(fund.name), "openedOn": date(fund.openedOn), "opening": money(fund.openingBalance),
                "received": money(try fund.received), "donations": totals(fund.donations), "deposits": totals(fund.deposits),
                "pledged": money(fund.pledged), "pledgedIncludingCancelled": money(try own.map(\.amount).sum()),
                "outstandingPledges": money(fund.outstandingPledges), "disbursed": purposes(fund.disbursedByPurpose),
                "disbursedTotal": money(try fund.disbursed.amount), "balance": money(fund.balance),
                "register": try register(fund.fundId),
            ])
        }
        return .object(funds)
    }

    /// The register's length, closing and lowest balance, and its rows of corrections:
    /// reversals and the entries they reverse.
    private func register(_ fundId: String) throws -> Payload {
        guard let entries = try ledger.fundRegister(fundId) else { throw Unexpected("no register for \(fundId)") }
        let reversed = Set(entries.compactMap(\.reversesPosition))
        let corrections = entries.filter { $0.reversesPosition != nil || reversed.contains($0.position) }.map { entry -> Payload in
            .object([
                "position": .integer(Int64(entry.position)), "date": date(entry.date), "type": .text(entry.type),
                "amount": money(entry.amount), "reversesPosition": entry.reversesPosition.map { .integer(Int64($0)) } ?? .null,
                "runningBalance": money(entry.runningBalance),
            ])
        }
        return .object([
            "entries": .integer(Int64(entries.count)), "closingBalance": money(entries.last?.runningBalance ?? .zero),
            "lowestRunningBalance": .integer(min(0, entries.map(\.runningBalance.dong).min() ?? 0)),
            "corrections": .array(corrections),
        ])
    }

    /// Every pledge; its status is read from its record.
    func pledges() throws -> Payload {
        var pledges: [String: Payload] = [:]
        for pledge in try ledger.pledges() {
            let status =
                pledge.cancelledOn != nil
                ? "cancelled" : pledge.voided ? "reversed" : pledge.received >= pledge.amount ? "met" : "outstanding"
            pledges[pledge.pledgeId] = .object([
                "fundId": .text(pledge.fundId),
                "donor": .object(["name": .text(pledge.donor.name.plainText ?? ""), "kind": .text(pledge.donor.kind.rawValue)]),
                "amount": money(pledge.amount), "pledgedOn": date(pledge.pledgedOn), "dueOn": date(pledge.dueOn),
                "received": money(pledge.received), "donations": .integer(pledge.donationCount), "cancelledOn": date(pledge.cancelledOn),
                "reversed": .bool(pledge.voided), "status": .text(status), "outstanding": money(pledge.outstanding),
                "surplus": money(pledge.surplus),
            ])
        }
        return .object(pledges)
    }

    // MARK: - Members and the piggy bank

    func cells() throws -> Payload {
        .object(Dictionary(uniqueKeysWithValues: try ledger.cells().map { cell in
            (cell.cell, Payload.object([
                "membersNow": .integer(Int64(cell.membersNow)), "membersEver": .integer(Int64(cell.membersEver)),
                "deposits": .integer(cell.deposits.count), "deposited": money(cell.deposits.amount),
            ]))
        }))
    }

    func memberHistories() throws -> Payload {
        var histories: [String: Payload] = [:]
        for member in try ledger.members() {
            guard let history = try ledger.memberHistory(member.memberId) else { throw Unexpected("no history for \(member.memberId)") }
            histories[member.memberId] = .object([
                "fullName": .text(member.fullName.plainText ?? ""), "cell": .text(member.cell), "enrolledOn": date(member.enrolledOn),
                "leftOn": date(member.leftOn), "total": money(history.total), "depositDays": .integer(Int64(history.depositDays)),
                "daysCovered": .integer(history.daysCovered), "lastDepositOn": date(history.lastDepositOn),
                "rowCount": .integer(Int64(history.deposits.count)),
            ])
        }
        return .object(histories)
    }

    /// Every row of the histories of `memberIds`.
    func memberDeposits(_ memberIds: [String]) throws -> Payload {
        var histories: [String: Payload] = [:]
        for memberId in memberIds {
            guard let history = try ledger.memberHistory(memberId) else { throw Unexpected("no history for \(memberId)") }
            histories[memberId] = .array(history.deposits.map { row in
                .object([
                    "position": .integer(Int64(row.position)), "depositedOn": date(row.depositedOn), "amount": money(row.amount),
                    "reversed": .bool(row.reversed), "reversesPosition": row.reversesPosition.map { .integer(Int64($0)) } ?? .null,
                    "runningTotal": money(row.runningTotal),
                ])
            })
        }
        return .object(histories)
    }

    /// The model's summary. Who joined or left during the model, and who never
    /// deposited, are counted here from the member records and histories.
    func piggyBankSummary(asOf: LocalDate?) throws -> Payload {
        guard let modelId = try ledger.models().first?.modelId, let summary = try ledger.piggyBankSummary(modelId, asOf: asOf) else {
            throw Unexpected("no piggy-bank model")
        }
        let model = summary.model
        var counted: [MemberRecord] = []  // the members the summary counts: enrolled in the period, or saving
        for member in try ledger.members() {
            let rows = try ledger.memberHistory(member.memberId)?.deposits.filter { row in
                row.modelId == modelId && (asOf.map { row.depositedOn <= $0 } ?? true)
            } ?? []
            let deposits = rows.reduce(0) { $0 + ($1.reversesPosition == nil ? 1 : -1) }
            if member.enrolledDays(from: model.startsOn, through: summary.countedThrough) > 0 || deposits > 0 { counted.append(member) }
        }
        let shortfall = try summary.belowTarget.map(\.shortfall).sum()
        let points = summary.attainmentBasisPoints
        return .object([
            "modelId": .text(model.modelId), "name": .text(model.name), "fundId": .text(model.fundId), "startsOn": date(model.startsOn),
            "endsOn": date(model.endsOn), "closedOn": date(model.closedOn), "dailyTarget": money(model.dailyTarget), "asOf": date(asOf),
            "countedThrough": date(summary.countedThrough), "periodDays": .integer(Int64(model.startsOn.distance(to: model.endsOn) + 1)),
            "membersEnrolled": .integer(Int64(summary.membersEnrolled)),
            "membersEnrolledBeforeStart": .integer(Int64(counted.count { $0.enrolledOn < model.startsOn })),
            "membersJoinedDuringPeriod": .integer(Int64(counted.count { $0.enrolledOn >= model.startsOn })),
            "membersLeftDuringPeriod": .integer(Int64(counted.count { $0.leftOn.map { $0 <= summary.countedThrough } ?? false })),
            "membersParticipating": .integer(Int64(summary.membersParticipating)),
            "membersNeverDeposited": .integer(Int64(summary.membersEnrolled - summary.membersParticipating)),
            "deposits": .integer(summary.depositCount), "totalCollected": money(summary.collected),
            "expectedAtTarget": money(summary.expected), "attainmentBasisPoints": .integer(points),
            "attainmentPercent": .text("\(points / 100).\(String(format: "%02d", points % 100))"),
            "membersAtOrAboveTarget": .integer(Int64(summary.membersEnrolled - summary.belowTarget.count)),
            "membersBelowTarget": .integer(Int64(summary.belowTarget.count)), "totalShortfall": money(shortfall),
            "belowTarget": .array(summary.belowTarget.map { row in
                .object([
                    "memberId": .text(row.member.memberId), "fullName": .text(row.member.fullName.plainText ?? ""), "cell": .text(row.member.cell),
                    "enrolledDays": .integer(row.enrolledDays), "expected": money(row.expected), "deposited": money(row.deposited),
                    "shortfall": money(row.shortfall),
                ])
            }),
            "perCell": .object(Dictionary(uniqueKeysWithValues: summary.cells.map { cell in
                (cell.cell, Payload.object([
                    "members": .integer(Int64(cell.members)), "participating": .integer(Int64(cell.participating)),
                    "deposits": .integer(cell.deposits), "collected": money(cell.collected), "expected": money(cell.expected),
                    "belowTarget": .integer(Int64(cell.belowTarget)), "shortfall": money(cell.shortfall),
                ]))
            })),
            "fundBalance": money(summary.fundBalance),
        ])
    }
}

// MARK: - Figures as JSON values

private func money(_ amount: VND) -> Payload { .integer(amount.dong) }

private func date(_ date: LocalDate?) -> Payload { date.map { .text($0.description) } ?? .null }

private func totals(_ totals: MoneyTotals) -> Payload { .object(["count": .integer(totals.count), "amount": money(totals.amount)]) }

private func purposes(_ byPurpose: [String: PurposeTotals]) -> Payload {
    .object(byPurpose.mapValues { .object(["count": .integer($0.count), "quantity": .integer($0.quantity), "amount": money($0.amount)]) })
}

private func decode(_ event: RecordedEvent) throws -> LedgerEvent {
    let data = try event.data.withUnsafeBytes { try Payload(canonicalBytes: $0) }
    return try LedgerEvent.decode(typeName: event.type, schemaVersion: event.schemaVersion, data: data)
}

private func fields(_ section: Payload?, _ name: String) throws -> [String: Payload] {
    guard case .object(let fields)? = section else { throw DemoAnswers.Unexpected("expected.json has no object \(name)") }
    return fields
}

private func inputDate(_ value: Payload?, _ name: String) throws -> LocalDate {
    guard case .text(let text)? = value, let date = LocalDate(text) else {
        throw DemoAnswers.Unexpected("expected.json has no date \(name)")
    }
    return date
}
