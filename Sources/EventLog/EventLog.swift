import Foundation
import LMDB

/// An append-only, hash-chained event log in one LMDB store.
///
/// Every event gets the next global position (1, 2, 3, … with no gaps), a version in
/// its stream, the instant it was recorded, and a SHA-256 hash over the previous
/// hash and its own canonical bytes. Appends are idempotent by event id, checked
/// against the stream's expected version, and atomic per write transaction.
///
/// ```swift
/// let log = try EventLog(path: "ansinh-data")
/// let result = try log.append(
///     [NewEvent(type: "FundOpened", data: .object(["fundId": .text("khuyen-hoc")]))],
///     to: "fund-khuyen-hoc", expecting: .noStream, actor: "clerk")
/// ```
///
/// Several processes may use one store at once: LMDB serialises their write
/// transactions, and readers never block the writer.
public final class EventLog: Sendable {
    /// The store format this program writes and reads; a store with a higher one is refused.
    public static let formatVersion: UInt32 = 1

    public let path: String
    public let options: Options
    let environment: Environment
    let databases: Databases
    let projections: [any InlineProjection]

    /// When a committed write transaction reaches the disk.
    public enum Durability: Sendable, Equatable {
        /// Each commit is flushed before the write returns: a crash of the process, the
        /// system or the power loses no committed write. The only setting for a ward.
        case synchronous
        /// Commits are not flushed: for a scratch store (an audit's replay) or a bulk load
        /// into a store that is thrown away if the machine fails.
        case bulkLoadNoSync
    }

    /// How a log is opened. Limits are checked where data enters.
    public struct Options: Sendable {
        /// The storage engine's own settings; callers use the properties below.
        public var environment: Environment.Options = {
            var options = Environment.Options()
            options.databaseCountMax = 64  // the log's five, and room for many read models' tables
            return options
        }()

        /// When commits reach the disk.
        public var durability: Durability {
            get { environment.durability == .bulkLoadNoSync ? .bulkLoadNoSync : .synchronous }
            set { environment.durability = newValue == .bulkLoadNoSync ? .bulkLoadNoSync : .synchronous }
        }

        /// The size the store's map starts at; it grows when it fills.
        public var mapSizeBytesInitial: Int {
            get { environment.mapSizeBytesInitial }
            set { environment.mapSizeBytesInitial = newValue }
        }

        /// How many readers (processes' snapshots) may hold the store at once.
        public var readerCountMax: UInt32 {
            get { environment.readerCountMax }
            set { environment.readerCountMax = newValue }
        }
        /// Create the folder and the store when they do not exist.
        public var createIfMissing = true
        /// Where `recordedAt` comes from; the log never lets it go backwards.
        public var clock: @Sendable () -> Timestamp = { Timestamp.now() }
        public var limits = Limits()
        /// Events folded per transaction when a projection is rebuilt or catches up as
        /// the store opens: bounds the memory a long log takes to fold.
        public var projectionBatchEventCountMax = 100_000

        /// Open for reading only: nothing is written, not even to bring projections up
        /// to date (a store whose projections lag behind is refused).
        public var readOnly: Bool {
            get { environment.readOnly }
            set { environment.readOnly = newValue }
        }

        public init() {}
    }

    /// Named maximums, units last.
    public struct Limits: Sendable {
        public var typeBytesMax = 128
        public var streamBytesMax = 256
        public var recordedByBytesMax = 256
        public var dataBytesMax = 64 * 1024
        /// Events one write transaction may append.
        public var transactionEventCountMax = 1_000_000

        public init() {}
    }

    struct Databases: Sendable {
        /// position (native u64, `MDB_INTEGERKEY`) → event record.
        let events: Database
        /// event id (16 bytes) → position (native u64).
        let eventIds: Database
        /// stream ‖ 0x00 ‖ version (big-endian u64) → position (native u64).
        let streams: Database
        /// Store-wide settings, such as the format version.
        let meta: Database
        /// projection or subscriber name → last position applied (native u64).
        let checkpoints: Database
        /// The log's Merkle tree: the leaf completing a node (big-endian u64) ‖ its level
        /// (u8) → its 32-byte hash (``LogTree``); `nil` in a store of an earlier version
        /// opened read-only.
        let tree: Database?
    }

