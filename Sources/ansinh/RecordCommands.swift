import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

/// Options every recording command takes.
struct RecordOptions: ParsableArguments {
    @OptionGroup var store: StoreOptions

    @Option(name: .long, help: ArgumentHelp("The event's id, to make a retry safe: recording it again changes nothing.", valueName: "uuid"))
    var eventId: UUID?

    /// Records `event` and prints what was recorded.
    func record(_ event: LedgerEvent) throws {
        let ledger = try store.openLedger()
        report(try TestMarkers.around("record") { try ledger.record([LedgerCommand(event, eventId: eventId)], actor: store.actorName)[0] })
    }

    /// Prints what a command recorded.
    func report(_ entry: RecordedEntry) {
        let id = entry.eventId.uuidString.lowercased()
        if entry.wasAlreadyStored {
            emit("Already recorded: \(entry.type.rawValue) at position \(entry.position) (event \(id)); nothing written.\n")
        } else {
            emit("Recorded \(entry.type.rawValue) at position \(entry.position) (event \(id)).\n")
        }
        if let fundId = entry.fundId, let balance = entry.fundBalance {
            emit("Fund \(fundId) balance: \(balance)\n")
        }
    }
}

/// `--date`, defaulting to today in Asia/Ho_Chi_Minh.
struct DateOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The business date, YYYY-MM-DD (default: today in Asia/Ho_Chi_Minh).", valueName: "date"))
    var date: LocalDate?

    var value: LocalDate { date ?? TestClock.today() }
}

struct FundCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fund", abstract: "Open a fund, or show one fund's register.", subcommands: [Open.self, Show.self])

    struct Open: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Open a fund (quỹ).")
        @Argument(help: "The fund's id, such as vi-nguoi-ngheo.") var fundId: String
        @Option(help: "Its name, such as 'Quỹ Vì người nghèo'.") var name: String
        @Option(help: "A balance brought forward, in đồng.") var openingBalance: AmountArgument?
        @Option(help: "What the fund is for.") var purpose: String?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(
                    .fundOpened(
                        FundOpened(fundId: fundId, name: name, openedOn: date.value, openingBalance: openingBalance?.value, purpose: purpose)))
            }
        }
    }
}

struct MemberCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "member", abstract: "Enrol a party member, record one leaving, or show a member's deposits.",
        subcommands: [Enrol.self, Leave.self, History.self])

    struct Enrol: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Enrol a party member (đảng viên) in a cell (chi bộ).")
        @Argument(help: "The member's id, such as dv-001.") var memberId: String
        @Option(help: "Full name, with diacritics.") var name: String
        @Option(help: "The cell (chi bộ).") var cell: String
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(.memberEnrolled(MemberEnrolled(memberId: memberId, fullName: name, cell: cell, enrolledOn: date.value)))
            }
        }
    }

    struct Leave: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record that a member left.")
        @Argument(help: "The member's id.") var memberId: String
        @Option(help: "Why.") var reason: String?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(.memberLeft(MemberLeft(memberId: memberId, leftOn: date.value, reason: reason)))
            }
        }
    }
}

struct PledgeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "pledge", abstract: "Record or cancel a pledge.", subcommands: [Make.self, Cancel.self])

    struct Make: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Record a donor's pledge to a fund.")
        @Argument(help: "The pledge's id.") var pledgeId: String
        @Option(help: "The fund.") var fund: String
        @OptionGroup var donor: DonorOptions
        @Option(help: "Amount pledged, in đồng.") var amount: AmountArgument
        @Option(help: "When it is due, YYYY-MM-DD.") var due: LocalDate?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(
                    .pledgeMade(
                        PledgeMade(pledgeId: pledgeId, fundId: fund, donor: donor.value, amount: amount.value, pledgedOn: date.value, dueOn: due)))
            }
        }
    }

    struct Cancel: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Cancel a pledge: it takes no more donations.")
        @Argument(help: "The pledge's id.") var pledgeId: String
        @Option(help: "Why.") var reason: String?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(.pledgeCancelled(PledgeCancelled(pledgeId: pledgeId, cancelledOn: date.value, reason: reason)))
            }
        }
    }
}

struct DonorOptions: ParsableArguments {
    @Option(name: .customLong("donor"), help: "The donor's name.") var name: String
    @Option(name: .customLong("donor-kind"), help: "individual, business, religiousBody, organisation or partyMember.")
    var kind: DonorKind

    var value: Donor { Donor(name: name, kind: kind) }
}

extension DonorKind: ExpressibleByArgument {}
extension BeneficiaryKind: ExpressibleByArgument {}
extension Purpose: ExpressibleByArgument {}

struct Donate: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record money received into a fund.")
    @Option(help: "The fund.") var fund: String
    @OptionGroup var donor: DonorOptions
    @Option(help: "Amount, in đồng.") var amount: AmountArgument
    @Option(help: "The pledge it pays, if any.") var pledge: String?
    @Option(help: "The receipt number.") var receipt: String?
    @OptionGroup var date: DateOption
    @OptionGroup var options: RecordOptions

    func run() throws {
        try reportingFailures {
            try options.record(
                .donationReceived(
                    DonationReceived(fundId: fund, donor: donor.value, amount: amount.value, receivedOn: date.value, pledgeId: pledge, receiptNo: receipt)))
        }
    }
}

