import Crypto
import EventLog
import Foundation

/// A manifest published earlier (by the nightly export, say), read back to hold
/// the store to it: the head it vouches for must still be in the log, with the same
/// hash. The hash chain alone cannot show that events were cut from the end of the
/// log, or that the whole chain was recomputed after an edit; a head kept outside
/// the store can.
public struct PublishedManifest: Sendable {
    public let manifest: ExportManifest
    /// Where it was read from, to name it in messages.
    public let source: String
    /// Whether manifest.sig was checked against a trusted key.
    public let signatureChecked: Bool

    /// Reads `manifest.json` from `path` (the file, or the export folder holding it).
    ///
    /// When `trustedKey` is given, `manifest.sig` beside it must be that key's Ed25519
    /// signature over the manifest's exact bytes; a manifest that is unsigned, signed
    /// by another key, or changed after signing is refused.
    public init(path: String, trustedKey: Curve25519.Signing.PublicKey?) throws {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) else {
            throw ManifestError(path, "does not exist", unusable: true)
        }
        let file = isFolder.boolValue ? URL(fileURLWithPath: path).appendingPathComponent("manifest.json") : URL(fileURLWithPath: path)
        source = file.path
        guard let bytes = try? Data(contentsOf: file) else { throw ManifestError(file.path, "cannot be read", unusable: true) }
        do {
            manifest = try JSONDecoder().decode(ExportManifest.self, from: bytes)
        } catch {
            throw ManifestError(file.path, "is not an ansinh export manifest (\(error.localizedDescription))", unusable: true)
        }
        guard ChainHash(hex: manifest.headHash) != nil, ChainHash(hex: manifest.previousHash) != nil else {
            throw ManifestError(file.path, "holds a hash that is not 64 hexadecimal digits")
        }
        guard let trustedKey else {
            signatureChecked = false
            return
        }
        let signatureFile = file.deletingLastPathComponent().appendingPathComponent("manifest.sig")
        guard let text = try? String(contentsOf: signatureFile, encoding: .utf8) else {
            throw ManifestError(file.path, "is not signed (no manifest.sig beside it), but a key to check it with was given")
        }
        let trusted = hex(Array(trustedKey.rawRepresentation))
        if let named = manifest.signingKey, named != trusted {
            throw ManifestError(file.path, "names signing key \(named), not the trusted key \(trusted)")
        }
        guard let signature = hexBytes(text.trimmingCharacters(in: .whitespacesAndNewlines)),
            trustedKey.isValidSignature(signature, for: bytes)
        else {
            throw ManifestError(file.path, "does not carry a valid signature by key \(trusted): it was changed after signing, or signed by another key")
        }
        signatureChecked = true
    }

    /// The first way `log` (one read snapshot) departs from this manifest, or nil.
    func problem(in log: LogReader, head: LogHead) throws -> AuditProblem? {
        for (position, hash) in [(manifest.fromPosition &- 1, manifest.previousHash), (manifest.headPosition, manifest.headHash)]
        where position > 0 && position != UInt64.max {
            guard position <= head.position else {
                return .publishedHeadMissing(manifest: source, position: position, head: head.position)
            }
            guard let stored = try log.event(at: position)?.hash.hex else {
                return .publishedHeadMissing(manifest: source, position: position, head: head.position)
            }
            if stored != hash.lowercased() {
                return .publishedHashDiffers(manifest: source, position: position, published: hash.lowercased(), stored: stored)
            }
        }
        return nil
    }
}

/// A published manifest that cannot be used to check a store.
public struct ManifestError: Error, CustomStringConvertible {
    public let description: String
    /// The path names no manifest at all (a mistake in the command), as opposed to a
    /// manifest whose signature does not hold (evidence of tampering).
    public let isUnusable: Bool
    init(_ path: String, _ reason: String, unusable: Bool = false) {
        description = "\(path) \(reason)"
        isUnusable = unusable
    }
}
