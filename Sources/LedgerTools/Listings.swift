import EventLog
import Foundation
import Ledger

/// The projections as listings and JSON: one form for the command line's queries
/// and the exports, so both print the same thing.
public enum Listings {
    public static func funds(_ funds: [FundBalance]) throws -> Listing {
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
        return listing
    }

    public static func fund(_ fund: FundBalance) throws -> JSONOut {
        .object([
            ("fundId", .string(fund.fundId)), ("name", .string(fund.name)), ("openedOn", .date(fund.openedOn)),
            ("purpose", .text(fund.purpose)), ("openingBalance", .money(fund.openingBalance)),
            ("donations", .object([("count", .integer(fund.donations.count)), ("amount", .money(fund.donations.amount))])),
            ("deposits", .object([("count", .integer(fund.deposits.count)), ("amount", .money(fund.deposits.amount))])),
            ("received", .money(try fund.received)), ("pledged", .money(fund.pledged)),
            ("outstandingPledges", .money(fund.outstandingPledges)),
            ("disbursedByPurpose", purposes(fund.disbursedByPurpose)), ("disbursed", .money(try fund.disbursed.amount)),
            ("balance", .money(fund.balance)),
        ])
    }

    public static func purposes(_ byPurpose: [String: PurposeTotals]) -> JSONOut {
        .object(
            Purpose.allCases.compactMap { purpose in
                guard let totals = byPurpose[purpose.rawValue] else { return nil }
                return (
                    purpose.rawValue,
                    .object([("count", .integer(totals.count)), ("quantity", .integer(totals.quantity)), ("amount", .money(totals.amount))])
                )
            })
    }

    public static func register(_ register: [RegisterEntry]) -> Listing {
        var listing = Listing([
            ("position", "#"), ("date", "Date"), ("type", "Entry"), ("counterpart", "From / to"), ("purpose", "Purpose"),
            ("quantity", "Qty"), ("amount", "Amount"), ("balance", "Balance"), ("recordedBy", "Recorded by"),
            ("reference", "Reference"), ("eventId", "Event id"),
        ])
        for entry in register {
            listing.append([
                .ordinal(Int64(entry.position)), .date(entry.date), .text(entry.type), .text(entry.counterpart),
                .text(entry.purpose?.rawValue), .integer(entry.quantity), .money(entry.amount), .money(entry.runningBalance),
                .text(entry.recordedBy), .text(entry.reference), .text(entry.eventId.uuidString.lowercased()),
            ])
        }
        return listing
    }

    public static func members(_ members: [MemberRecord]) -> Listing {
        var listing = Listing([
            ("memberId", "Member"), ("fullName", "Full name"), ("cell", "Cell"), ("enrolledOn", "Enrolled"), ("leftOn", "Left"),
        ])
        for member in members {
            listing.append([.text(member.memberId), .text(member.fullName.plainText), .text(member.cell), .date(member.enrolledOn), .date(member.leftOn)])
        }
        return listing
    }

    public static func pledges(_ pledges: [PledgeRecord]) -> Listing {
        var listing = Listing([
            ("pledgeId", "Pledge"), ("fundId", "Fund"), ("donor", "Donor"), ("donorKind", "Kind"), ("pledgedOn", "Pledged on"),
            ("dueOn", "Due"), ("amount", "Amount"), ("received", "Received"), ("outstanding", "Outstanding"), ("surplus", "Surplus"),
            ("cancelledOn", "Cancelled"), ("reversed", "Reversed"),
        ])
        for pledge in pledges {
            listing.append([
                .text(pledge.pledgeId), .text(pledge.fundId), .text(pledge.donor.name.plainText), .text(pledge.donor.kind.rawValue),
                .date(pledge.pledgedOn), .date(pledge.dueOn), .money(pledge.amount), .money(pledge.received),
                .money(pledge.outstanding), .money(pledge.surplus), .date(pledge.cancelledOn), .text(pledge.voided ? "reversed" : nil),
            ])
        }
        return listing
    }

    public static func history(_ history: MemberHistory) -> Listing {
        var listing = Listing([
            ("position", "#"), ("depositedOn", "Date"), ("modelId", "Model"), ("amount", "Amount"),
            ("runningTotal", "Running total"), ("reversed", "Reversed"), ("reversesPosition", "Reverses"),
        ])
        for deposit in history.deposits {
            listing.append([
                .ordinal(Int64(deposit.position)), .date(deposit.depositedOn), .text(deposit.modelId), .money(deposit.amount),
                .money(deposit.runningTotal), .text(deposit.reversed ? "reversed" : nil), .ordinal(deposit.reversesPosition.map(Int64.init)),
            ])
        }
        return listing
    }

