import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Funds: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every fund's balance.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            output.print(try Listings.funds(try store.openLedger(readOnly: true).funds()))
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
                let found = try ledger.snapshot { snapshot in
                    try snapshot.fund(fundId).flatMap { fund in try snapshot.fundRegister(fundId).map { (fund, $0) } }
                }
                guard let (fund, register) = found else {
                    throw Failure(message: "fund \(fundId) does not exist", status: ExitStatus.refused)
                }
                try output.print(FundRegisterView(fund: fund, register: register))
            }
        }
    }
}

struct Members: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Every party member.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            output.print(Listings.members(try store.openLedger(readOnly: true).members()))
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
                try output.print(MemberHistoryView(history))
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
            output.print(Listings.cells(try store.openLedger(readOnly: true).cells()))
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
                    throw Failure(
                        message: modelId.map { "piggy-bank model \($0) does not exist" } ?? "no piggy-bank model yet",
                        status: ExitStatus.refused)
                }
                try output.print(PiggyBankSummaryView(summary))
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
            if output.format.isWorkbook, let out = output.out {
                return try output.writeWorkbook(
                    [("Các quỹ", try Listings.reportFunds(report)), ("Hỗ trợ ngoài quỹ", Listings.externalSupport(report))], to: out)
            }
            switch (output.format.value, lang) {
            case (.json, _):
                output.print(try Listings.report(json: report).serialized() + "\n")
            case (.csv, _):
                output.print(try Listings.reportFunds(report).csv)
            case (.table, "vi"):
                output.print(vietnameseReport(report, ward: try ledger.ward() ?? ""))
            case (.table, _):
                output.print(
                    "Period \(report.from) to \(report.to)\n" + closedLine(report) + "\n"
                        + (try Listings.reportFunds(report)).droppingEmptyColumns().table
                        + "\nExternal support (not in any balance)\n"
                        + (report.externalSupport.isEmpty ? "none\n" : Listings.externalSupport(report).droppingEmptyColumns().table))
            }
        }
    }
}

/// Whether the books are closed for a report's period, in one line.
func closedLine(_ report: PeriodReport) -> String {
    guard let last = report.closedPeriods.last else { return "The books are not closed for any period.\n" }
    let closes = report.closedPeriods.map { "\($0.through) (\($0.decision))" }.joined(separator: ", ")
    return (report.isClosed ? "Closed: these figures can no longer change. " : "Open: the books are closed only through \(last.through). ")
        + "Closes of the books: \(closes).\n"
}
