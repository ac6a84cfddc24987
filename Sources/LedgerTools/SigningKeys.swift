import Crypto
import EventLog
import Foundation

/// A problem with the ward's signing key or a public key given to check against.
public enum KeyError: Error, Hashable, Sendable, CustomStringConvertible {
    /// `keys init` on a store that has a key: it is never replaced.
    case alreadyExists(path: String)
    /// The key file cannot be created beside the store.
    case cannotCreate(path: String)
    /// The ward's key file cannot be read.
    case unreadable(path: String)
    /// The ward's key file does not hold a key.
    case notASigningKey(path: String)
    /// A public key file given to check against cannot be read.
    case publicKeyUnreadable(path: String)
    /// What was given is not an Ed25519 public key.
    case notAPublicKey(given: String)

    public var description: String {
        switch self {
        case .alreadyExists(let path): "the ward already has a signing key (\(path))"
        case .cannotCreate(let path): "cannot create \(path)"
        case .unreadable(let path): "cannot read the ward's signing key \(path); nothing was exported"
        case .notASigningKey(let path): "\(path) is not a signing key"
        case .publicKeyUnreadable(let path): "cannot read the public key file \(path)"
        case .notAPublicKey(let given): "\(given) is not an Ed25519 public key (64 hexadecimal digits)"
        }
    }
}

/// The ward's Ed25519 key pair, kept in the store's folder: `signing.key` (owner-only,
/// never exported) and `signing.pub`. Exports are signed with it; audits check a
/// published manifest against the public key.
public enum SigningKeys {
    public static func privatePath(store: String) -> String { store + "/signing.key" }
    public static func publicPath(store: String) -> String { store + "/signing.pub" }

    /// Makes the ward's key pair beside the store, the private half flushed to disk and
    /// owner-only; returns the public key in hex, to publish.
    /// - Throws: ``KeyError/alreadyExists(path:)`` when the ward has one.
    public static func create(store: String) throws -> String {
        let path = privatePath(store: store)
        guard !FileManager.default.fileExists(atPath: path) else { throw KeyError.alreadyExists(path: path) }
        let key = Curve25519.Signing.PrivateKey()
        try writePrivate(key, to: path)
        let publicKey = hex(Array(key.publicKey.rawRepresentation))
        try Data((publicKey + "\n").utf8).write(to: URL(fileURLWithPath: publicPath(store: store)))
        return publicKey
    }

    /// Writes a new private key's seed in hex to `path`, which must not exist: owner-only,
    /// flushed to disk.
    static func writePrivate(_ key: Curve25519.Signing.PrivateKey, to path: String) throws {
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw KeyError.cannotCreate(path: path) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data((hex(Array(key.rawRepresentation)) + "\n").utf8))
        try handle.synchronize()
    }

    /// The ward's private key, or `nil` when it has none.
    public static func load(store: String) throws -> Curve25519.Signing.PrivateKey? {
        let path = privatePath(store: store)
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw KeyError.unreadable(path: path) }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: bytes)
        else { throw KeyError.notASigningKey(path: path) }
        return key
    }

    /// A public key given as 64 hex digits or a file holding them; `nil` when `given` is
    /// a file that does not exist and not `required`.
    public static func loadPublic(_ given: String, required: Bool) throws -> Curve25519.Signing.PublicKey? {
        var text = given
        if FileManager.default.fileExists(atPath: given) {
            guard let contents = try? String(contentsOfFile: given, encoding: .utf8) else {
                throw KeyError.publicKeyUnreadable(path: given)
            }
            text = contents
        } else if !required {
            return nil
        }
        guard let bytes = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PublicKey(rawRepresentation: bytes)
        else { throw KeyError.notAPublicKey(given: given) }
        return key
    }
}
