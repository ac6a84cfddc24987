import EventLog
import Foundation
import Ledger

/// What a query shows, as one value rendered once per format: a table for a terminal,
/// JSON and CSV for programs. The command line only picks the format and prints.
public protocol QueryView {
    func rendered(_ format: OutputFormat) throws -> String
    /// Its sheets in an Excel workbook, named in Vietnamese.
    func sheets() throws -> [(name: String, listing: Listing)]
}

extension Listing: QueryView {
    public func sheets() throws -> [(name: String, listing: Listing)] { [("Bảng", self)] }
}

/// A fund and its register (`ansinh fund show`): the table has a heading with the
/// balance and leaves out the recorder; JSON holds the fund and every entry.
public struct FundRegisterView: QueryView {
    public let fund: FundBalance
    public let register: [RegisterEntry]

    public init(fund: FundBalance, register: [RegisterEntry]) {
        self.fund = fund
        self.register = register
    }

    public func sheets() throws -> [(name: String, listing: Listing)] {
        [(fund.name, Listings.register(register)), ("Tổng hợp", try Listings.funds([fund]))]
    }

    public func rendered(_ format: OutputFormat) throws -> String {
        var listing = Listings.register(register)
        switch format {
        case .json:
            return JSONOut.object([("fund", try Listings.fund(fund)), ("register", listing.json)]).serialized() + "\n"
        case .csv:
            return listing.csv
        case .table:
            var text = "\(fund.name) (\(fund.fundId)), opened \(fund.openedOn)\n"
            text += "Balance \(fund.balance): opening \(fund.openingBalance) + received \(try fund.received)"
            text += " − disbursed \(try fund.disbursed.amount)\n\n"
            listing.columns.removeLast()
            listing.rows = listing.rows.map { Array($0.dropLast()) }
            return text + listing.table
        }
    }
}

/// A member's deposits with running totals (`ansinh member history`).
public struct MemberHistoryView: QueryView {
    public let history: MemberHistory

    public init(_ history: MemberHistory) { self.history = history }

    public func sheets() throws -> [(name: String, listing: Listing)] { [(history.member.memberId, Listings.history(history))] }

    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return Listings.history(json: history).serialized() + "\n"
        case .csv:
            return Listings.history(history).csv
        case .table:
            let member = history.member
            var text = "\(member.fullName.plainText ?? "") (\(member.memberId)), \(member.cell), enrolled \(member.enrolledOn)"
            text += member.leftOn.map { ", left \($0)" } ?? ""
            text += "\nTotal \(history.total) over \(history.depositDays) deposit days; covers \(history.daysCovered) days"
            text += history.lastDepositOn.map { "; last deposit \($0)" } ?? ""
            return text + "\n\n" + Listings.history(history).table
        }
    }
}

/// A piggy-bank model's summary (`ansinh piggybank summary`): CSV holds its cells.
public struct PiggyBankSummaryView: QueryView {
    public let summary: PiggyBankSummary

    public init(_ summary: PiggyBankSummary) { self.summary = summary }

    public func sheets() throws -> [(name: String, listing: Listing)] {
        [("Theo chi bộ", Listings.summaryCells(summary)), ("Chưa đạt", Listings.belowTarget(summary))]
    }

    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return Listings.summary(json: summary).serialized() + "\n"
        case .csv:
            return Listings.summaryCells(summary).csv
        case .table:
            return piggyBankText(summary) + "\nBy cell\n" + Listings.summaryCells(summary).table + "\nBelow target\n"
                + Listings.belowTarget(summary).table
        }
    }
}

/// The data subjects (`ansinh people`): JSON holds, for each, where they appear; the
/// table and CSV one line each, with how many entries name them.
public struct PeopleView: QueryView {
    public let people: [PersonListing]

    public init(_ people: [PersonListing]) { self.people = people }

    public func sheets() throws -> [(name: String, listing: Listing)] { [("Người", listing)] }

    public func rendered(_ format: OutputFormat) throws -> String {
        switch format {
        case .json:
            return JSONOut.array(people.map(Self.json)).serialized() + "\n"
        case .csv:
            return listing.csv
        case .table:
            return listing.table
        }
    }

    private var listing: Listing {
        var listing = Listing([
            ("subjectId", "Subject"), ("kind", "Kind"), ("name", "Name"), ("memberId", "Member"), ("area", "Cell / area"),
            ("entries", "Entries"), ("deposits", "Deposits"), ("lastEntryOn", "Last entry"), ("erasedOn", "Erased"),
        ])
        for person in people {
            listing.append([
                .text(person.subjectId), .text(person.role.rawValue), .text(person.shownName), .text(person.memberId),
                .text(person.area), .integer(Int64(person.appearances.count)), .integer(Int64(person.deposits)),
                .date(person.lastEntryOn), .date(person.erased?.erasedOn),
            ])
        }
        return listing
    }

    static func json(_ person: PersonListing) -> JSONOut {
        var members: [(String, JSONOut)] = [
            ("subjectId", .string(person.subjectId)), ("kind", .string(person.role.rawValue)),
            ("name", .text(person.name)), ("erased", .bool(person.erased != nil)),
        ]
        if let memberId = person.memberId { members.append(("memberId", .string(memberId))) }
        if let area = person.area { members.append(("area", .string(area))) }
        members.append((
            "appearances",
            .array(person.appearances.map { .object([("position", .integer(Int64($0.position))), ("type", .string($0.type)), ("on", .date($0.on))]) })
        ))
        if person.memberId != nil { members.append(("deposits", .integer(Int64(person.deposits)))) }
        members.append(("lastEntryOn", .date(person.lastEntryOn)))
        if let erased = person.erased {
            members.append((
                "erasure",
                .object([
                    ("position", .integer(Int64(erased.position))), ("erasedOn", .date(erased.erasedOn)), ("reason", .string(erased.reason)),
                    ("retentionOverridden", .bool(erased.retentionOverridden)),
                ])
            ))
        }
        return .object(members)
    }
}
