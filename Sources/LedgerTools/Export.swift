import Crypto
import EventLog
import Foundation
import Ledger

/// What `manifest.json` of an export says: where the snapshot stands in the chain,
/// and the size and SHA-256 of every file.
public struct ExportManifest: Codable, Hashable, Sendable {
    public struct File: Codable, Hashable, Sendable {
        public var name: String
        public var bytes: Int
        public var sha256: String
    }

    public var product = "ansinh"
    /// The layout of an export; bumped when files change shape. 2: a view (public or
    /// internal), and names sealed in events.jsonl. 3: the Merkle tree's tiles and checkpoint.
    /// 4: public-events.jsonl, each event's public form (what a province loads).
    public var exportVersion = 4
    /// Who it is for: `public` (what may be published: organisations, consenting
    /// donors, initials with the cell or area for members and beneficiaries, no
    /// member's deposits by name) or `internal` (full names, for the ward's auditors).
    /// Absent from exports of version 1, which named everyone in full.
    public var view: String?
    public var storeFormatVersion: UInt32
    public var ward: String
    public var province: String
    public var createdAt: String
    /// The first position in events.jsonl (1 for a full export).
    public var fromPosition: UInt64
    /// The hash the first event continues from (64 zeros for a full export).
    public var previousHash: String
    public var headPosition: UInt64
    public var headHash: String
    public var eventCount: UInt64
    /// The Ed25519 public key (hex) whose signature is in manifest.sig, if signed.
    public var signingKey: String?
    /// The transparency log (from version 3): the checkpoints' origin, and the tree of
    /// the whole log at the head (its leaves are the events' hashes), whose C2SP tiles are
    /// under tile/ and whose checkpoint, signed when the export is, is `checkpoint`.
    public var origin: String?
    public var treeSize: UInt64?
    public var rootHash: String?
    public var files: [File]
}

/// Writes consistent snapshots of a ledger for publication and archive.
public enum Exporter {
    /// The head position of the last export written, where `export --incremental` goes on
    /// from (0 before the first).
    public static func lastExportedPosition(of ledger: Ledger) throws -> UInt64 {
        UInt64(try ledger.setting(lastPositionSetting) ?? "0") ?? 0
    }

    /// Remembers `manifest`'s head as the position the next incremental export goes on from.
    public static func remember(_ manifest: ExportManifest, in ledger: Ledger) throws {
        try ledger.setSetting(lastPositionSetting, to: String(manifest.headPosition))
    }

    static let lastPositionSetting = "export.lastPosition"

    /// Exports one read snapshot of `ledger` into the new folder `folder`: events.jsonl,
    /// every projection as JSON and CSV, and manifest.json (signed into manifest.sig
    /// when `signingKey` is given). Files are written into a hidden sibling folder and
    /// renamed into place only when complete, so a crash never leaves a folder that
    /// looks like an export.
    ///
    /// - Parameter sincePosition: export only the events after this position (an
    ///   incremental export continuing the chain from that event's hash).
    /// - Throws: when `folder` exists, or on any file or store error.
    /// - Parameter view: the public view unless `internal` is asked for (``NameView``).
    @discardableResult
    public static func export(
        _ ledger: Ledger, to folder: String, sincePosition: UInt64 = 0, signingKey: Curve25519.Signing.PrivateKey? = nil,
        view: NameView = .public, progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil
    ) throws -> ExportManifest {
        let fileManager = FileManager.default
        let target = URL(fileURLWithPath: folder).standardizedFileURL
        guard !fileManager.fileExists(atPath: target.path) else { throw ExportError.exists(target.path) }
        let partial = PartialWrite.start(for: target)
        try fileManager.createDirectory(at: partial, withIntermediateDirectories: true)
        do {
            let ward = try ledger.ward() ?? ""
            let province = try ledger.province() ?? ""
            let origin = try WardLog.origin(of: ledger)
            let signer = try signingKey.map { try NoteSigner(name: origin, kind: .ed25519, privateKey: $0) }
            var manifest = try ledger.snapshot { snapshot in
                try write(snapshot, into: partial, sincePosition: sincePosition, view: view, signer: signer, progress: progress)
            }
            manifest.origin = origin
            manifest.ward = ward
            manifest.province = province
            manifest.createdAt = ledger.now().iso8601
            manifest.signingKey = signingKey.map { hex(Array($0.publicKey.rawRepresentation)) }
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
            let manifestBytes = try encoder.encode(manifest) + Data("\n".utf8)
            try writeDurably(manifestBytes, to: partial.appendingPathComponent("manifest.json"))
            if let signingKey {
                let signature = try signingKey.signature(for: manifestBytes)
                try writeDurably(Data((hex(Array(signature)) + "\n").utf8), to: partial.appendingPathComponent("manifest.sig"))
            }
            try PartialWrite.finish(partial, onto: target)
            return manifest
        } catch {
            try? fileManager.removeItem(at: partial)
            throw error
        }
    }

