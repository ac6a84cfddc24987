import ArgumentParser
import EventLog
import Foundation
import Ledger

struct Funds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every fund's balance.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            let funds = try store.openLedger(readOnly: true).funds()
            var listing = Listing([
                ("fundId", "Fund"), ("name", "Name"), ("openingBalance", "Opening"), ("received", "Received"),
                ("pledged", "Pledged"), ("outstandingPledges", "Outstanding"), ("disbursed", "Disbursed"), ("balance", "Balance"),
            ])
            for fund in funds {
                listing.append([
                    .text(fund.fundId), .text(fund.name), .money(fund.openingBalance), .money(try fund.received),
                    .money(fund.pledged), .money(fund.outstandingPledges), .money(try fund.disbursed.amount), .money(fund.balance),
                ])
            }
            output.print(listing)
        }
    }
}

extension FundCommand {
    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "A fund's register: every entry with its date, counterpart, purpose, amount, running balance and recorder.")
        @Argument(help: "The fund's id.") var fundId: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger(readOnly: true)
                guard let fund = try ledger.fund(fundId), let register = try ledger.fundRegister(fundId) else {
                    throw Failure(message: "fund \(fundId) does not exist", status: ExitStatus.refused)
                }
                var listing = Listing([
                    ("position", "#"), ("date", "Date"), ("type", "Entry"), ("counterpart", "From / to"), ("purpose", "Purpose"),
                    ("quantity", "Qty"), ("amount", "Amount"), ("balance", "Balance"), ("recordedBy", "Recorded by"),
                    ("reference", "Reference"), ("eventId", "Event id"),
                ])
                for entry in register {
                    listing.append([
                        .integer(Int64(entry.position)), .date(entry.date), .text(entry.type), .text(entry.counterpart),
                        .text(entry.purpose?.rawValue), .integer(entry.quantity), .money(entry.amount), .money(entry.runningBalance),
                        .text(entry.recordedBy), .text(entry.reference), .text(entry.eventId.uuidString.lowercased()),
                    ])
                }
                switch output.format.value {
                case .json:
                    output.print(JSONOut.object([("fund", try fundJSON(fund)), ("register", listing.json)]).serialized() + "\n")
                case .csv:
                    output.print(listing.csv)
                case .table:
                    var text = "\(fund.name) (\(fund.fundId)), opened \(fund.openedOn)\n"
                    text += "Balance \(fund.balance): opening \(fund.openingBalance) + received \(try fund.received) − disbursed \(try fund.disbursed.amount)\n\n"
                    listing.columns.removeLast()
                    listing.rows = listing.rows.map { Array($0.dropLast()) }
                    output.print(text + listing.table)
                }
            }
        }
    }
}

func fundJSON(_ fund: FundBalance) throws -> JSONOut {
    .object([
        ("fundId", .string(fund.fundId)), ("name", .string(fund.name)), ("openedOn", .date(fund.openedOn)),
        ("purpose", .text(fund.purpose)), ("openingBalance", .money(fund.openingBalance)),
        ("donations", .object([("count", .integer(fund.donations.count)), ("amount", .money(fund.donations.amount))])),
        ("deposits", .object([("count", .integer(fund.deposits.count)), ("amount", .money(fund.deposits.amount))])),
        ("received", .money(try fund.received)), ("pledged", .money(fund.pledged)),
        ("outstandingPledges", .money(fund.outstandingPledges)),
        ("disbursedByPurpose", purposesJSON(fund.disbursedByPurpose)), ("disbursed", .money(try fund.disbursed.amount)),
        ("balance", .money(fund.balance)),
    ])
}

func purposesJSON(_ byPurpose: [String: PurposeTotals]) -> JSONOut {
    .object(
        Purpose.allCases.compactMap { purpose in
            guard let totals = byPurpose[purpose.rawValue] else { return nil }
            return (
                purpose.rawValue,
                .object([("count", .integer(totals.count)), ("quantity", .integer(totals.quantity)), ("amount", .money(totals.amount))])
            )
        })
}

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every party member.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            var listing = Listing([
                ("memberId", "Member"), ("fullName", "Full name"), ("cell", "Cell"), ("enrolledOn", "Enrolled"), ("leftOn", "Left"),
            ])
            for member in try store.openLedger(readOnly: true).members() {
                listing.append([.text(member.memberId), .text(member.fullName), .text(member.cell), .date(member.enrolledOn), .date(member.leftOn)])
            }
            output.print(listing)
        }
    }
}

