#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// LMDB's data file (`data.mdb`) read by this library itself, every read bounds-checked:
/// its meta pages, and a walk of every B-tree in it.
///
/// LMDB 0.9 keeps no page checksums and trusts every page it reads, so a damaged file
/// can make it read past the end of the map (a bus error) or follow a garbage pointer.
/// Opening checks the header and the file's length first; ``checkStructure(transactionId:progress:)``
/// walks every page before LMDB is let near them.
///
/// ```swift
/// let file = try DataFile(folder: "/var/lib/ansinh")     // header and length
/// try file.checkStructure()                              // every page of every tree
/// ```
///
/// The layout is LMDB 0.9's (`mdb.c`: `MDB_page`, `MDB_node`, `MDB_db`, `MDB_meta`), on
/// a 64-bit little-endian machine. See <http://www.lmdb.tech/doc/>.
public struct DataFile: Sendable {
    /// The data file's path.
    public let path: String
    /// The file's length in bytes when it was opened.
    public let byteCount: UInt64
    public let pageSize: Int
    /// The two meta pages, in page order; `nil` for one that is not a valid meta page.
    let metas: [Meta?]

    /// One of the two meta pages: the root of everything, written at each commit.
    public struct Meta: Sendable, Equatable {
        public var transactionId: UInt64
        /// The highest page number in use; the file holds at least this page.
        public var lastPage: UInt64
        /// The tree of free pages.
        var freeDatabase: DatabaseRecord
        /// The tree of named databases.
        var mainDatabase: DatabaseRecord
    }

    /// A B-tree's record (`MDB_db`): in a meta page, or the value of a named database.
    struct DatabaseRecord: Sendable, Equatable {
        var flags: UInt16
        var depth: UInt16
        var branchPages: UInt64
        var leafPages: UInt64
        var overflowPages: UInt64
        var entries: UInt64
        var root: UInt64

        static let byteCount = 48
        /// `P_INVALID`: the tree is empty.
        static let noRoot = UInt64.max
    }

    static let magic: UInt32 = 0xBEEF_C0DE
    static let dataVersion: UInt32 = 1
    static let pageHeaderBytes = 16
    static let nodeHeaderBytes = 8
    static let depthMax = 64

    /// Reads the meta pages of the data file in `folder` and checks the file is as long
    /// as the newer one says.
    /// - Throws: ``DataFileProblem``: the file is missing, empty, not an LMDB data file,
    ///   its meta pages are damaged, or it is shorter than it must be.
    public init(folder: String) throws(DataFileProblem) {
        path = folder + "/data.mdb"
        let file = try PageReader(path: path)
        defer { file.finish() }
        byteCount = file.byteCount
        guard byteCount > 0 else { throw .empty(path: path) }
        // The first page's meta gives the page size, which places the second.
        let first = try file.read(offset: 0, count: min(Int(byteCount), 4096))
        let firstMeta = Self.meta(in: first)
        guard let size = firstMeta.map({ _ in Int(first.loadLittle(UInt32.self, at: 16 + 24)) }), Self.isPageSize(size) else {
            throw .notADataFile(path: path, reason: "the first meta page is not an LMDB meta page")
        }
        pageSize = size
        guard byteCount >= UInt64(2 * size) else {
            throw .truncated(path: path, byteCount: byteCount, expectedByteCount: UInt64(2 * size))
        }
        let second = Self.meta(in: try file.read(offset: UInt64(size), count: size))
        metas = [firstMeta, second]
        guard let current = currentMeta else { throw .notADataFile(path: path, reason: "no valid meta page") }
        if second == nil { throw .damagedPage(page: 1, database: "the store's header", reason: "the second meta page is not valid") }
        // The file holds at least up to the last page in use (the last page number × the
        // page size): LMDB may leave that page itself unwritten when it was freed in the
        // transaction that allocated it. The walk checks every page it reaches.
        let (expected, overflow) = current.lastPage.multipliedReportingOverflow(by: UInt64(size))
        guard !overflow else { throw .notADataFile(path: path, reason: "its meta page names an impossible last page") }
        guard byteCount >= expected else { throw .truncated(path: path, byteCount: byteCount, expectedByteCount: expected) }
    }

    /// The meta page LMDB uses: the one with the higher transaction id.
    public var currentMeta: Meta? {
        metas.compactMap { $0 }.max { $0.transactionId < $1.transactionId }
    }

    static func isPageSize(_ size: Int) -> Bool { size >= 512 && size <= 65_536 && size & (size - 1) == 0 }