    private static func write(
        _ snapshot: LedgerSnapshot, into folder: URL, sincePosition: UInt64, view: NameView, signer: NoteSigner?,
        progress: ((UInt64, UInt64) -> Void)?
    ) throws -> ExportManifest {
        let head = try snapshot.log.head()
        guard sincePosition <= head.position else { throw ExportError.sinceBeyondHead(sincePosition, head.position) }
        let previousHash = sincePosition == 0 ? ChainHash.genesis : try snapshot.log.event(at: sincePosition)!.hash
        var files: [ExportManifest.File] = []
        func add(_ name: String, _ data: Data) throws {
            try writeDurably(data, to: folder.appendingPathComponent(name))
            files.append(.init(name: name, bytes: data.count, sha256: hex(Array(SHA256.hash(data: data)))))
        }

        // The events, streamed to the file in chunks.
        let eventsURL = folder.appendingPathComponent("events.jsonl")
        _ = FileManager.default.createFile(atPath: eventsURL.path, contents: nil, attributes: [.posixPermissions: 0o644])
        let handle = try FileHandle(forWritingTo: eventsURL)
        var hasher = SHA256()
        var bytes = 0
        var buffer: [UInt8] = []
        buffer.reserveCapacity(1 << 20)
        var count: UInt64 = 0
        let total = head.position - sincePosition
        func flush() throws {
            hasher.update(data: buffer)
            bytes += buffer.count
            try handle.write(contentsOf: buffer)
            buffer.removeAll(keepingCapacity: true)
        }
        // Beside them, their public form: what a province loads (``PublicEntries``).
        let publicEvents = try StreamedFile(folder.appendingPathComponent(PublicEntries.fileName))
        var chained: ChainHash? = previousHash
        try snapshot.log.forEachEvent(from: sincePosition + 1) { event in
            try event.checkIntegrity(following: chained)
            chained = event.hash
            try event.appendJSONLine(to: &buffer)
            try publicEvents.write(try PublicEntries.line(event, in: snapshot) + "\n")
            count += 1
            if buffer.count >= 1 << 20 {
                try flush()
                progress?(count, total)
            }
        }
        try flush()
        try handle.synchronize()
        try handle.close()
        files.append(.init(name: "events.jsonl", bytes: bytes, sha256: hex(Array(hasher.finalize()))))
        files.append(try publicEvents.finish(name: PublicEntries.fileName))
        progress?(count, total)

        // The Merkle tree: its tiles and entry bundles, and the signed checkpoint.
        let tree = try snapshot.log.tree(size: head.position)
        files += try TileWriter.write(snapshot.log, size: tree.size, into: folder)
        let rootHash = try tree.root()
        if let signer {
            let note = try signer.sign(Checkpoint(origin: signer.key.name, size: tree.size, rootHash: rootHash).text)
            try add("checkpoint", Data(note.serialized.utf8))
        }

        // The projections, as JSON and CSV.
        let funds = try snapshot.funds()
        try add("funds.json", json(.array(try funds.map(Listings.fund))))
        try add("funds.csv", Data(try Listings.funds(funds).csv.utf8))
        let members = try snapshot.members(view: view)
        try add("members.json", json(Listings.members(members).json))
        try add("members.csv", Data(Listings.members(members).csv.utf8))
        if view == .internal {
            // Member histories are written member by member, so memory stays that of one member.
            let historiesJSON = try StreamedFile(folder.appendingPathComponent("member-histories.json"))
            let depositsCSV = try StreamedFile(folder.appendingPathComponent("member-deposits.csv"))
            try historiesJSON.write("[")
            try depositsCSV.write(Listings.deposits([]).csvHeader)
            var first = true
            for member in members {
                guard let history = try snapshot.memberHistory(member.memberId) else { continue }
                try historiesJSON.write((first ? "\n  " : ",\n  ") + Listings.history(json: history).serialized(indent: 1))
                try depositsCSV.write(Listings.deposits([history]).csvRows)
                first = false
            }
            try historiesJSON.write(first ? "]\n" : "\n]\n")
            files.append(try historiesJSON.finish(name: "member-histories.json"))
            files.append(try depositsCSV.finish(name: "member-deposits.csv"))
        }
        let pledges = try snapshot.pledges(view: view)
        try add("pledges.json", json(Listings.pledges(pledges).json))
        try add("pledges.csv", Data(Listings.pledges(pledges).csv.utf8))
        let cells = try snapshot.cells()
        try add("cells.json", json(Listings.cells(cells).json))
        try add("cells.csv", Data(Listings.cells(cells).csv.utf8))
        for model in try snapshot.models() {
            guard var summary = try snapshot.piggyBankSummary(model.modelId) else { continue }
            // In public, the cells' figures, and no member by name.
            if view == .public { summary.belowTarget = [] }
            try add("piggybank-\(model.modelId).json", json(Listings.summary(json: summary)))
            try add("piggybank-\(model.modelId)-cells.csv", Data(Listings.summaryCells(summary).csv.utf8))
            if view == .internal {
                try add("piggybank-\(model.modelId)-below-target.csv", Data(Listings.belowTarget(summary).csv.utf8))
            }
        }
        let periods = try snapshot.periods()
        try add("periods.json", json(Listings.periods(json: periods)))
        try add("periods.csv", Data(Listings.periods(periods).csv.utf8))
        for year in reportYears(funds: funds, head: head) {
            let report = try snapshot.periodReport(
                from: LocalDate(year: year, month: 1, day: 1)!, to: LocalDate(year: year, month: 12, day: 31)!)
            try add("report-\(year).json", json(try Listings.report(json: report, view: view)))
            try add("report-\(year).csv", Data(try Listings.reportFunds(report).csv.utf8))
            try add("report-\(year)-external-support.csv", Data(Listings.externalSupport(report, view: view).csv.utf8))
        }
        return ExportManifest(
            view: view.rawValue, storeFormatVersion: EventLog.formatVersion, ward: "", province: "",
            createdAt: Timestamp.now().iso8601, fromPosition: sincePosition + 1, previousHash: previousHash.hex,
            headPosition: head.position, headHash: head.hash.hex, eventCount: count, signingKey: nil,
            treeSize: tree.size, rootHash: hex(rootHash), files: files.sorted { $0.name < $1.name })
    }

