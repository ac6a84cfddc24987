import ArgumentParser
import Foundation
import Ledger
import LedgerTools

/// `ansinh people`: the data subjects, and the erasure of one.
struct PeopleCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "people",
        abstract: "The people the ledger names (members, donors who are persons, beneficiaries), and erasing one.",
        subcommands: [List.self, Erase.self], defaultSubcommand: List.self)

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Every data subject: subject id, kind, name (or that it was erased), and where they appear.")
        @OptionGroup var store: StoreOptions
        @OptionGroup var output: FormatOptions

        func run() throws {
            try reportingFailures {
                try output.print(PeopleView(try store.openLedger(readOnly: true).people()))
            }
        }
    }

    struct Erase: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Erase a person's personal data: their name can no longer be read; every figure and the chain stay.",
            discussion: """
                Records an erasure (which holds no personal data) and destroys the key the person's name was sealed \
                under, in place. Backups and exports made before keep the name: destroy them as the ward's policy says.
                """)
        @Argument(help: "The person's subject id (ansinh people lists them), such as ds-000012.") var subject: String
        @Option(help: "Why the data is erased (kept for ever: do not name the person).") var reason: String
        @Flag(help: "Erase even though the person has entries younger than the retention period.")
        var overrideRetention = false
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                let entry = try ledger.erase(
                    subject: subject, reason: reason, overridingRetention: overrideRetention, actor: store.actorName)
                print("Erased \(subject) at position \(entry.position): their name can no longer be read.")
                print("Backups and exports made before today still hold it: destroy them as the ward's policy says.")
            }
        }
    }
}
