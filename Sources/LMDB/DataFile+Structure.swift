/// The structural check: every B-tree of the data file walked page by page.
extension DataFile {
    /// What a structural check walked.
    public struct StructureReport: Sendable, Equatable {
        /// Pages reached from a tree (meta, branch, leaf and overflow pages).
        public var pagesReached: UInt64 = 0
        /// Pages on the free list.
        public var pagesFree: UInt64 = 0
        /// The highest page number in use, plus one.
        public var pagesInUse: UInt64 = 0
        /// Named databases, by name.
        public var databases: [String] = []
    }

    /// Walks the tree of free pages, the tree of named databases and every named
    /// database, from the meta page of `transactionId` (the current one when `nil`).
    /// Every page must sit where its number says, carry valid flags and sane bounds, and
    /// hold nodes that fit in it; child pointers and overflow runs must stay inside the
    /// file, no page may be reached twice, and each tree's page and entry counts must
    /// match its record. Hold a read transaction of that id while it runs, so that no
    /// writer reuses the pages it walks.
    /// - Throws: ``DataFileProblem`` naming the first bad page and its database.
    public func checkStructure(transactionId: UInt64? = nil, progress: ((_ done: UInt64, _ total: UInt64) -> Void)? = nil)
        throws(DataFileProblem) -> StructureReport
    {
        var meta = currentMeta
        if let transactionId {
            // A writer may have committed since the header was read: read it again.
            let again = try DataFile(folder: String(path.dropLast("/data.mdb".count)))
            meta = again.metas.compactMap { $0 }.first { $0.transactionId == transactionId } ?? again.currentMeta
        }
        guard let meta else { throw .notADataFile(path: path, reason: "no valid meta page") }
        let file = try PageReader(path: path)
        defer { file.finish() }
        var walker = TreeWalker(file: file, pageSize: pageSize, lastPage: meta.lastPage, progress: progress)
        try walker.markReached(0, database: "the store's header")
        try walker.markReached(1, database: "the store's header")
        try walker.walk(meta.freeDatabase, name: "the free-page list", collectingFree: true)
        let named = try walker.walk(meta.mainDatabase, name: "the list of databases")
        var report = StructureReport()
        for (name, record) in named {
            try walker.walk(record, name: "database \(name)")
            report.databases.append(name)
        }
        try walker.checkFreePages()
        report.pagesReached = walker.reachedCount
        report.pagesFree = UInt64(walker.freePages.count)
        report.pagesInUse = meta.lastPage + 1
        progress?(report.pagesInUse, report.pagesInUse)
        return report
    }
}

/// One walk over the trees of a data file, remembering every page it reached.
struct TreeWalker {
    let file: PageReader
    let pageSize: Int
    let lastPage: UInt64
    let progress: ((UInt64, UInt64) -> Void)?
    private var reached: [UInt64]
    private(set) var reachedCount: UInt64 = 0
    private(set) var freePages: [UInt64] = []

    init(file: PageReader, pageSize: Int, lastPage: UInt64, progress: ((UInt64, UInt64) -> Void)?) {
        self.file = file
        self.pageSize = pageSize
        self.lastPage = lastPage
        self.progress = progress
        reached = [UInt64](repeating: 0, count: Int(lastPage / 64) + 1)
    }

    /// What one tree's pages add up to, to compare with its record.
    struct Counts {
        var branch: UInt64 = 0
        var leaf: UInt64 = 0
        var overflow: UInt64 = 0
        var entries: UInt64 = 0
        var hasDuplicates = false
    }

    /// Notes `page` as reached; a page outside the file or reached before is damage.
    mutating func markReached(_ page: UInt64, database: String) throws(DataFileProblem) {
        guard page <= lastPage else {
            throw .damagedPage(page: page, database: database, reason: "it lies past the last page in use (\(lastPage))")
        }
        let (word, bit) = (Int(page / 64), page % 64)
        guard reached[word] & (1 << bit) == 0 else {
            throw .damagedPage(page: page, database: database, reason: "it is reached twice")
        }
        reached[word] |= 1 << bit
        reachedCount += 1
        if reachedCount & 0xfff == 0 { progress?(reachedCount, lastPage + 1) }
    }