    /// The calendar years the funds have been open, through the year of the last entry.
    private static func reportYears(funds: [FundBalance], head: LogHead) -> [Int] {
        guard let first = funds.map(\.openedOn).min() else { return [] }
        let last = max(LocalDate(at: head.recordedAt).components.year, funds.map(\.openedOn.components.year).max() ?? 0)
        return Array(first.components.year...max(first.components.year, last))
    }

    private static func json(_ value: JSONOut) -> Data { Data((value.serialized() + "\n").utf8) }
}

/// A file written in pieces, hashed as it goes, flushed to disk when finished.
final class StreamedFile {
    private let handle: FileHandle
    private var hasher = SHA256()
    private var bytes = 0

    init(_ url: URL) throws {
        _ = FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o644])
        handle = try FileHandle(forWritingTo: url)
    }

    func write(_ text: String) throws {
        let data = Data(text.utf8)
        hasher.update(data: data)
        bytes += data.count
        try handle.write(contentsOf: data)
    }

    func finish(name: String) throws -> ExportManifest.File {
        try handle.synchronize()
        try handle.close()
        return ExportManifest.File(name: name, bytes: bytes, sha256: hex(Array(hasher.finalize())))
    }
}

/// Why an export was not written.
public enum ExportError: Error, CustomStringConvertible {
    case exists(String)
    case sinceBeyondHead(UInt64, UInt64)
    case cannotWrite(String, String)