struct PiggyBankCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "piggybank", abstract: "Start or close a piggy-bank model, or print its summary.",
        subcommands: [Start.self, Close.self, Summary.self])

    struct Start: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Start a piggy-bank model (mô hình ống heo tiết kiệm).")
        @Argument(help: "The model's id.") var modelId: String
        @Option(help: "Its name.") var name: String
        @Option(help: "The fund its savings go to.") var fund: String
        @Option(help: "First day, YYYY-MM-DD.") var starts: LocalDate
        @Option(help: "Last day, YYYY-MM-DD.") var ends: LocalDate
        @Option(help: "The daily target per member, in đồng.") var dailyTarget: AmountArgument = AmountArgument(argument: "1000")!
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(
                    .piggyBankModelStarted(
                        PiggyBankModelStarted(modelId: modelId, name: name, fundId: fund, startsOn: starts, endsOn: ends, dailyTarget: dailyTarget.value)))
            }
        }
    }

    struct Close: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Close a piggy-bank model: it takes no more deposits.")
        @Argument(help: "The model's id.") var modelId: String
        @Option(help: "The Standing Committee's decision.") var decision: String?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(.piggyBankModelClosed(PiggyBankModelClosed(modelId: modelId, closedOn: date.value, decisionRef: decision)))
            }
        }
    }
}

extension AmountArgument {
    var defaultValueDescription: String { value.grouped }
}

struct Deposit: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record a member's piggy-bank deposit.")
    @Option(help: "The piggy-bank model.") var model: String
    @Option(help: "The member's id.") var member: String
    @Option(help: "Amount, in đồng.") var amount: AmountArgument
    @OptionGroup var date: DateOption
    @OptionGroup var options: RecordOptions

    func run() throws {
        try reportingFailures {
            try options.record(
                .piggyBankDeposited(PiggyBankDeposited(modelId: model, memberId: member, amount: amount.value, depositedOn: date.value)))
        }
    }
}

struct Disburse: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Record money paid out of a fund to a beneficiary.")
    @Argument(help: "The disbursement's id.") var disbursementId: String
    @Option(help: "The fund.") var fund: String
    @Option(help: "housing, gift, healthInsurance, scholarship, studySupplies, livelihood, infrastructure, sponsorship or other.")
    var purpose: Purpose
    @Option(help: "Who receives.") var beneficiary: String
    @Option(help: "poorHousehold, nearPoorHousehold, policyFamily, student, child or other.") var beneficiaryKind: BeneficiaryKind
    @Option(help: "Amount, in đồng.") var amount: AmountArgument
    @Option(help: "How many (cards, gifts, houses).") var quantity: Int64 = 1
    @Option(help: "The decision it follows.") var decision: String?
    @Option(help: "The programme it belongs to.") var programme: String?
    @OptionGroup var date: DateOption
    @OptionGroup var options: RecordOptions

    func run() throws {
        try reportingFailures {
            try options.record(
                .disbursementMade(
                    DisbursementMade(
                        disbursementId: disbursementId, fundId: fund, purpose: purpose,
                        beneficiary: Beneficiary(name: beneficiary, kind: beneficiaryKind), amount: amount.value, quantity: quantity,
                        disbursedOn: date.value, decisionRef: decision, programme: programme)))
        }
    }
}

struct ExternalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "external", abstract: "Record help arranged from outside the funds.", subcommands: [RecordSupport.self])

    struct RecordSupport: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "record", abstract: "Record external support (loans, sponsors): reported, never in a balance.")
        @Option(help: "Who arranged it.") var organisation: String
        @Option(help: "The programme.") var programme: String
        @Option(help: "What it was.") var description: String
        @Option(help: "How many people or households it reached.") var beneficiaries: Int64
        @Option(help: "Its value, in đồng (0 if none).") var value: AmountArgument
        @Option(help: "Where the money came from.") var source: String?
        @OptionGroup var date: DateOption
        @OptionGroup var options: RecordOptions

        func run() throws {
            try reportingFailures {
                try options.record(
                    .externalSupportRecorded(
                        ExternalSupportRecorded(
                            organisation: organisation, programme: programme, description: description, beneficiaries: beneficiaries,
                            value: value.value, recordedOn: date.value, source: source)))
            }
        }
    }
}

struct Reverse: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Reverse an entry recorded by mistake: the only way to correct one.")
    @Argument(help: "The event id of the entry to reverse.") var reversesEventId: UUID
    @Option(help: "Why it is reversed.") var reason: String
    @OptionGroup var date: DateOption
    @OptionGroup var options: RecordOptions

    func run() throws {
        try reportingFailures {
            try options.record(.entryReversed(EntryReversed(reversesEventId: reversesEventId, reversedOn: date.value, reason: reason)))
        }
    }
}