    public static func history(json history: MemberHistory) -> JSONOut {
        let member = history.member
        return .object([
            ("memberId", .string(member.memberId)), ("fullName", .string(member.fullName.plainText ?? "")), ("cell", .string(member.cell)),
            ("enrolledOn", .date(member.enrolledOn)), ("leftOn", .date(member.leftOn)), ("total", .money(history.total)),
            ("depositDays", .integer(Int64(history.depositDays))), ("daysCovered", .integer(history.daysCovered)),
            ("lastDepositOn", .date(history.lastDepositOn)), ("deposits", Self.history(history).json),
        ])
    }

    /// Every deposit of every member, with running totals: the member histories in one table.
    public static func deposits(_ histories: [MemberHistory]) -> Listing {
        var listing = Listing([
            ("memberId", "Member"), ("position", "#"), ("depositedOn", "Date"), ("modelId", "Model"), ("amount", "Amount"),
            ("runningTotal", "Running total"), ("reversed", "Reversed"), ("reversesPosition", "Reverses"),
        ])
        for history in histories {
            for deposit in history.deposits {
                listing.append([
                    .text(history.member.memberId), .ordinal(Int64(deposit.position)), .date(deposit.depositedOn), .text(deposit.modelId),
                    .money(deposit.amount), .money(deposit.runningTotal), .text(deposit.reversed ? "reversed" : nil),
                    .ordinal(deposit.reversesPosition.map(Int64.init)),
                ])
            }
        }
        return listing
    }

    public static func cells(_ cells: [CellSummary]) -> Listing {
        var listing = Listing([
            ("cell", "Cell"), ("membersNow", "Members"), ("membersEver", "Ever"), ("deposits", "Deposits"), ("deposited", "Deposited"),
        ])
        for cell in cells {
            listing.append([
                .text(cell.cell), .integer(Int64(cell.membersNow)), .integer(Int64(cell.membersEver)), .integer(cell.deposits.count),
                .money(cell.deposits.amount),
            ])
        }
        return listing
    }

    public static func belowTarget(_ summary: PiggyBankSummary) -> Listing {
        var listing = Listing([
            ("memberId", "Member"), ("fullName", "Full name"), ("cell", "Cell"), ("enrolledDays", "Days"),
            ("expected", "Expected"), ("deposited", "Deposited"), ("shortfall", "Shortfall"),
        ])
        for row in summary.belowTarget {
            listing.append([
                .text(row.member.memberId), .text(row.member.fullName.plainText), .text(row.member.cell), .integer(row.enrolledDays),
                .money(row.expected), .money(row.deposited), .money(row.shortfall),
            ])
        }
        return listing
    }

    public static func summaryCells(_ summary: PiggyBankSummary) -> Listing {
        var listing = Listing([
            ("cell", "Cell"), ("members", "Members"), ("participating", "Saving"), ("collected", "Collected"),
            ("expected", "Expected"), ("belowTarget", "Below"), ("shortfall", "Shortfall"),
        ])
        for cell in summary.cells {
            listing.append([
                .text(cell.cell), .integer(Int64(cell.members)), .integer(Int64(cell.participating)), .money(cell.collected),
                .money(cell.expected), .integer(Int64(cell.belowTarget)), .money(cell.shortfall),
            ])
        }
        return listing
    }

    public static func summary(json summary: PiggyBankSummary) -> JSONOut {
        let model = summary.model
        return .object([
            ("modelId", .string(model.modelId)), ("name", .string(model.name)), ("fundId", .string(model.fundId)),
            ("startsOn", .date(model.startsOn)), ("endsOn", .date(model.endsOn)), ("closedOn", .date(model.closedOn)),
            ("dailyTarget", .money(model.dailyTarget)), ("countedThrough", .date(summary.countedThrough)),
            ("membersEnrolled", .integer(Int64(summary.membersEnrolled))),
            ("membersParticipating", .integer(Int64(summary.membersParticipating))),
            ("deposits", .integer(summary.depositCount)), ("collected", .money(summary.collected)),
            ("expected", .money(summary.expected)), ("attainmentBasisPoints", .integer(summary.attainmentBasisPoints)),
            ("fundBalance", .money(summary.fundBalance)), ("belowTarget", belowTarget(summary).json),
            ("cells", summaryCells(summary).json),
        ])
    }

