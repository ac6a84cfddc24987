import Crypto
import EventLog
import Foundation

/// A witness (c2sp.org/tlog-witness, c2sp.org/tlog-cosignature): another body, such as
/// the district's Fatherland Front or a newspaper, that keeps the last checkpoint it saw
/// of each ward's log, cosigns a new one only when a consistency proof shows it extends
/// that one, and so makes it impossible for a ward to show two histories to two audiences.
///
/// Its folder holds `witness.key` (the Ed25519 seed, owner-only), `witness.name`, and for
/// each log it follows `logs/<id>/key` (the log's verifier key), `logs/<id>/checkpoint`
/// (the last one it cosigned) and `logs/<id>/refused/` (the requests it refused whose
/// signature was the log's: evidence of a split view).
public final class Witness {
    public let folder: String
    public let signer: NoteSigner

    /// Makes a witness's folder and key; the folder must not hold one.
    public static func create(folder: String, name: String) throws -> Witness {
        let keyPath = folder + "/witness.key"
        guard !FileManager.default.fileExists(atPath: keyPath) else { throw KeyError.alreadyExists(path: keyPath) }
        let key = Curve25519.Signing.PrivateKey()
        _ = try NoteSigner(name: name, kind: .cosignature, privateKey: key)  // the name is a key's name
        try FileManager.default.createDirectory(atPath: folder + "/logs", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        try SigningKeys.writePrivate(key, to: keyPath)
        try writeDurably(Data((name + "\n").utf8), to: URL(fileURLWithPath: folder + "/witness.name"))
        return try Witness(folder: folder)
    }

    public init(folder: String) throws {
        self.folder = folder
        let keyPath = folder + "/witness.key"
        guard let keyText = try? String(contentsOfFile: keyPath, encoding: .utf8),
            let name = try? String(contentsOfFile: folder + "/witness.name", encoding: .utf8)
        else { throw WitnessError.notAWitness(folder) }
        guard let seed = hexBytes(keyText.trimmingCharacters(in: .whitespacesAndNewlines)),
            let key = try? Curve25519.Signing.PrivateKey(rawRepresentation: seed)
        else { throw KeyError.notASigningKey(path: keyPath) }
        signer = try NoteSigner(name: name.trimmingCharacters(in: .whitespacesAndNewlines), kind: .cosignature, privateKey: key)
    }

    /// The folder kept for the log of `origin`.
    private func logFolder(_ origin: String) -> String {
        folder + "/logs/" + hex(Array(SHA256.hash(data: Array(origin.utf8))).prefix(8))
    }

    /// Follows the log whose checkpoints `key` signs (its name is the log's origin).
    public func trust(_ key: NoteKey) throws {
        guard key.kind == .ed25519 else { throw WitnessError.notALogKey(key.verifierKey) }
        let logFolder = logFolder(key.name)
        try FileManager.default.createDirectory(atPath: logFolder + "/refused", withIntermediateDirectories: true)
        try replaceDurably(logFolder + "/key", with: key.verifierKey + "\n")
    }

    /// Writes `text` beside `path`, flushed, then renames it over `path`: a crash leaves the
    /// old file or the new one, never a part.
    private func replaceDurably(_ path: String, with text: String) throws {
        let partial = path + ".partial"
        try writeDurably(Data(text.utf8), to: URL(fileURLWithPath: partial))
        guard rename(partial, path) == 0 else { throw WitnessError.stateUnusable(path, String(cString: strerror(errno))) }
        syncFolder((path as NSString).deletingLastPathComponent)
    }

    /// The text of a file of the witness's state, `nil` only when it does not exist: any
    /// other failure to read it is an error, never taken for "nothing seen yet".
    private func stateFile(_ path: String) throws -> String? {
        guard FileManager.default.fileExists(atPath: path) else { return nil }
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            throw WitnessError.stateUnusable(path, "it cannot be read")
        }
        return text
    }