extension MemberCommand {
    struct History: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "A member's deposits with running totals.")
        @Argument(help: "The member's id.") var memberId: String
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                guard let history = try store.openLedger(readOnly: true).memberHistory(memberId) else {
                    throw Failure(message: "member \(memberId) does not exist", status: ExitStatus.refused)
                }
                var listing = Listing([
                    ("position", "#"), ("depositedOn", "Date"), ("modelId", "Model"), ("amount", "Amount"),
                    ("runningTotal", "Running total"), ("reversed", "Reversed"),
                ])
                for deposit in history.deposits {
                    listing.append([
                        .integer(Int64(deposit.position)), .date(deposit.depositedOn), .text(deposit.modelId), .money(deposit.amount),
                        .money(deposit.runningTotal), .text(deposit.reversed ? "reversed" : nil),
                    ])
                }
                let member = history.member
                switch output.format.value {
                case .json:
                    output.print(
                        JSONOut.object([
                            ("memberId", .string(member.memberId)), ("fullName", .string(member.fullName)), ("cell", .string(member.cell)),
                            ("enrolledOn", .date(member.enrolledOn)), ("leftOn", .date(member.leftOn)), ("total", .money(history.total)),
                            ("depositDays", .integer(Int64(history.depositDays))), ("daysCovered", .integer(history.daysCovered)),
                            ("lastDepositOn", .date(history.lastDepositOn)), ("deposits", listing.json),
                        ]).serialized() + "\n")
                case .csv:
                    output.print(listing.csv)
                case .table:
                    var text = "\(member.fullName) (\(member.memberId)), \(member.cell), enrolled \(member.enrolledOn)"
                    text += member.leftOn.map { ", left \($0)" } ?? ""
                    text += "\nTotal \(history.total) over \(history.depositDays) deposit days; covers \(history.daysCovered) days"
                    text += history.lastDepositOn.map { "; last deposit \($0)" } ?? ""
                    output.print(text + "\n\n" + listing.table)
                }
            }
        }
    }
}

struct Cells: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every cell (chi bộ): members and what they deposited.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            var listing = Listing([
                ("cell", "Cell"), ("membersNow", "Members"), ("membersEver", "Ever"), ("deposits", "Deposits"), ("deposited", "Deposited"),
            ])
            for cell in try store.openLedger(readOnly: true).cells() {
                listing.append([
                    .text(cell.cell), .integer(Int64(cell.membersNow)), .integer(Int64(cell.membersEver)), .integer(cell.deposits.count),
                    .money(cell.deposits.amount),
                ])
            }
            output.print(listing)
        }
    }
}

extension PiggyBankCommand {
    struct Summary: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The piggy-bank model's summary: collected, expected at target, members below target, cells.")
        @Argument(help: "The model's id (default: the only model, or the latest to start).") var modelId: String?
        @Option(help: "Count expected savings up to this date (default: the model's last day).") var asOf: LocalDate?
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger(readOnly: true)
                let id = try modelId ?? ledger.models().max { ($0.startsOn, $0.modelId) < ($1.startsOn, $1.modelId) }?.modelId
                guard let id, let summary = try ledger.piggyBankSummary(id, asOf: asOf) else {
                    throw Failure(message: modelId.map { "piggy-bank model \($0) does not exist" } ?? "no piggy-bank model yet", status: ExitStatus.refused)
                }
                var members = Listing([
                    ("memberId", "Member"), ("fullName", "Full name"), ("cell", "Cell"), ("enrolledDays", "Days"),
                    ("expected", "Expected"), ("deposited", "Deposited"), ("shortfall", "Shortfall"),
                ])
                for row in summary.belowTarget {
                    members.append([
                        .text(row.member.memberId), .text(row.member.fullName), .text(row.member.cell), .integer(row.enrolledDays),
                        .money(row.expected), .money(row.deposited), .money(row.shortfall),
                    ])
                }
                var cells = Listing([
                    ("cell", "Cell"), ("members", "Members"), ("participating", "Saving"), ("collected", "Collected"),
                    ("expected", "Expected"), ("belowTarget", "Below"), ("shortfall", "Shortfall"),
                ])
                for cell in summary.cells {
                    cells.append([
                        .text(cell.cell), .integer(Int64(cell.members)), .integer(Int64(cell.participating)), .money(cell.collected),
                        .money(cell.expected), .integer(Int64(cell.belowTarget)), .money(cell.shortfall),
                    ])
                }
                switch output.format.value {
                case .json:
                    let model = summary.model
                    output.print(
                        JSONOut.object([
                            ("modelId", .string(model.modelId)), ("name", .string(model.name)), ("fundId", .string(model.fundId)),
                            ("startsOn", .date(model.startsOn)), ("endsOn", .date(model.endsOn)), ("closedOn", .date(model.closedOn)),
                            ("dailyTarget", .money(model.dailyTarget)), ("countedThrough", .date(summary.countedThrough)),
                            ("membersEnrolled", .integer(Int64(summary.membersEnrolled))),
                            ("membersParticipating", .integer(Int64(summary.membersParticipating))),
                            ("deposits", .integer(summary.depositCount)), ("collected", .money(summary.collected)),
                            ("expected", .money(summary.expected)), ("attainmentBasisPoints", .integer(summary.attainmentBasisPoints)),
                            ("fundBalance", .money(summary.fundBalance)), ("belowTarget", members.json), ("cells", cells.json),
                        ]).serialized() + "\n")
                case .csv:
                    output.print(cells.csv)
                case .table:
                    output.print(piggyBankText(summary) + "\nBy cell\n" + cells.table + "\nBelow target\n" + members.table)
                }
            }
        }
    }
}