    public var description: String {
        switch self {
        case .exists(let path): return "\(path) already exists; exports and backups are written only to a new path"
        case .cannotWrite(let path, let reason): return "cannot write \(path): \(reason)"
        case .sinceBeyondHead(let since, let head): return "position \(since) is past the log's head \(head)"
        }
    }
}

/// Files and folders are written beside their target under a hidden partial name,
/// `.NAME.partial-PID-RANDOM`, flushed, and renamed onto the target only when whole.
/// Those left in the same folder by processes that no longer run (killed mid-write)
/// are removed the next time anything is written there.
public enum PartialWrite {
    /// A fresh partial path for `target`, after removing those abandoned beside it.
    public static func start(for target: URL) -> URL {
        let folder = target.deletingLastPathComponent()
        for name in (try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? [] {
            guard let pid = abandonedWriter(name), kill(pid, 0) != 0, errno == ESRCH else { continue }
            try? FileManager.default.removeItem(at: folder.appendingPathComponent(name))
        }
        return folder.appendingPathComponent(".\(target.lastPathComponent).partial-\(getpid())-\(UUID().uuidString.prefix(8))")
    }

    /// The process id in a partial name `.NAME.partial-PID-XXXXXXXX`, or nil for any other name.
    static func abandonedWriter(_ name: String) -> Int32? {
        guard name.hasPrefix("."), let marker = name.range(of: ".partial-", options: .backwards) else { return nil }
        let parts = name[marker.upperBound...].split(separator: "-")
        guard parts.count == 2, parts[1].count == 8, parts[1].allSatisfy(\.isHexDigit), let pid = Int32(parts[0]), pid > 0
        else { return nil }
        return pid
    }

    /// Renames the whole `partial` onto `target`, never replacing what is there: when
    /// two processes write the same target at once, the first wins and the other is
    /// told the target exists. Flushes the folder holding it.
    public static func finish(_ partial: URL, onto target: URL) throws {
        func failure(_ code: Int32) -> ExportError {
            code == EEXIST || code == ENOTEMPTY ? .exists(target.path) : .cannotWrite(target.path, String(cString: strerror(code)))
        }
        var isFolder: ObjCBool = false
        _ = FileManager.default.fileExists(atPath: partial.path, isDirectory: &isFolder)
        if isFolder.boolValue {
            // rename(2) will not replace a folder that has entries.
            guard rename(partial.path, target.path) == 0 else { throw failure(errno) }
        } else if link(partial.path, target.path) == 0 {
            // link(2) never replaces a file.
            unlink(partial.path)
        } else {
            let code = errno
            // A file system without hard links (a FAT or exFAT USB drive, some network shares):
            // check, then rename, which leaves only a narrow race with another writer.
            guard code == EPERM || code == EOPNOTSUPP || code == EMLINK || code == EXDEV else { throw failure(code) }
            guard !FileManager.default.fileExists(atPath: target.path) else { throw ExportError.exists(target.path) }
            guard rename(partial.path, target.path) == 0 else { throw failure(errno) }
        }
        syncFolder(target.deletingLastPathComponent().path)
    }
}


/// Writes `data` and flushes it to disk before returning.
public func writeDurably(_ data: Data, to url: URL) throws {
    _ = FileManager.default.createFile(atPath: url.path, contents: nil, attributes: [.posixPermissions: 0o644])
    let handle = try FileHandle(forWritingTo: url)
    defer { try? handle.close() }
    try handle.write(contentsOf: data)
    try handle.synchronize()
}

/// Flushes a folder's entries (a rename) to disk.
public func syncFolder(_ path: String) {
    let descriptor = open(path, O_RDONLY)
    guard descriptor >= 0 else { return }
    fsync(descriptor)
    close(descriptor)
}
