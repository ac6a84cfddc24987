import Crypto
import Foundation

/// The keys of a ledger's data subjects (party members, individual donors,
/// beneficiaries): one random 256-bit key per person, kept in a file of its own beside
/// the log, `people.keys`, never in the log or its read models. The log keeps each
/// name sealed under its person's key (``SealedName``); destroying the key erases the
/// name, while every figure and every hash of the chain stays as it was.
///
/// The file is a header and fixed-size slots, one per subject, numbered from 1 in the
/// order subjects were first recorded (subject `ds-000001` is slot 1):
///
///     header (64 bytes): "ansinh.keys.v1" ‖ 0 0 | ward secret (32) | erasures (u64 BE)
///                        | zero (4) | CRC-32C of the 60 bytes before it
///     slot (96 bytes):   1 | role (1) | 0 0 | number (u32 BE) | key (32)
///                        | identity tag (32) | zero (20) | CRC-32C of the 92 bytes before it
///
/// The identity tag is HMAC-SHA256 under the ward secret of the role and the person's
/// identity (a member's id; a donor's or beneficiary's name, in NFC): it finds a
/// person's subject again without the name being stored. An erased slot is 96 zero
/// bytes, written over the slot in place: the file is never copied, compacted or
/// grown by rewriting, so no earlier copy of a key survives in it (on a file system
/// that overwrites in place, such as ext4 or XFS; not a copy-on-write one).
///
/// Slots are appended while the log's writer holds its lock, and flushed before the
/// log commits the events that seal names under them; that transaction also stores how
/// many slots the log now relies on (``NewSubjects/count``). Slots past that count were
/// written for a batch that never committed (a crash, a power cut mid-write): the next
/// batch that names someone new cuts them off before numbering, so a torn slot is
/// never mistaken for damage, nor a number given twice. Writes take an exclusive
/// `flock` on the file and reads a shared one, so an erasure in one process and a
/// recording or a look-up in another never interleave. Reads check each slot's CRC.
public final class SubjectKeys: @unchecked Sendable {
    /// The file's name in the store's folder.
    public static let fileName = "people.keys"
    static let magic = Array("ansinh.keys.v1".utf8) + [0, 0]
    static let headerSize = 64
    static let slotSize = 96

    public let path: String
    private let descriptor: Int32
    private let readOnly: Bool
    private let secret: SymmetricKey
    private let lock = NSLock()
    /// identity tag → slot number, of the live slots read so far, and what it was read
    /// from: the file's length and its erasure count.
    private var index: [Data: UInt32] = [:]
    private var indexedLength = 0
    private var indexedErasures: UInt64 = 0

    /// Opens the keys of the store in `folder`, creating the file when `create`.
    /// - Throws: ``SubjectKeysError``.
    public init(folder: String, create: Bool, readOnly: Bool = false) throws {
        path = folder + "/" + Self.fileName
        self.readOnly = readOnly
        var flags = readOnly ? O_RDONLY : O_RDWR
        flags |= O_CLOEXEC
        var descriptor = open(path, flags)
        if descriptor < 0, errno == ENOENT, create, !readOnly {
            descriptor = try Self.createFile(at: path)
        }
        guard descriptor >= 0 else {
            if errno == ENOENT { throw SubjectKeysError.missing(path) }
            throw SubjectKeysError.cannotOpen(path, reason: String(cString: strerror(errno)))
        }
        self.descriptor = descriptor
        do {
            let header = try Self.read(descriptor, at: 0, count: Self.headerSize, path: path)
            guard header.count == Self.headerSize, Array(header[0..<16]) == Self.magic, Self.checksumHolds(header) else {
                throw SubjectKeysError.damaged(path, detail: "its header")
            }
            secret = SymmetricKey(data: header[16..<48])
        } catch {
            close(descriptor)
            throw error
        }
    }

    deinit { close(descriptor) }