    static let formatKey = "format"
    static let createdAtKey = "createdAt"

    /// Opens the store at `path`, creating it if allowed, and brings each inline
    /// projection `makeProjections` returns up to the log's head.
    ///
    /// - Throws: ``LogError/storeNotFound(path:)``, ``LogError/unsupportedStoreFormat(found:supported:)``,
    ///   ``LogError/notAStore(path:)``, or ``StoreError`` when the files cannot be used.
    public init(
        path: String, options: Options = Options(),
        projections makeProjections: (ProjectionSetup) throws -> [any InlineProjection] = { _ in [] }
    ) throws {
        self.path = path
        self.options = options
        do {
            try Self.prepareFolder(path: path, create: options.createIfMissing && !options.readOnly)
            let environment = try Environment(path: path, options: options.environment)
            self.environment = environment
            let readOnly = options.readOnly
            (databases, projections) = try environment.openingDatabases { transaction in
                let create: Database.Flags = readOnly ? [] : .create
                func open(_ name: String, _ flags: Database.Flags = []) throws -> Database {
                    do {
                        return try transaction.openDatabase(name, flags: flags.union(create))
                    } catch LMDBError.notFound {
                        throw LogError.notAStore(path: path)
                    }
                }
                let meta = try open("meta")
                try Self.checkFormat(meta: meta, in: transaction, clock: options.clock)
                try Self.checkIdentity(path: path, meta: meta, in: transaction)
                let tree: Database?
                do {
                    tree = try transaction.openDatabase("tree", flags: create)
                } catch LMDBError.notFound {
                    tree = nil
                }
                let databases = Databases(
                    events: try open("events", .integerKey), eventIds: try open("event-ids"),
                    streams: try open("streams"), meta: meta, checkpoints: try open("checkpoints"), tree: tree)
                let projections = try makeProjections(ProjectionSetup(transaction: transaction))
                precondition(
                    Set(projections.map(\.name)).count == projections.count, "two inline projections share a name")
                return (databases, projections)
            }
            if !readOnly {
                // A store of an earlier version gets its Merkle tree now, in bounded transactions.
                try completeTree(batchEventCountMax: options.projectionBatchEventCountMax)
            }
            guard !projections.isEmpty else { return }
            if readOnly {
                try environment.read { transaction in
                    for projection in projections {
                        let stored = try Self.storedFormat(of: projection, in: transaction, meta: databases.meta)
                        if stored != projection.formatVersion { throw LogError.projectionsOutdated(name: projection.name) }
                    }
                }
                return
            }
            // A projection kept in another layout (or none yet) is emptied and its
            // checkpoint reset; it is then folded again from position 1.
            try environment.write { transaction in
                for projection in projections {
                    let stored = try Self.storedFormat(of: projection, in: transaction, meta: databases.meta)
                    guard stored != projection.formatVersion else { continue }
                    // A projection new to this store starts from empty tables too: a table it
                    // takes over from a retired one may hold rows of another layout.
                    try projection.removeAll(in: Tables(transaction))
                    try transaction.put(databases.checkpoints, key: projection.name, value: UInt64(0))
                    var format: [UInt8] = []
                    EventRecord.appendBigEndian(projection.formatVersion, to: &format)
                    try transaction.put(databases.meta, key: Self.projectionFormatKey(projection), value: format)
                }
            }
            // Projections refolded above, or left behind by an interrupted rebuild, fold
            // on in bounded transactions.
            try foldLaggingProjections(batchEventCountMax: options.projectionBatchEventCountMax, progress: nil)
        } catch let error as LMDBError {
            throw StoreError(error)
        }
    }

