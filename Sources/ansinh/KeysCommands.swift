import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The ward's signing key for exports.", subcommands: [InitKeys.self])

    struct InitKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Make the ward's Ed25519 key pair; publish the public key it prints.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                _ = try store.openLedger()
                let publicKey = try SigningKeys.create(store: store.storePath)
                emit("Created the ward's signing key. Public key (publish it):\n\(publicKey)\n")
            }
        }
    }
}
