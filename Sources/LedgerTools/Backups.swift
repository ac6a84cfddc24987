import Crypto
import EventLog
import Foundation
import Ledger

/// Backups you can trust: each carries its SHA-256 beside it, and a restore checks that
/// hash, the file's structure and its whole history on a copy before it becomes a store.
public enum Backups {
    /// Writes a compacted, consistent copy of the store under `ledger` to the new file
    /// `file` while clerks go on writing, flushed to disk, then `FILE.sha256` beside it.
    /// The copy is written under a hidden name and renamed into place only when whole.
    /// - Returns: the head position when the copy began; the copy holds at least that
    ///   (a clerk may record while it is taken).
    /// - Throws: ``ExportError/exists(_:)`` when `file` or its checksum exists;
    ///   ``BackupError/cannotCreate(_:reason:)`` or ``BackupError/cannotFlush(_:reason:)``; `StoreError`.
    @discardableResult
    public static func backUp(_ ledger: Ledger, to file: String) throws -> UInt64 {
        let target = URL(fileURLWithPath: file).standardizedFileURL
        guard !FileManager.default.fileExists(atPath: file) else { throw ExportError.exists(target.path) }
        let checksum = checksumPath(for: target.path)
        guard !FileManager.default.fileExists(atPath: checksum) else { throw ExportError.exists(checksum) }
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        let head = try ledger.head().position
        let partial = PartialWrite.start(for: target).path
        let descriptor = open(partial, O_WRONLY | O_CREAT | O_EXCL, 0o600)
        guard descriptor >= 0 else { throw BackupError.cannotCreate(partial, reason: String(cString: strerror(errno))) }
        do {
            do {
                defer { close(descriptor) }
                try ledger.copyStore(toFileDescriptor: descriptor)
                guard fsync(descriptor) == 0 else { throw BackupError.cannotFlush(partial, reason: String(cString: strerror(errno))) }
            }
            // The data first, then its checksum: of two backups to one path at once, the
            // one whose data lands writes the checksum; a kill in between leaves a backup
            // without one (restore then asks for --without-checksum), never a checksum
            // that blocks the next backup.
            try PartialWrite.finish(URL(fileURLWithPath: partial), onto: target)
            try writeChecksum(of: target.path, as: target.path)
        } catch {
            try? FileManager.default.removeItem(atPath: partial)
            throw error
        }
        // The people's keys, copied after the data: every key the data's names were
        // sealed under is already in the file (keys the log uses are only added, or
        // written over by an erasure; only slots no committed event uses are ever cut).
        if let keys = ledger.keys {
            let keysTarget = URL(fileURLWithPath: keysPath(for: target.path))
            let keysPartial = PartialWrite.start(for: keysTarget).path
            do {
                try keys.copy(to: keysPartial)
                try PartialWrite.finish(URL(fileURLWithPath: keysPartial), onto: keysTarget)
                try writeChecksum(of: keysTarget.path, as: keysTarget.path)
            } catch {
                try? FileManager.default.removeItem(atPath: keysPartial)
                throw error
            }
        }
        return head
    }

    /// `FILE.keys`: the people's keys of the backup `FILE` (``SubjectKeys``), with its own checksum.
    public static func keysPath(for file: String) -> String { file + ".keys" }

    /// `FILE.sha256`, in the form `sha256sum -c` reads: the hex digest, two spaces, the file's name.
    public static func checksumPath(for file: String) -> String { file + ".sha256" }

    /// The SHA-256 of the file at `path`, read in chunks, in lowercase hex.
    public static func sha256(ofFileAt path: String) throws -> String {
        guard let handle = FileHandle(forReadingAtPath: path) else { throw BackupError.unreadable(path) }
        defer { try? handle.close() }
        var hasher = SHA256()
        while let chunk = try handle.read(upToCount: 1 << 20), !chunk.isEmpty { hasher.update(data: chunk) }
        return hex(Array(hasher.finalize()))
    }

