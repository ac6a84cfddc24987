import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct PeriodCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "period", abstract: "Close the books (khoá sổ) through a date.", subcommands: [Close.self])

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Close the books through a date: nothing dated on or before it can be recorded afterwards.",
            discussion: """
                Records a PeriodClosed event carrying each fund's balance and each piggy-bank model's \
                collected savings at the end of that date; `ansinh audit verify` recomputes them from the log. \
                After it, a mistake in the closed period is corrected with a reversal dated after the date. \
                A close must be through a later date than the last one, and not after today.
                """)
        @Option(help: ArgumentHelp("The last day of the period to close, YYYY-MM-DD.", valueName: "date"))
        var through: LocalDate
        @Option(help: ArgumentHelp("The decision that closes it, such as 'Quyết định 12/QĐ-MTTQ ngày 05/01/2025'.", valueName: "text"))
        var decision: String
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                let ledger = try options.store.openLedger()
                let entry = try TestMarkers.around("record") {
                    try ledger.closePeriod(
                        through: through, decision: decision, eventId: options.eventId, actor: options.store.actorName)
                }
                options.report(entry)
                if let period = try ledger.periods().last(where: { $0.through == through }) {
                    emit(try Listings.periodFigures(period, funds: ledger.funds()).table)
                }
            }
        }
    }
}

struct Periods: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The closes of the books (khoá sổ), oldest first, with the figures each carries in JSON.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            let periods = try store.openLedger(readOnly: true).periods()
            switch output.format.value {
            case .json: output.print(Listings.periods(json: periods).serialized() + "\n")
            case .csv, .table: output.print(Listings.periods(periods))
            }
        }
    }
}