    public static func reportFunds(_ report: PeriodReport) throws -> Listing {
        var funds = Listing(
            [("fundId", "Fund"), ("name", "Name"), ("opening", "Opening"), ("received", "Received")]
                + Purpose.allCases.map { ($0.rawValue, $0.rawValue) } + [("disbursed", "Disbursed"), ("closing", "Closing")])
        for fund in report.funds {
            funds.append(
                [.text(fund.fundId), .text(fund.name), .money(fund.opening), .money(try fund.received)]
                    + Purpose.allCases.map { .money(fund.disbursedByPurpose[$0.rawValue]?.amount) }
                    + [.money(try fund.disbursed.amount), .money(fund.closing)])
        }
        return funds
    }

    /// The external support of a period: records on their dates, and reversals on theirs
    /// with what they take away (negative).
    /// In the public view a reversal's free-text reason is left out: it may name people.
    public static func externalSupport(_ report: PeriodReport, view: NameView = .internal) -> Listing {
        var external = Listing([
            ("recordedOn", "Date"), ("organisation", "Organisation"), ("programme", "Programme"),
            ("beneficiaries", "Reached"), ("value", "Value"), ("description", "Description"), ("reverses", "Reverses"),
        ])
        for line in report.externalSupport {
            let support = line.support
            external.append([
                .date(line.date), .text(support.organisation), .text(support.programme), .integer(line.signedBeneficiaries),
                .money(line.signedValue), .text(support.description),
                .text(
                    !line.isReversal ? nil
                        : view == .public ? "the record of \(support.recordedOn)"
                        : "the record of \(support.recordedOn): \(line.reversalReason ?? "")"),
            ])
        }
        return external
    }

    /// The closes of the books (khoá sổ), oldest first.
    public static func periods(_ periods: [PeriodRecord]) -> Listing {
        var listing = Listing([
            ("through", "Closed through"), ("decision", "Decision"), ("position", "#"), ("eventId", "Event id"),
        ])
        for period in periods {
            listing.append([.date(period.through), .text(period.decision), .ordinal(Int64(period.position)), .text(period.eventId)])
        }
        return listing
    }

    /// The figures one close carries: each fund's balance and each model's collected savings.
    public static func periodFigures(_ period: PeriodRecord, funds: [FundBalance]) -> Listing {
        var listing = Listing([("kind", "At \(period.through)"), ("id", "Id"), ("name", "Name"), ("amount", "Amount")])
        for figure in period.funds {
            let name = funds.first { $0.fundId == figure.fundId }?.name
            listing.append([.text("fund balance"), .text(figure.fundId), .text(name), .money(figure.balance)])
        }
        for figure in period.models {
            listing.append([.text("piggy-bank collected"), .text(figure.modelId), .text(nil), .money(figure.collected)])
        }
        return listing
    }

    /// The closes of the books with the figures each carries.
    public static func periods(json periods: [PeriodRecord]) -> JSONOut {
        .array(periods.map { period in
            .object([
                ("through", .date(period.through)), ("decision", .string(period.decision)),
                ("position", .integer(Int64(period.position))), ("eventId", .string(period.eventId)),
                ("funds", .array(period.funds.map { .object([("fundId", .string($0.fundId)), ("balance", .money($0.balance))]) })),
                ("models", .array(period.models.map { .object([("modelId", .string($0.modelId)), ("collected", .money($0.collected))]) })),
            ])
        })
    }

    public static func report(json report: PeriodReport, view: NameView = .internal) throws -> JSONOut {
        .object([
            ("from", .date(report.from)), ("to", .date(report.to)),
            ("funds", .array(try report.funds.map { fund in
                .object([
                    ("fundId", .string(fund.fundId)), ("name", .string(fund.name)), ("opening", .money(fund.opening)),
                    ("donations", .object([("count", .integer(fund.donations.count)), ("amount", .money(fund.donations.amount))])),
                    ("deposits", .object([("count", .integer(fund.deposits.count)), ("amount", .money(fund.deposits.amount))])),
                    ("received", .money(try fund.received)), ("disbursedByPurpose", purposes(fund.disbursedByPurpose)),
                    ("disbursed", .money(try fund.disbursed.amount)), ("closing", .money(fund.closing)),
                ])
            })),
            ("externalSupport", externalSupport(report, view: view).json),
            ("externalSupportValue", .money(try report.externalSupportValue)),
            ("externalSupportBeneficiaries", .integer(report.externalSupportBeneficiaries)),
            ("closedThrough", .date(report.closedPeriods.last?.through)), ("isClosed", .bool(report.isClosed)),
        ])
    }
}

extension Listing {
    /// The listing without the columns that are empty in every row.
    public func droppingEmptyColumns() -> Listing {
        let kept = columns.indices.filter { index in rows.contains { !$0[index].display.isEmpty } }
        var result = Listing(kept.map { columns[$0] })
        for row in rows { result.append(kept.map { row[$0] }) }
        return result
    }
}