    /// The meta record of a meta page, or `nil` when the page is not one.
    static func meta(in page: [UInt8]) -> Meta? {
        guard page.count >= pageHeaderBytes + 136 else { return nil }
        let flags = page.loadLittle(UInt16.self, at: 10)
        let base = pageHeaderBytes
        guard flags & PageFlags.meta != 0, page.loadLittle(UInt32.self, at: base) == magic,
            page.loadLittle(UInt32.self, at: base + 4) == dataVersion
        else { return nil }
        return Meta(
            transactionId: page.loadLittle(UInt64.self, at: base + 128), lastPage: page.loadLittle(UInt64.self, at: base + 120),
            freeDatabase: DatabaseRecord(page, at: base + 24), mainDatabase: DatabaseRecord(page, at: base + 72))
    }

    enum PageFlags {
        static let branch: UInt16 = 0x01
        static let leaf: UInt16 = 0x02
        static let overflow: UInt16 = 0x04
        static let meta: UInt16 = 0x08
        static let leaf2: UInt16 = 0x20
        static let subPage: UInt16 = 0x40
        /// Bits LMDB uses only in memory; ignored if a page was written with them.
        static let inMemory: UInt16 = 0x10 | 0x4000 | 0x8000
    }

    enum NodeFlags {
        static let bigData: UInt16 = 0x01
        static let subData: UInt16 = 0x02
        static let dupData: UInt16 = 0x04
    }
}

extension DataFile.DatabaseRecord {
    init(_ bytes: [UInt8], at offset: Int) {
        flags = bytes.loadLittle(UInt16.self, at: offset + 4)
        depth = bytes.loadLittle(UInt16.self, at: offset + 6)
        branchPages = bytes.loadLittle(UInt64.self, at: offset + 8)
        leafPages = bytes.loadLittle(UInt64.self, at: offset + 16)
        overflowPages = bytes.loadLittle(UInt64.self, at: offset + 24)
        entries = bytes.loadLittle(UInt64.self, at: offset + 32)
        root = bytes.loadLittle(UInt64.self, at: offset + 40)
    }
}

/// What is wrong with a data file, found by reading it directly.
public enum DataFileProblem: Error, Hashable, Sendable, CustomStringConvertible {
    case missing(path: String)
    case empty(path: String)
    case unreadable(path: String, errno: Int32)
    case notADataFile(path: String, reason: String)
    case truncated(path: String, byteCount: UInt64, expectedByteCount: UInt64)
    /// A page that breaks LMDB's layout, and the database whose tree holds it.
    case damagedPage(page: UInt64, database: String, reason: String)
    /// A tree whose pages disagree with its record.
    case damagedDatabase(database: String, reason: String)

    public var description: String {
        switch self {
        case .missing(let path): return "no data file at \(path)"
        case .empty(let path): return "the data file \(path) is empty (0 bytes): restore it from a backup"
        case .unreadable(let path, let code): return "the data file \(path) cannot be read: \(String(cString: strerror(code)))"
        case .notADataFile(let path, let reason): return "\(path) is damaged or not an ansinh store: \(reason)"
        case .truncated(let path, let byteCount, let expected):
            return "the data file \(path) is cut short: it has \(byteCount) bytes, but its header says it holds \(expected); "
                + "restore it from a backup"
        case .damagedPage(let page, let database, let reason):
            return "page \(page) of the data file, in \(database), is damaged: \(reason)"
        case .damagedDatabase(let database, let reason):
            return "\(database) is damaged: \(reason)"
        }
    }
}

/// Bounds-checked reads of whole pages, with `pread`.
struct PageReader {
    let descriptor: Int32
    let path: String
    let byteCount: UInt64

    init(path: String) throws(DataFileProblem) {
        self.path = path
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            throw code == ENOENT ? .missing(path: path) : .unreadable(path: path, errno: code)
        }
        var status = stat()
        guard fstat(descriptor, &status) == 0 else {
            let code = errno
            _ = close(descriptor)
            throw .unreadable(path: path, errno: code)
        }
        self.descriptor = descriptor
        byteCount = UInt64(status.st_size)
    }

    func finish() { _ = close(descriptor) }

    /// `count` bytes from `offset`; fewer only where the file ends.
    func read(offset: UInt64, count: Int) throws(DataFileProblem) -> [UInt8] {
        var bytes = [UInt8](repeating: 0, count: count)
        var done = 0
        while done < count {
            let got = bytes.withUnsafeMutableBytes { buffer in
                pread(descriptor, buffer.baseAddress! + done, count - done, off_t(offset) + off_t(done))
            }
            if got < 0 {
                if errno == EINTR { continue }
                throw .unreadable(path: path, errno: errno)
            }
            if got == 0 { break }
            done += got
        }
        if done < count { bytes.removeLast(count - done) }
        return bytes
    }
}

extension Array where Element == UInt8 {
    /// A little-endian integer at `offset`; the caller has checked the bounds.
    func loadLittle<T: FixedWidthInteger>(_ type: T.Type, at offset: Int) -> T {
        withUnsafeBytes { T(littleEndian: $0.loadUnaligned(fromByteOffset: offset, as: T.self)) }
    }
}