    /// Writes `FILE.sha256` for the data in `partial`, once it has become `file`. The
    /// checksum is created only if it does not exist.
    /// - Throws: ``ExportError/exists(_:)`` when it exists.
    public static func writeChecksum(of partial: String, as file: String) throws {
        let line = try sha256(ofFileAt: partial) + "  " + URL(fileURLWithPath: file).lastPathComponent + "\n"
        let path = checksumPath(for: file)
        let descriptor = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o644)
        guard descriptor >= 0 else {
            if errno == EEXIST { throw ExportError.exists(path) }
            throw ExportError.cannotWrite(path, String(cString: strerror(errno)))
        }
        defer { close(descriptor) }
        let bytes = Array(line.utf8)
        guard write(descriptor, bytes, bytes.count) == bytes.count, fsync(descriptor) == 0 else {
            let reason = String(cString: strerror(errno))
            try? FileManager.default.removeItem(atPath: path)
            throw ExportError.cannotWrite(path, reason)
        }
    }

    /// The hash written beside `file`.
    /// - Throws: ``BackupError/checksumMissing(_:)``.
    public static func recordedChecksum(of file: String) throws -> String {
        let path = checksumPath(for: file)
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else { throw BackupError.checksumMissing(path) }
        return String(text.prefix { !$0.isWhitespace }).lowercased()
    }

    /// What a restore checked.
    public struct RestoreReport: Sendable {
        public var structure: StoreStructure
        public var audit: AuditReport
        public var checksumChecked: Bool
    }

    /// Restores the backup `file` as the store `folder`: checks its hash (unless
    /// `checksum` is false), copies it beside the target, walks its structure and audits
    /// it there, and only then renames the copy into place. It never overwrites a store:
    /// `folder` must not exist, or be empty.
    public static func restore(from file: String, to folder: String, checksum: Bool = true) throws -> RestoreReport {
        let target = URL(fileURLWithPath: folder).standardizedFileURL
        try refuseExisting(target)
        guard FileManager.default.fileExists(atPath: file) else { throw BackupError.unreadable(file) }
        let expected = checksum ? try recordedChecksum(of: file) : nil
        let parent = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: parent, withIntermediateDirectories: true)
        let staging = PartialWrite.start(for: target)
        defer {
            try? FileManager.default.removeItem(at: staging)
            try? FileManager.default.removeItem(atPath: staging.path + ".audit")
        }
        try FileManager.default.createDirectory(at: staging, withIntermediateDirectories: false, attributes: [.posixPermissions: 0o700])
        let copy = EventLog.dataFilePath(staging.path)
        try copyDurably(file, to: copy)
        if let expected {
            // The bytes checked are the bytes restored: the copy's.
            let found = try sha256(ofFileAt: copy)
            guard found == expected else { throw BackupError.checksumMismatch(file, expected: expected, found: found) }
        }
        let keysBackup = keysPath(for: file)
        if FileManager.default.fileExists(atPath: keysBackup) {
            let keysCopy = staging.path + "/" + SubjectKeys.fileName
            try copyDurably(keysBackup, to: keysCopy)
            if checksum {
                let found = try sha256(ofFileAt: keysCopy)
                let expected = try recordedChecksum(of: keysBackup)
                guard found == expected else { throw BackupError.checksumMismatch(keysBackup, expected: expected, found: found) }
            }
        }
        let structure = try EventLog.checkStructure(path: staging.path)
        let audit = try auditCopy(at: staging.path)
        if let problem = audit.problem { throw problem }
        EventLog.removeLockFile(ofStoreAt: staging.path)
        try refuseExisting(target)
        // An empty folder given as the target makes way; `rmdir` removes only an empty one.
        if FileManager.default.fileExists(atPath: target.path), rmdir(target.path) != 0 {
            throw BackupError.folderNotEmpty(target.path)
        }
        try FileManager.default.moveItem(at: staging, to: target)
        syncFolder(parent.path)
        return RestoreReport(structure: structure, audit: audit, checksumChecked: checksum)
    }

    /// Audits the copy, opened for writing: a backup written by an older version has its
    /// read models refolded into today's layout first (the copy is about to become the store).
    private static func auditCopy(at path: String) throws -> AuditReport {
        var options = EventLog.Options()
        options.createIfMissing = false
        let ledger = try Ledger(path: path, options: options)
        return try Auditor.audit(ledger, scratchFolder: path + ".audit")
    }

    /// A folder that holds anything is not overwritten.
    private static func refuseExisting(_ target: URL) throws {
        guard FileManager.default.fileExists(atPath: target.path) else { return }
        if EventLog.storeExists(at: target.path) {
            throw BackupError.storeExists(target.path)
        }
        guard (try? FileManager.default.contentsOfDirectory(atPath: target.path))?.isEmpty == true else {
            throw BackupError.folderNotEmpty(target.path)
        }
    }

    private static func copyDurably(_ source: String, to destination: String) throws {
        guard let input = FileHandle(forReadingAtPath: source) else { throw BackupError.unreadable(source) }
        defer { try? input.close() }
        _ = FileManager.default.createFile(atPath: destination, contents: nil, attributes: [.posixPermissions: 0o600])
        let output = try FileHandle(forWritingTo: URL(fileURLWithPath: destination))
        defer { try? output.close() }
        while let chunk = try input.read(upToCount: 1 << 20), !chunk.isEmpty { try output.write(contentsOf: chunk) }
        try output.synchronize()
    }
}

/// Why a backup was not made or not restored.
public enum BackupError: Error, Hashable, Sendable, CustomStringConvertible {
    case unreadable(String)
    case checksumMissing(String)
    case checksumMismatch(String, expected: String, found: String)
    case storeExists(String)
    case folderNotEmpty(String)
    /// The backup's file could not be created, with the system's reason.
    case cannotCreate(String, reason: String)
    /// The backup's file could not be flushed to disk, with the system's reason.
    case cannotFlush(String, reason: String)

    public var description: String {
        switch self {
        case .unreadable(let path): return "cannot read \(path)"
        case .checksumMissing(let path):
            return "no checksum at \(path): the backup cannot be checked (give --without-checksum to restore it all the same)"
        case .checksumMismatch(let path, let expected, let found):
            return "\(path) is damaged: its SHA-256 is \(found), but the backup wrote \(expected); use another backup"
        case .storeExists(let path): return "\(path) already holds a store; a restore never overwrites one"
        case .folderNotEmpty(let path): return "\(path) is not empty; restore into a new or empty folder"
        case .cannotCreate(let path, let reason): return "cannot create \(path): \(reason)"
        case .cannotFlush(let path, let reason): return "cannot flush \(path): \(reason)"
        }
    }
}