    static func projectionFormatKey(_ projection: any InlineProjection) -> String { "projection." + projection.name + ".format" }

    static func storedFormat(of projection: any InlineProjection, in transaction: Transaction, meta: Database) throws -> UInt32? {
        guard let bytes = try transaction.get(meta, projectionFormatKey(projection)), bytes.count == 4 else { return nil }
        return bytes.loadBigEndian(fromByteOffset: 0, as: UInt32.self)
    }

    /// Makes sure the folder holds a store that may be opened: its data file exists (or
    /// may be created, when `create` and there is none), is not empty, and is as long as
    /// its header says, before LMDB reads a page of it. An empty data file is never taken
    /// for a new store: it is a store whose data was lost.
    private static func prepareFolder(path: String, create: Bool) throws {
        var isFolder: ObjCBool = false
        if FileManager.default.fileExists(atPath: path, isDirectory: &isFolder) {
            guard isFolder.boolValue else { throw LogError.storeNotAFolder(path: path) }
        } else {
            guard create else { throw LogError.storeNotFound(path: path) }
            try FileManager.default.createDirectory(
                atPath: path, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        do {
            _ = try DataFile(folder: path)
        } catch .missing {
            guard create else { throw LogError.storeNotFound(path: path) }
        } catch .empty(let file) {
            throw LogError.dataFileEmpty(path: file)
        } catch .unreadable(_, let code) where code == EACCES || code == EPERM {
            // Not damage: this user may not read the store, which its owner may.
            throw StoreError.accessDenied
        } catch {
            throw LogError.damagedStore(reason: "\(error)")
        }
    }

    /// Checks the structure of the store's data file at `path` by reading it directly,
    /// not through LMDB: its header and length, then every page of every tree, while a
    /// read snapshot keeps writers from reusing the pages walked. Nothing is written.
    /// - Throws: ``LogError/damagedStore(_:)`` naming the first bad page and its database,
    ///   ``LogError/storeNotFound(path:)`` or ``LogError/dataFileEmpty(path:)``.
    public static func checkStructure(path: String, progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil) throws
        -> StoreStructure
    {
        StoreStructure(try storage { try walkStructure(path: path, progress: progress) })
    }

    private static func walkStructure(path: String, progress: ((UInt64, UInt64) -> Void)?) throws -> DataFile.StructureReport {
        try prepareFolder(path: path, create: false)
        if !FileManager.default.fileExists(atPath: lockFilePath(path)) {
            // No process has the store open (a backup, a copy): nothing to hold still, and
            // opening it would leave a lock file beside it.
            do {
                return try DataFile(folder: path).checkStructure(progress: progress)
            } catch {
                throw LogError.damagedStore(reason: "\(error)")
            }
        }
        var options = Environment.Options()
        options.readOnly = true
        let environment = try Environment(path: path, options: options)
        return try environment.read { transaction in
            do {
                return try DataFile(folder: path).checkStructure(transactionId: transaction.id, progress: progress)
            } catch let problem as DataFileProblem {
                throw LogError.damagedStore(reason: "\(problem)")
            }
        }
    }

    static let storeIdKey = "storeId"
    /// The file beside the data file that names the store it belongs to.
    static let storeIdFileName = "store-id"

    /// The store's identity: a random id kept in its data file, and the same id in the
    /// file `store-id` beside it, so that a data file swapped for another store's (a
    /// copy from the wrong folder, a restore gone astray) is refused, not read as this
    /// store. A store without an id gets one on its first writable open; a folder
    /// without the file gets it then too (a restored backup).
    private static func checkIdentity(path: String, meta: Database, in transaction: Transaction) throws {
        let file = path + "/" + storeIdFileName
        let folderId = (try? String(contentsOfFile: file, encoding: .utf8)).map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }
        var stored = try transaction.get(meta, storeIdKey).map { Array($0) }
        if stored == nil, let writable = transaction as? WriteTransaction {
            // A store without an id takes the folder's, when an earlier open wrote the file
            // but not the id (it failed before committing); else a new one.
            let id = folderId.flatMap(Self.idBytes) ?? withUnsafeBytes(of: UUID().uuid) { Array($0) }
            try writable.put(meta, key: storeIdKey, value: id)
            stored = id
        }
        guard let stored else { return }
        let id = stored.map { String(format: "%02x", $0) }.joined()
        if let folderId {
            guard folderId == id else {
                throw LogError.damagedStore(
                    reason: "the data file belongs to another store (its id is \(id), but this folder's store-id file names \(folderId)); "
                        + "put back this store's own data file, or restore it from a backup")
            }
        } else if transaction is WriteTransaction {
            guard FileManager.default.createFile(atPath: file, contents: Data((id + "\n").utf8), attributes: [.posixPermissions: 0o600])
            else { throw StoreError.accessDenied }
        }
    }

    /// The 16 bytes of an id written as 32 hex digits, or `nil`.
    private static func idBytes(_ text: String) -> [UInt8]? {
        let digits = Array(text.utf8)
        guard digits.count == 32 else { return nil }
        var bytes: [UInt8] = []
        for index in stride(from: 0, to: 32, by: 2) {
            guard let byte = UInt8(String(decoding: digits[index..<(index + 2)], as: UTF8.self), radix: 16) else { return nil }
            bytes.append(byte)
        }
        return bytes
    }

    private static func checkFormat(meta: Database, in transaction: Transaction, clock: () -> Timestamp) throws {
        if let stored = try transaction.get(meta, formatKey) {
            guard stored.count == 4 else { throw LogError.unsupportedStoreFormat(found: UInt32.max, supported: formatVersion) }
            let found = stored.loadBigEndian(fromByteOffset: 0, as: UInt32.self)
            guard found <= formatVersion else {
                throw LogError.unsupportedStoreFormat(found: found, supported: formatVersion)
            }
            return
        }
        guard let writable = transaction as? WriteTransaction else { return }
        var format: [UInt8] = []
        EventRecord.appendBigEndian(formatVersion, to: &format)
        try writable.put(meta, key: formatKey, value: format)
        try writable.put(meta, key: createdAtKey, value: clock().iso8601)
    }

    /// Runs `body` in a read snapshot of the log; everything it reads is consistent
    /// with one head. Views it is given are valid only inside it.
    public func read<Result>(_ body: (LogReader) throws -> Result) throws -> Result {
        try storage {
            try environment.read { transaction in
                try body(LogReader(transaction: transaction, databases: databases))
            }
        }
    }

    /// Runs `body` in one write transaction: every event it appends, and everything
    /// inline projections and `body` write, commit together when it returns, or
    /// not at all when it throws.
    ///
    /// `body` may run more than once (when the store's map must grow), so it must
    /// have no effect outside the transaction.
    /// - Parameter actor: who records the events (`recordedBy`).
    public func write<Result>(actor: String, _ body: (LogWriter) throws -> Result) throws -> Result {
        try storage {
            try environment.write { transaction in
                let writer = try LogWriter(log: self, transaction: transaction, actor: actor)
                let result = try body(writer)
                try writer.finish()
                return result
            }
        }
    }

    /// Appends `events` to `stream` in one transaction; see ``LogWriter/append(_:to:expecting:)``.
    @discardableResult
    public func append(
        _ events: [NewEvent], to stream: String, expecting expected: ExpectedVersion = .any, actor: String
    ) throws -> AppendResult {
        try write(actor: actor) { try $0.append(events, to: stream, expecting: expected) }
    }

    /// The last position and its hash, in one read.
    public func head() throws -> LogHead {
        try read { try $0.head() }
    }

    /// A descriptive setting of the store (the ward's name, say), or `nil`. Settings are
    /// not part of the hash chain.
    public func setting(_ name: String) throws -> String? {
        try read { reader in
            try reader.transaction.get(databases.meta, Self.settingPrefix + name).map { String(decoding: $0, as: UTF8.self) }
        }
    }

    /// Stores a descriptive setting of the store.
    public func setSetting(_ name: String, to value: String) throws {
        try storage {
            try environment.write { transaction in
                try transaction.put(databases.meta, key: Self.settingPrefix + name, value: value)
            }
        }
    }

    /// Changes a setting in one write transaction: `change` is given its value (`nil`
    /// when absent) and returns the new one (`nil` or empty to remove it).
    public func updateSetting(_ name: String, _ change: (String?) -> String?) throws {
        try storage {
            try environment.write { transaction in
                let key = Self.settingPrefix + name
                let old = try transaction.get(databases.meta, key).map { String(decoding: $0, as: UTF8.self) }
                if let new = change(old), !new.isEmpty {
                    try transaction.put(databases.meta, key: key, value: new)
                } else if old != nil {
                    try transaction.delete(databases.meta, key: key)
                }
            }
        }
    }

    static let settingPrefix = "setting."

    /// The instant the store was created, as written in it.
    public func createdAt() throws -> Timestamp? {
        try read { reader in
            guard let raw = try reader.transaction.get(databases.meta, Self.createdAtKey) else { return nil }
            return Timestamp(iso8601: String(decoding: raw, as: UTF8.self))
        }
    }
}

/// The end of the log: its last position (0 when empty) and that event's hash
/// (``ChainHash/genesis`` when empty).
public struct LogHead: Hashable, Sendable {
    public var position: UInt64
    public var hash: ChainHash
    public var recordedAt: Timestamp