    /// A new file with a new ward secret, flushed with its folder.
    private static func createFile(at path: String) throws -> Int32 {
        let partial = path + ".new"
        let descriptor = open(partial, O_RDWR | O_CREAT | O_TRUNC | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw SubjectKeysError.cannotOpen(path, reason: String(cString: strerror(errno))) }
        var header = magic
        header += SymmetricKey(size: .bits256).withUnsafeBytes { Array($0) }
        header += [UInt8](repeating: 0, count: 12)
        header += checksum(header)
        guard pwrite(descriptor, header, header.count, 0) == header.count, fsync(descriptor) == 0,
            rename(partial, path) == 0
        else {
            let reason = String(cString: strerror(errno))
            close(descriptor)
            unlink(partial)
            throw SubjectKeysError.cannotWrite(path, reason: reason)
        }
        let folder = open((path as NSString).deletingLastPathComponent, O_RDONLY | O_DIRECTORY | O_CLOEXEC)
        if folder >= 0 {
            fsync(folder)
            close(folder)
        }
        return descriptor
    }

    /// The subject id of slot `number`.
    public static func subjectId(_ number: UInt32) -> String {
        let digits = String(number)
        return "ds-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The slot number of a subject id, or `nil` when it is not one.
    public static func number(ofSubject subjectId: String) -> UInt32? {
        // `ds-`, then six ASCII digits, or more with no leading zero.
        var text = subjectId
        text.makeContiguousUTF8()  // nothing to do for a native string
        return text.utf8.withContiguousStorageIfAvailable { bytes -> UInt32? in
            guard bytes.count >= 9, bytes.count <= 13, bytes[0] == UInt8(ascii: "d"), bytes[1] == UInt8(ascii: "s"),
                bytes[2] == UInt8(ascii: "-"), bytes.count == 9 || bytes[3] != UInt8(ascii: "0")
            else { return nil }
            var number: UInt64 = 0
            for byte in bytes[3...] {
                guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
                number = number * 10 + UInt64(byte - UInt8(ascii: "0"))
            }
            guard number > 0, number <= UInt64(UInt32.max) else { return nil }
            return UInt32(number)
        } ?? nil
    }

    /// The tag that finds the subject of `identity` in `role` again. `identity` is in
    /// NFC already: a checked field (a name, an id) of a normalised event.
    func tag(_ role: SubjectRole, _ identity: String) -> Data {
        var message = Data([role.byte])
        message.append(contentsOf: identity.utf8)
        return Data(HMAC<SHA256>.authenticationCode(for: message, using: secret))
    }

    /// The live subject of `identity` (in NFC) in `role`, if one was recorded and not erased.
    public func find(_ role: SubjectRole, _ identity: String) throws -> (number: UInt32, key: SymmetricKey)? {
        try lock.withLock {
            try withFileLock(LOCK_SH) {
                try refreshIndex()
                let tag = tag(role, identity)
                guard let number = index[tag], let live = try slot(number), live.tag == tag else { return nil }
                return (number, live.key)
            }
        }
    }

    /// The subject of `identity` in `role`: the live one, or one first named in `new`
    /// (this transaction), or a new one numbered and keyed in `new`, written to the file
    /// by ``persist(_:)`` just before the transaction commits. Call it while holding
    /// the log's writer lock, which every process takes before numbering a subject.
    public func findOrReserve(_ role: SubjectRole, _ identity: String, in new: NewSubjects) throws -> (number: UInt32, key: SymmetricKey) {
        precondition(!readOnly, "a subject created in keys opened read-only")
        return try lock.withLock {
            try withFileLock(LOCK_EX) {
                if !new.tailChecked, let committed = new.committedCount { try cutUncommittedSlots(keeping: committed) }
                new.tailChecked = true
                try refreshIndex()
            }
            let tag = tag(role, identity)
            if let number = index[tag], let live = try withFileLock(LOCK_SH, { try slot(number) }), live.tag == tag {
                return (number, live.key)
            }
            if let reserved = new.reserved[tag] { return (new.slots[reserved].number, new.slots[reserved].key) }
            if new.slots.isEmpty { new.firstOffset = try fileLength() }
            let number = UInt32((new.firstOffset - Self.headerSize) / Self.slotSize + new.slots.count + 1)
            let key = SymmetricKey(size: .bits256)
            new.reserved[tag] = new.slots.count
            new.slots.append(NewSubjects.Slot(number: number, role: role, key: key, tag: tag))
            return (number, key)
        }
    }

    /// Writes the subjects `new` numbered, after the file's last slot, and flushes.
    /// - Throws: ``SubjectKeysError/cannotWrite(_:reason:)`` when it cannot, or when
    ///   the file grew since they were numbered (nothing is written then).
    public func persist(_ new: NewSubjects) throws {
        guard !new.slots.isEmpty else { return }
        precondition(!readOnly, "subjects written in keys opened read-only")
        try lock.withLock {
            try withFileLock {
                guard try fileLength() == new.firstOffset else {
                    throw SubjectKeysError.cannotWrite(path, reason: "another writer added people while this batch was recorded")
                }
                var bytes: [UInt8] = []
                for slot in new.slots {
                    var slotBytes: [UInt8] = [1, slot.role.byte, 0, 0]
                    withUnsafeBytes(of: slot.number.bigEndian) { slotBytes += $0 }
                    slotBytes += slot.key.withUnsafeBytes { Array($0) }
                    slotBytes += slot.tag
                    slotBytes += [UInt8](repeating: 0, count: 20)
                    slotBytes += Self.checksum(slotBytes)
                    bytes += slotBytes
                }
                guard pwrite(descriptor, bytes, bytes.count, off_t(new.firstOffset)) == bytes.count, fsync(descriptor) == 0 else {
                    throw SubjectKeysError.cannotWrite(path, reason: String(cString: strerror(errno)))
                }
                if indexedLength == new.firstOffset {
                    for slot in new.slots { index[slot.tag] = slot.number }
                    indexedLength += bytes.count
                }
                new.count = new.slots.last!.number
                new.slots.removeAll()
                new.reserved.removeAll()
            }
        }
    }

    /// The key of subject `number`: `nil` once it was erased (or never written).
    /// - Throws: ``SubjectKeysError/damaged(_:detail:)`` when its slot's checksum fails.
    public func key(_ number: UInt32) throws -> SymmetricKey? {
        try lock.withLock { try withFileLock(LOCK_SH) { try slot(number)?.key } }
    }

    /// Writes zeros over subject `number`'s slot, in place, and flushes: its key and
    /// identity tag are gone from the file. Idempotent.
    public func erase(_ number: UInt32) throws {
        precondition(!readOnly, "a subject erased in keys opened read-only")
        try lock.withLock {
            try withFileLock {
                let offset = Self.headerSize + Int(number - 1) * Self.slotSize
                guard offset + Self.slotSize <= (try fileLength()) else { return }
                let zeros = [UInt8](repeating: 0, count: Self.slotSize)
                guard pwrite(descriptor, zeros, zeros.count, off_t(offset)) == zeros.count else {
                    throw SubjectKeysError.cannotWrite(path, reason: String(cString: strerror(errno)))
                }
                try countChange()
            }
        }
    }

    /// Counts a change to slots already written (an erasure, a cut) in the header, and
    /// flushes: other processes see the count move and read their index afresh.
    private func countChange() throws {
        var header = Array(try Self.read(descriptor, at: 0, count: Self.headerSize, path: path))
        let changes = header[48..<56].reduce(UInt64(0)) { $0 << 8 | UInt64($1) } &+ 1
        withUnsafeBytes(of: changes.bigEndian) { header.replaceSubrange(48..<56, with: $0) }
        header.replaceSubrange(60..<64, with: Self.checksum(Array(header[0..<60])))
        guard pwrite(descriptor, header, header.count, 0) == header.count, fsync(descriptor) == 0 else {
            throw SubjectKeysError.cannotWrite(path, reason: String(cString: strerror(errno)))
        }
        index = [:]
        indexedLength = 0
    }

    /// Cuts off the slots past the first `count`, which no committed event uses: they
    /// were written for a batch that did not commit, and may be torn. Called with the
    /// log's writer lock and the file's lock held.
    /// - Throws: ``SubjectKeysError/damaged(_:detail:)`` when the file holds fewer slots
    ///   than the log uses (a keys file older than its store).
    private func cutUncommittedSlots(keeping count: UInt32) throws {
        let end = Self.headerSize + Int(count) * Self.slotSize
        let length = try fileLength()
        guard length >= end else {
            let held = max(0, length - Self.headerSize) / Self.slotSize
            throw SubjectKeysError.damaged(
                path, detail: "its length: it holds the keys of \(held) people, the log names \(count); it is older than the store")
        }
        guard length > end else { return }
        guard ftruncate(descriptor, off_t(end)) == 0 else { throw SubjectKeysError.cannotWrite(path, reason: String(cString: strerror(errno))) }
        try countChange()
    }

    /// A copy of the file at `destination`, flushed: for a backup. Taken under the
    /// file's lock, so it holds no half-written slot.
    public func copy(to destination: String) throws {
        try lock.withLock {
            try withFileLock {
                let bytes = try Self.read(descriptor, at: 0, count: try fileLength(), path: path)
                let out = open(destination, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
                guard out >= 0 else { throw SubjectKeysError.cannotWrite(destination, reason: String(cString: strerror(errno))) }
                defer { close(out) }
                let written = bytes.withUnsafeBytes { write(out, $0.baseAddress, $0.count) }
                guard written == bytes.count, fsync(out) == 0 else {
                    throw SubjectKeysError.cannotWrite(destination, reason: String(cString: strerror(errno)))
                }
            }
        }
    }

    // MARK: - Slots

    private struct Slot {
        var role: SubjectRole
        var key: SymmetricKey
        var tag: Data
    }

    /// Slot `number`: `nil` when erased or beyond the file's end.
    private func slot(_ number: UInt32) throws -> Slot? {
        guard number > 0 else { return nil }
        let offset = Self.headerSize + Int(number - 1) * Self.slotSize
        let bytes = try Self.read(descriptor, at: offset, count: Self.slotSize, path: path)
        guard bytes.count == Self.slotSize, bytes.contains(where: { $0 != 0 }) else { return nil }
        let number32 = bytes[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        guard Self.checksumHolds(bytes), bytes[0] == 1, let role = SubjectRole(byte: bytes[1]), number32 == number else {
            throw SubjectKeysError.damaged(path, detail: "the slot of \(Self.subjectId(number))")
        }
        return Slot(role: role, key: SymmetricKey(data: bytes[8..<40]), tag: Data(bytes[40..<72]))
    }

    /// Reads the slots appended since the index was last read, or all of them when a
    /// slot was erased since (the header's count of erasures changed).
    private func refreshIndex() throws {
        let header = try Self.read(descriptor, at: 0, count: Self.headerSize, path: path)
        guard Self.checksumHolds(header) else { throw SubjectKeysError.damaged(path, detail: "its header") }
        let erasures = header[48..<56].reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let length = try fileLength()
        if erasures != indexedErasures || indexedLength == 0 {
            index = [:]
            indexedLength = Self.headerSize
            indexedErasures = erasures
        }
        guard length > indexedLength else { return }
        let bytes = try Self.read(descriptor, at: indexedLength, count: length - indexedLength, path: path)
        var offset = 0
        while offset + Self.slotSize <= bytes.count {
            let number = UInt32((indexedLength + offset - Self.headerSize) / Self.slotSize + 1)
            let slotBytes = bytes[bytes.startIndex + offset..<bytes.startIndex + offset + Self.slotSize]
            if slotBytes.contains(where: { $0 != 0 }) {
                guard Self.checksumHolds(slotBytes), slotBytes[slotBytes.startIndex] == 1 else {
                    throw SubjectKeysError.damaged(path, detail: "the slot of \(Self.subjectId(number))")
                }
                index[Data(slotBytes[(slotBytes.startIndex + 40)..<(slotBytes.startIndex + 72)])] = number
            }
            offset += Self.slotSize
        }
        indexedLength += offset
    }

    private func fileLength() throws -> Int {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw SubjectKeysError.cannotOpen(path, reason: String(cString: strerror(errno))) }
        return Int(status.st_size)
    }

    private func withFileLock<Result>(_ operation: Int32 = LOCK_EX, _ body: () throws -> Result) throws -> Result {
        guard flock(descriptor, operation) == 0 else { throw SubjectKeysError.cannotWrite(path, reason: String(cString: strerror(errno))) }
        defer { flock(descriptor, LOCK_UN) }
        return try body()
    }

    private static func read(_ descriptor: Int32, at offset: Int, count: Int, path: String) throws -> Data {
        var bytes = Data(count: count)
        let got = bytes.withUnsafeMutableBytes { pread(descriptor, $0.baseAddress, count, off_t(offset)) }
        guard got >= 0 else { throw SubjectKeysError.cannotOpen(path, reason: String(cString: strerror(errno))) }
        return bytes.prefix(got)
    }

    private static func checksum(_ bytes: some Collection<UInt8>) -> [UInt8] {
        let crc = CRC32C.finish(Array(bytes).withUnsafeBytes { CRC32C.update(CRC32C.start, $0) })
        return withUnsafeBytes(of: crc.bigEndian) { Array($0) }
    }

    /// Whether the last 4 bytes are the CRC-32C of the ones before them.
    private static func checksumHolds(_ bytes: some Collection<UInt8>) -> Bool {
        let all = Array(bytes)
        guard all.count >= 4 else { return false }
        return checksum(all[..<(all.count - 4)]) == Array(all[(all.count - 4)...])
    }
}

/// The subjects first named in one write transaction: numbered and keyed in memory,
/// written to ``SubjectKeys`` just before the transaction commits, and forgotten if it
/// does not (a refused batch leaves no key behind).
public final class NewSubjects {
    struct Slot {
        var number: UInt32
        var role: SubjectRole
        var key: SymmetricKey
        var tag: Data
    }

    var slots: [Slot] = []
    /// identity tag → index in ``slots``.
    var reserved: [Data: Int] = [:]
    /// Where the first of them goes: the file's length when it was numbered.
    var firstOffset = 0
    /// How many slots the log relied on when the transaction began: `nil` when not known.
    let committedCount: UInt32?
    var tailChecked = false
    /// How many slots the log relies on once the transaction commits: set by
    /// ``SubjectKeys/persist(_:)`` when it wrote any, for the transaction to store.
    public internal(set) var count: UInt32?

    /// - Parameter committedCount: how many slots the committed log relies on, as the
    ///   transaction's ``count`` stored it.
    public init(committedCount: UInt32? = nil) {
        self.committedCount = committedCount
    }
}

/// Why the subjects' keys cannot be used.
public enum SubjectKeysError: Error, Hashable, Sendable, CustomStringConvertible {
    case missing(String)
    case cannotOpen(String, reason: String)
    case cannotWrite(String, reason: String)
    case damaged(String, detail: String)

    public var description: String {
        switch self {
        case .missing(let path):
            return "the people's keys (\(path)) are missing: names cannot be shown or recorded; restore the file from the backup made with the store"
        case .cannotOpen(let path, let reason): return "cannot read the people's keys (\(path)): \(reason)"
        case .cannotWrite(let path, let reason): return "cannot write the people's keys (\(path)): \(reason)"
        case .damaged(let path, let detail):
            return "the people's keys (\(path)) are damaged in \(detail); restore the file from a backup"
        }
    }
}

extension SubjectRole {
    /// Its byte in a slot of ``SubjectKeys``.
    var byte: UInt8 {
        switch self {
        case .member: return 1
        case .donor: return 2
        case .beneficiary: return 3
        }
    }

    init?(byte: UInt8) {
        guard let role = Self.allCases.first(where: { $0.byte == byte }) else { return nil }
        self = role
    }
}