struct Report: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The period report: per fund opening, received, paid out per purpose, closing; and external support.")
    @Option(help: "First day, YYYY-MM-DD.") var from: LocalDate
    @Option(help: "Last day, YYYY-MM-DD.") var to: LocalDate
    @Option(help: "en (a table) or vi (prose, as the ward reports).") var lang: String = "en"
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        guard ["en", "vi"].contains(lang) else { throw ValidationError("--lang is en or vi") }
        guard from <= to else { throw ValidationError("--from \(from) is after --to \(to)") }
    }

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger(readOnly: true)
            let report = try ledger.periodReport(from: from, to: to)
            var funds = Listing(
                [("fundId", "Fund"), ("name", "Name"), ("opening", "Opening"), ("received", "Received")]
                    + Purpose.allCases.map { ($0.rawValue, $0.rawValue) } + [("disbursed", "Disbursed"), ("closing", "Closing")])
            for fund in report.funds {
                funds.append(
                    [.text(fund.fundId), .text(fund.name), .money(fund.opening), .money(try fund.received)]
                        + Purpose.allCases.map { .money(fund.disbursedByPurpose[$0.rawValue]?.amount) }
                        + [.money(try fund.disbursed.amount), .money(fund.closing)])
            }
            var external = Listing([
                ("recordedOn", "Date"), ("organisation", "Organisation"), ("programme", "Programme"),
                ("beneficiaries", "Reached"), ("value", "Value"), ("description", "Description"),
            ])
            for support in report.externalSupport {
                external.append([
                    .date(support.recordedOn), .text(support.organisation), .text(support.programme), .integer(support.beneficiaries),
                    .money(support.value), .text(support.description),
                ])
            }
            switch (output.format.value, lang) {
            case (.json, _):
                output.print(try reportJSON(report, external: external).serialized() + "\n")
            case (.csv, _):
                output.print(funds.csv)
            case (.table, "vi"):
                output.print(vietnameseReport(report, ward: try ledger.log.setting("ward") ?? ""))
            case (.table, _):
                let shown = Listing.dropEmptyColumns(funds)
                output.print("Period \(report.from) to \(report.to)\n\n" + shown.table + "\nExternal support (not in any balance)\n" + external.table)
            }
        }
    }

    private func reportJSON(_ report: PeriodReport, external: Listing) throws -> JSONOut {
        .object([
            ("from", .date(report.from)), ("to", .date(report.to)),
            ("funds", .array(try report.funds.map { fund in
                .object([
                    ("fundId", .string(fund.fundId)), ("name", .string(fund.name)), ("opening", .money(fund.opening)),
                    ("donations", .object([("count", .integer(fund.donations.count)), ("amount", .money(fund.donations.amount))])),
                    ("deposits", .object([("count", .integer(fund.deposits.count)), ("amount", .money(fund.deposits.amount))])),
                    ("received", .money(try fund.received)), ("disbursedByPurpose", purposesJSON(fund.disbursedByPurpose)),
                    ("disbursed", .money(try fund.disbursed.amount)), ("closing", .money(fund.closing)),
                ])
            })),
            ("externalSupport", external.json),
            ("externalSupportValue", .money(try report.externalSupportValue)),
            ("externalSupportBeneficiaries", .integer(report.externalSupportBeneficiaries)),
        ])
    }
}

extension Listing {
    /// The listing without the columns that are empty in every row.
    static func dropEmptyColumns(_ listing: Listing) -> Listing {
        let kept = listing.columns.indices.filter { index in listing.rows.contains { !$0[index].display.isEmpty } }
        var result = Listing(kept.map { listing.columns[$0] })
        for row in listing.rows { result.append(kept.map { row[$0] }) }
        return result
    }
}
