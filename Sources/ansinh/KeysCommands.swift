import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct KeysCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys", abstract: "The ward's signing key for exports and checkpoints, and where the ward publishes.",
        subcommands: [InitKeys.self, Show.self, PublicURL.self])

    struct InitKeys: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "init", abstract: "Make the ward's Ed25519 key pair; publish the public key it prints.")
        @Option(
            help: ArgumentHelp(
                "The log's origin, the first line of its checkpoints, for ever: where it is published, "
                    + "such as congkhai.nuisam.example (default: ansinh/<province>/<ward>).", valueName: "origin"))
        var origin: String?
        @Option(help: ArgumentHelp("The address of the ward's public site, where receipts point.", valueName: "url")) var publicUrl: String?
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                // Everything checked before anything is written.
                if let origin { try WardLog.checkOrigin(origin) }
                if let publicUrl { try WardLog.checkPublicURL(publicUrl) }
                let keyPath = SigningKeys.privatePath(store: store.storePath)
                guard !FileManager.default.fileExists(atPath: keyPath) else { throw KeyError.alreadyExists(path: keyPath) }
                try WardLog.fixOrigin(origin, of: ledger, store: store.storePath)
                if let publicUrl { try WardLog.setPublicURL(publicUrl, of: ledger) }
                let publicKey = try SigningKeys.create(store: store.storePath)
                // The checkpoints' verifier key: `ansinh keys show`.
                emit("Created the ward's signing key. Public key (publish it):\n\(publicKey)\n")
            }
        }
    }

    struct Show: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The ward's public key, the verifier key of its checkpoints, its log's origin and its public site.")
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                let ledger = try store.openLedger()
                guard let key = try SigningKeys.load(store: store.storePath) else { throw TransparencyError.noSigningKey }
                let verifier = try WardLog.verifierKey(of: ledger, publicKey: key.publicKey)
                emit(
                    "Public key: \(hex(Array(key.publicKey.rawRepresentation)))\nOrigin: \(verifier.name)\n"
                        + "Verifier key: \(verifier.verifierKey)\nPublic site: \(try WardLog.publicURL(of: ledger) ?? "(not set)")\n")
            }
        }
    }

    struct PublicURL: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "public-url", abstract: "Set the address of the ward's public site, where receipts' QR codes point.")
        @Argument(help: "Such as https://congkhai.nuisam.example.") var url: String
        @OptionGroup var store: StoreOptions

        func run() throws {
            try reportingFailures {
                try WardLog.setPublicURL(url, of: try store.openLedger())
                emit("Receipts now point to \(url)\n")
            }
        }
    }
}
