import ArgumentParser
import Crypto
import EventLog
import Foundation
import Ledger
import LedgerTools

/// The ward's Ed25519 key pair, kept in the store's folder: `signing.key` (owner-only,
/// never exported) and `signing.pub`.
enum SigningKey {
    static func privatePath(_ store: String) -> String { store + "/signing.key" }
    static func publicPath(_ store: String) -> String { store + "/signing.pub" }

    /// A public key given as 64 hex digits or a file holding them; nil when `given` is
    /// a file that does not exist and not `required`.
    static func loadPublic(_ given: String, required: Bool) throws -> Curve25519.Signing.PublicKey? {
        var text = given
        if FileManager.default.fileExists(atPath: given) {
            guard let contents = try? String(contentsOfFile: given, encoding: .utf8) else {
                throw Failure(message: "cannot read the public key file \(given)", status: ExitStatus.usage)
            }
            text = contents
        } else if !required {
            return nil
        }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        else { throw Failure(message: "\(given) is not an Ed25519 public key (64 hexadecimal digits)", status: ExitStatus.usage) }
        return key
    }

    static func load(store: String) throws -> Curve25519.Signing.PrivateKey? {
        let path = privatePath(store)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw Failure(message: "cannot read the ward's signing key \(path); nothing was exported", status: ExitStatus.storeProblem)
        }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        else { throw Failure(message: "\(privatePath(store)) is not a signing key", status: ExitStatus.storeProblem) }
        return key
    }
}

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
                let path = SigningKey.privatePath(store.storePath)
                guard !FileManager.default.fileExists(atPath: path) else {
                    throw Failure(message: "the ward already has a signing key (\(path))", status: ExitStatus.conflict)
                }
                let key = Curve25519.Signing.PrivateKey()
                let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
                guard descriptor >= 0 else { throw Failure(message: "cannot create \(path)", status: ExitStatus.storeProblem) }
                let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
                try handle.write(contentsOf: Data((hex(Array(key.rawRepresentation)) + "\n").utf8))
                try handle.synchronize()
                let publicKey = hex(Array(key.publicKey.rawRepresentation))
                try Data((publicKey + "\n").utf8).write(to: URL(fileURLWithPath: SigningKey.publicPath(store.storePath)))
                emit("Created the ward's signing key. Public key (publish it):\n\(publicKey)\n")
            }
        }
    }
}