    public static let empty = LogHead(position: 0, hash: .genesis, recordedAt: Timestamp(microsecondsSince1970: 0))
}

/// An event to append. Its data must be deterministic CBOR (build it from a ``Payload``).
public struct NewEvent: Hashable, Sendable {
    /// Appending an id that is already stored, for the same event, changes nothing.
    public var eventId: UUID
    public var type: String
    public var schemaVersion: UInt32
    public var data: [UInt8]
    /// The instant it was first recorded, kept when a store is migrated into a new one;
    /// `nil` (always, otherwise): the store's clock. Never earlier than the head's.
    public var recordedAt: Timestamp?

    public init(eventId: UUID = UUID(), type: String, schemaVersion: UInt32 = 1, data: Payload) {
        self.init(eventId: eventId, type: type, schemaVersion: schemaVersion, canonicalData: data.canonicalBytes())
    }

    /// `canonicalData` is checked on append; non-canonical bytes are refused.
    public init(eventId: UUID = UUID(), type: String, schemaVersion: UInt32 = 1, canonicalData: [UInt8]) {
        self.eventId = eventId
        self.type = type
        self.schemaVersion = schemaVersion
        self.data = canonicalData
    }
}

/// What an append did, event by event.
public struct AppendResult: Hashable, Sendable {
    public struct Appended: Hashable, Sendable {
        public var eventId: UUID
        public var position: UInt64
        public var streamVersion: UInt64
        /// The id was already stored for this same event: nothing was written, and
        /// `position` is where it was first stored.
        public var wasAlreadyStored: Bool
    }

    /// One entry per event given, in order.
    public var events: [Appended]
    /// The stream's version after the append.
    public var streamVersion: UInt64

    /// Every event was already stored: the append changed nothing.
    public var changedNothing: Bool { events.allSatisfy(\.wasAlreadyStored) }
}

/// What a structural check of a store's data file walked.
public struct StoreStructure: Sendable, Equatable {
    /// Pages reached from the store's trees.
    public var pagesReached: UInt64
    /// Pages on the free list.
    public var pagesFree: UInt64
    /// The pages the data file uses (the highest page number in use, plus one).
    public var pagesInUse: UInt64
    /// The named databases walked.
    public var databases: [String]

    init(_ report: DataFile.StructureReport) {
        pagesReached = report.pagesReached
        pagesFree = report.pagesFree
        pagesInUse = report.pagesInUse
        databases = report.databases
    }
}