    /// The logs it follows, each with the last checkpoint it cosigned (nil before the first).
    public func logs() throws -> [(key: NoteKey, last: Checkpoint?)] {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: folder + "/logs")) ?? []
        return try names.sorted().compactMap { name in
            guard let text = try stateFile(folder + "/logs/" + name + "/key") else { return nil }
            let key = try NoteKey(verifierKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
            return (key, try last(of: key.name))
        }
    }

    private func key(of origin: String) throws -> NoteKey? {
        guard let text = try stateFile(logFolder(origin) + "/key") else { return nil }
        return try NoteKey(verifierKey: text.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    private func last(of origin: String) throws -> Checkpoint? {
        guard let note = try stateFile(logFolder(origin) + "/checkpoint") else { return nil }
        do {
            return try Checkpoint(text: try SignedNote(parsing: note).text)
        } catch {
            throw WitnessError.stateUnusable(logFolder(origin) + "/checkpoint", "\(error)")
        }
    }

    /// Handles a tlog-witness `add-checkpoint` request body (`old N`, the consistency
    /// proof's hashes in base64 a line, a blank line, the signed checkpoint): checks it as
    /// c2sp.org/tlog-witness says, and returns this witness's cosignature line. The check
    /// and the update of the last checkpoint are one step (a lock on the folder).
    public func addCheckpoint(_ body: String, now: UInt64 = UInt64(Date().timeIntervalSince1970)) throws -> String {
        let lock = open(folder + "/lock", O_RDWR | O_CREAT, 0o600)
        guard lock >= 0 else { throw WitnessError.stateUnusable(folder + "/lock", String(cString: strerror(errno))) }
        defer { close(lock) }
        guard flock(lock, LOCK_EX) == 0 else { throw WitnessError.stateUnusable(folder + "/lock", String(cString: strerror(errno))) }

        // "old N", proof lines, a blank line, then the checkpoint.
        guard let blank = body.range(of: "\n\n") else { throw WitnessError.malformed("no blank line before the checkpoint") }
        let head = body[..<blank.lowerBound].split(separator: "\n", omittingEmptySubsequences: false)
        let note = String(body[blank.upperBound...])
        guard let first = head.first, first.hasPrefix("old "), let old = UInt64(first.dropFirst(4)), String(old) == first.dropFirst(4)
        else { throw WitnessError.malformed("the first line is not \"old SIZE\"") }
        guard head.count - 1 <= 63 else { throw WitnessError.malformed("over 63 consistency proof lines") }
        var proof: [[UInt8]] = []
        for line in head.dropFirst() {
            guard let hash = Data(base64Encoded: String(line)), hash.count == 32 else {
                throw WitnessError.malformed("\"\(line)\" is not a 32-byte hash in base64")
            }
            proof.append(Array(hash))
        }
        let signed: SignedNote
        let checkpoint: Checkpoint
        do {
            signed = try SignedNote(parsing: note)
            checkpoint = try Checkpoint(text: signed.text)
        } catch {
            throw WitnessError.malformed("\(error)")
        }
        guard let key = try key(of: checkpoint.origin) else { throw WitnessError.unknownLog(checkpoint.origin) }
        do {
            try key.verify(signed)
        } catch {
            throw WitnessError.notSignedByLog(origin: checkpoint.origin, "\(error)")
        }
        guard old <= checkpoint.size else {
            throw WitnessError.malformed("the old size \(old) is larger than the checkpoint's \(checkpoint.size)")
        }
        let last = try last(of: checkpoint.origin)
        guard old == last?.size ?? 0 else { throw WitnessError.oldSizeMismatch(origin: checkpoint.origin, cosigned: last?.size ?? 0) }
        // From nothing, or to the same size, there is nothing to prove.
        guard proof.isEmpty || (old > 0 && old < checkpoint.size) else {
            throw WitnessError.inconsistent(
                old == 0 ? "the old size is 0, so the consistency proof must be empty" : "the sizes are equal, so the consistency proof must be empty")
        }
        if let last {
            let reason: String?
            if old == checkpoint.size {
                reason = last.rootHash == checkpoint.rootHash
                    ? nil : "it has the size of the last checkpoint cosigned (\(old)) but another root hash"
            } else if !MerkleTree.verifyConsistency(
                    firstSize: old, secondSize: checkpoint.size, firstRoot: last.rootHash, secondRoot: checkpoint.rootHash, proof: proof)
            {
                reason = "the consistency proof does not show that the tree of \(checkpoint.size) extends the tree of \(old) cosigned before"
            } else {
                reason = nil
            }
            if let reason {
                throw WitnessError.splitView(origin: checkpoint.origin, reason: reason, evidence: try keepEvidence(body, of: checkpoint, now: now))
            }
        }
        // Persist before answering: the next request is held to this checkpoint.
        try replaceDurably(logFolder(checkpoint.origin) + "/checkpoint", with: signed.serialized)
        return try signer.signature(of: signed.text, time: now).line
    }

    /// Keeps a refused request, signed by the log, under a name of its own that nothing
    /// overwrites (its time, its size and its SHA-256); returns the file's path.
    private func keepEvidence(_ body: String, of checkpoint: Checkpoint, now: UInt64) throws -> String {
        let digest = hex(Array(SHA256.hash(data: Array(body.utf8))).prefix(8))
        let path = logFolder(checkpoint.origin) + "/refused/\(now)-\(checkpoint.size)-\(digest).txt"
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        if descriptor < 0 && errno == EEXIST { return path }  // the same request, kept already
        guard descriptor >= 0 else { throw WitnessError.stateUnusable(path, "the refused request cannot be kept: " + String(cString: strerror(errno))) }
        let handle = FileHandle(fileDescriptor: descriptor, closeOnDealloc: true)
        try handle.write(contentsOf: Data(body.utf8))
        try handle.synchronize()
        syncFolder(logFolder(checkpoint.origin) + "/refused")
        return path
    }
}

/// Why a witness refused; the statuses are tlog-witness's HTTP ones.
public enum WitnessError: Error, Hashable, Sendable, CustomStringConvertible {
    case notAWitness(String)
    case notALogKey(String)
    /// A file of the witness's own state cannot be read or written.
    case stateUnusable(String, String)
    /// 400: the request is not one.
    case malformed(String)
    /// 404: the witness does not follow this log.
    case unknownLog(String)
    /// 403: no signature by the log's key verifies.
    case notSignedByLog(origin: String, String)
    /// 409: the old size is not the last size cosigned (which is said, to ask again).
    case oldSizeMismatch(origin: String, cosigned: UInt64)
    /// 422: the proof is not one.
    case inconsistent(String)
    /// 409/422: the checkpoint does not extend the last one cosigned: two histories.
    case splitView(origin: String, reason: String, evidence: String)

    public var httpStatus: Int {
        switch self {
        case .notAWitness, .notALogKey, .stateUnusable: 500
        case .malformed: 400
        case .unknownLog: 404
        case .notSignedByLog: 403
        case .oldSizeMismatch: 409
        case .inconsistent: 422
        case .splitView(_, let reason, _): reason.contains("consistency proof") ? 422 : 409
        }
    }

    public var description: String {
        switch self {
        case .notAWitness(let folder): "\(folder) does not hold a witness (make one with `ansinh witness init`)"
        case .notALogKey(let key): "\(key) is not a log's key (type 01, Ed25519)"
        case .stateUnusable(let path, let reason): "the witness's state \(path) cannot be used: \(reason); nothing was cosigned"
        case .malformed(let reason): "not an add-checkpoint request: \(reason)"
        case .unknownLog(let origin): "this witness does not follow the log \(origin) (add its key with `ansinh witness trust`)"
        case .notSignedByLog(let origin, let reason): "the checkpoint is not signed by the key of \(origin): \(reason)"
        case .oldSizeMismatch(let origin, let cosigned):
            "the last checkpoint of \(origin) this witness cosigned has size \(cosigned): ask again with old \(cosigned)"
        case .inconsistent(let reason): "the consistency proof does not verify: \(reason)"
        case .splitView(let origin, let reason, let evidence):
            "refused, a split view of \(origin): the checkpoint does not extend the last one this witness cosigned: \(reason); "
                + "the request is kept as evidence in \(evidence)"
        }
    }
}