    /// Walks one tree; returns the named databases its leaves record (for the main tree).
    @discardableResult
    mutating func walk(_ record: DataFile.DatabaseRecord, name: String, collectingFree: Bool = false)
        throws(DataFileProblem) -> [(String, DataFile.DatabaseRecord)]
    {
        guard record.root != DataFile.DatabaseRecord.noRoot else {
            guard record.entries == 0, record.depth == 0 else {
                throw .damagedDatabase(database: name, reason: "it has no root page but records \(record.entries) entries")
            }
            return []
        }
        guard record.depth >= 1, record.depth <= DataFile.depthMax else {
            throw .damagedDatabase(database: name, reason: "its depth \(record.depth) is impossible")
        }
        var counts = Counts()
        var named: [(String, DataFile.DatabaseRecord)] = []
        try visit(record.root, level: 1, depth: Int(record.depth), database: name, counts: &counts, named: &named, collectingFree: collectingFree)
        guard counts.branch == record.branchPages, counts.leaf == record.leafPages, counts.overflow == record.overflowPages,
            counts.hasDuplicates || counts.entries == record.entries
        else {
            throw .damagedDatabase(
                database: name,
                reason: "its pages hold \(counts.branch) branch, \(counts.leaf) leaf and \(counts.overflow) overflow pages and "
                    + "\(counts.entries) entries, but its record says \(record.branchPages), \(record.leafPages), "
                    + "\(record.overflowPages) and \(record.entries)")
        }
        return named
    }

    private mutating func visit(
        _ pageNumber: UInt64, level: Int, depth: Int, database: String, counts: inout Counts,
        named: inout [(String, DataFile.DatabaseRecord)], collectingFree: Bool
    ) throws(DataFileProblem) {
        try markReached(pageNumber, database: database)
        let page = try file.read(offset: pageNumber * UInt64(pageSize), count: pageSize)
        func bad(_ reason: String) -> DataFileProblem { .damagedPage(page: pageNumber, database: database, reason: reason) }
        guard page.count == pageSize else { throw bad("the file ends inside it") }
        guard page.loadLittle(UInt64.self, at: 0) == pageNumber else {
            throw bad("it carries the number \(page.loadLittle(UInt64.self, at: 0))")
        }
        let flags = page.loadLittle(UInt16.self, at: 10) & ~DataFile.PageFlags.inMemory
        let isBranch = flags == DataFile.PageFlags.branch
        guard isBranch || flags == DataFile.PageFlags.leaf else { throw bad("its flags \(flags) are not a branch's or a leaf's") }
        guard isBranch ? level < depth : level == depth else {
            throw bad("a \(isBranch ? "branch" : "leaf") page at level \(level) of a tree \(depth) deep")
        }
        let lower = Int(page.loadLittle(UInt16.self, at: 12))
        let upper = Int(page.loadLittle(UInt16.self, at: 14))
        let header = DataFile.pageHeaderBytes
        guard lower >= header, lower <= upper, upper <= pageSize, (lower - header) % 2 == 0 else {
            throw bad("its bounds (lower \(lower), upper \(upper)) are not sane")
        }
        let nodeCount = (lower - header) / 2
        guard nodeCount > 0 || (level == 1 && !isBranch) else { throw bad("it holds no node") }
        var children: [UInt64] = []
        var overflows: [(page: UInt64, bytes: Int)] = []
        for index in 0..<nodeCount {
            let offset = Int(page.loadLittle(UInt16.self, at: header + 2 * index))
            guard offset >= upper, offset + DataFile.nodeHeaderBytes <= pageSize else {
                throw bad("node \(index) starts at \(offset), outside the page's node space")
            }
            let low = UInt64(page.loadLittle(UInt16.self, at: offset))
            let high = UInt64(page.loadLittle(UInt16.self, at: offset + 2))
            let nodeFlags = page.loadLittle(UInt16.self, at: offset + 4)
            let keyBytes = Int(page.loadLittle(UInt16.self, at: offset + 6))
            let keyEnd = offset + DataFile.nodeHeaderBytes + keyBytes
            guard keyEnd <= pageSize else { throw bad("node \(index)'s key runs past the end of the page") }
            if isBranch {
                children.append(low | high << 16 | UInt64(nodeFlags) << 32)
                continue
            }
            counts.entries += 1
            guard nodeFlags & ~(DataFile.NodeFlags.bigData | DataFile.NodeFlags.subData | DataFile.NodeFlags.dupData) == 0 else {
                throw bad("node \(index) has unknown flags \(nodeFlags)")
            }
            let dataBytes = Int(low | high << 16)
            if nodeFlags & DataFile.NodeFlags.bigData != 0 {
                guard keyEnd + 8 <= pageSize else { throw bad("node \(index)'s overflow pointer runs past the end of the page") }
                overflows.append((page.loadLittle(UInt64.self, at: keyEnd), dataBytes))
                continue
            }
            guard keyEnd + dataBytes <= pageSize else { throw bad("node \(index)'s data runs past the end of the page") }
            if nodeFlags & DataFile.NodeFlags.dupData != 0 { counts.hasDuplicates = true }
            if nodeFlags & DataFile.NodeFlags.subData != 0, nodeFlags & DataFile.NodeFlags.dupData == 0 {
                guard dataBytes == DataFile.DatabaseRecord.byteCount else {
                    throw bad("node \(index) records a database in \(dataBytes) bytes, not \(DataFile.DatabaseRecord.byteCount)")
                }
                let nameBytes = Array(page[(offset + DataFile.nodeHeaderBytes)..<keyEnd])
                named.append((String(decoding: nameBytes, as: UTF8.self), DataFile.DatabaseRecord(page, at: keyEnd)))
            }
            if collectingFree { try collectFree(Array(page[keyEnd..<(keyEnd + dataBytes)]), page: pageNumber, database: database) }
        }
        if isBranch { counts.branch += 1 } else { counts.leaf += 1 }
        for overflow in overflows {
            let run = try visitOverflow(overflow.page, bytes: overflow.bytes, database: database)
            counts.overflow += UInt64(run.count)
            if collectingFree { try collectFree(run.data, page: overflow.page, database: database) }
        }
        for child in children {
            try visit(child, level: level + 1, depth: depth, database: database, counts: &counts, named: &named, collectingFree: collectingFree)
        }
    }

    /// Checks an overflow run and returns its page count and, for the free list, its data.
    private mutating func visitOverflow(_ first: UInt64, bytes: Int, database: String) throws(DataFileProblem)
        -> (count: Int, data: [UInt8])
    {
        let needed = (DataFile.pageHeaderBytes + bytes + pageSize - 1) / pageSize
        guard first <= lastPage, first + UInt64(needed) - 1 <= lastPage else {
            throw .damagedPage(page: first, database: database, reason: "an overflow run of \(needed) pages runs past the last page in use")
        }
        let head = try file.read(offset: first * UInt64(pageSize), count: pageSize)
        guard head.count == pageSize, head.loadLittle(UInt64.self, at: 0) == first,
            head.loadLittle(UInt16.self, at: 10) & ~DataFile.PageFlags.inMemory == DataFile.PageFlags.overflow
        else { throw .damagedPage(page: first, database: database, reason: "it is not the overflow page a node points to") }
        let count = Int(head.loadLittle(UInt32.self, at: 12))
        guard count >= needed, first + UInt64(count) - 1 <= lastPage else {
            throw .damagedPage(page: first, database: database, reason: "its run of \(count) pages cannot hold \(bytes) bytes here")
        }
        for page in first..<(first + UInt64(count)) { try markReached(page, database: database) }
        guard database == "the free-page list" else { return (count, []) }
        let data = try file.read(offset: first * UInt64(pageSize) + UInt64(DataFile.pageHeaderBytes), count: bytes)
        return (count, data)
    }

    /// Reads one entry of the free-page list: a count, then that many page numbers.
    private mutating func collectFree(_ data: [UInt8], page: UInt64, database: String) throws(DataFileProblem) {
        guard data.count >= 8 else { throw .damagedPage(page: page, database: database, reason: "a list of free pages is cut short") }
        let count = data.loadLittle(UInt64.self, at: 0)
        guard count <= UInt64(data.count / 8 - 1) else {
            throw .damagedPage(page: page, database: database, reason: "a list of \(count) free pages holds only \(data.count / 8 - 1)")
        }
        for index in 0..<Int(count) { freePages.append(data.loadLittle(UInt64.self, at: 8 * (index + 1))) }
    }

    /// Free pages must lie in the file and belong to no tree.
    func checkFreePages() throws(DataFileProblem) {
        var seen = Set<UInt64>()
        for page in freePages {
            guard page >= 2, page <= lastPage else {
                throw .damagedDatabase(database: "the free-page list", reason: "it lists page \(page), outside the pages in use")
            }
            let (word, bit) = (Int(page / 64), page % 64)
            guard reached[word] & (1 << bit) == 0, seen.insert(page).inserted else {
                throw .damagedDatabase(database: "the free-page list", reason: "it lists page \(page), which is in use or listed twice")
            }
        }
    }
}
