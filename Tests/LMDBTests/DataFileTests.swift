import Foundation
import LMDB
import Testing

/// The data file read directly: its header, its length, and a walk of every page,
/// against stores damaged in known ways.
@Suite("The data file's structural check")
struct DataFileTests {
    /// A store with two named databases, many entries (so branch pages), values large
    /// enough for overflow pages, and deletions (so a free list); closed when returned.
    static func store() throws -> String {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-datafile-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        let environment = try Environment(path: path)
        let (small, large) = try environment.write { transaction in
            (try transaction.openDatabase("small", flags: .create), try transaction.openDatabase("large", flags: .create))
        }
        for batch in 0..<4 {
            try environment.write { transaction in
                for index in 0..<2_000 {
                    let key = String(format: "key-%02d-%05d", batch, index)
                    try transaction.put(small, key: key, value: String(repeating: "v", count: 40 + index % 30))
                }
                for index in 0..<20 {
                    try transaction.put(large, key: "big-\(batch)-\(index)", value: [UInt8](repeating: UInt8(index), count: 9_000))
                }
            }
        }
        try environment.write { transaction in
            for index in stride(from: 0, to: 2_000, by: 3) { try transaction.delete(small, key: String(format: "key-01-%05d", index)) }
        }
        return path
    }

    /// The pages of the file whose flags (after the header) are `flags`.
    static func pages(in path: String, flags: UInt16) throws -> [Int] {
        let bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb")))
        return stride(from: 2, to: bytes.count / 4096, by: 1).filter { page in
            UInt16(bytes[page * 4096 + 10]) | UInt16(bytes[page * 4096 + 11]) << 8 == flags
        }
    }

    static func damage(_ path: String, _ change: (inout [UInt8]) -> Void) throws {
        let url = URL(fileURLWithPath: path + "/data.mdb")
        var bytes = [UInt8](try Data(contentsOf: url))
        change(&bytes)
        try Data(bytes).write(to: url)
    }

    func expectDamage(_ path: String, _ check: (DataFileProblem) -> Bool, sourceLocation: SourceLocation = #_sourceLocation) {
        do {
            _ = try DataFile(folder: path).checkStructure()
            Issue.record("the damage was not found", sourceLocation: sourceLocation)
        } catch {
            #expect(check(error), "\(error)", sourceLocation: sourceLocation)
        }
    }

    @Test("a healthy store: every page in use is reached from a tree or listed free, once")
    func healthy() throws {
        let path = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let report = try DataFile(folder: path).checkStructure()
        #expect(report.databases.sorted() == ["large", "small"])
        #expect(report.pagesReached + report.pagesFree == report.pagesInUse)
        #expect(report.pagesFree > 0, "the deletions left free pages")
        #expect(try Self.pages(in: path, flags: 0x01).count >= 2, "the store has branch pages to damage")
        #expect(try Self.pages(in: path, flags: 0x04).count >= 1, "the store has overflow pages")
    }

    @Test("a missing, empty or cut-short data file is reported before any page is read")
    func missingEmptyTruncated() throws {
        let path = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let length = try #require(try FileManager.default.attributesOfItem(atPath: path + "/data.mdb")[.size] as? Int)
        let handle = try #require(FileHandle(forWritingAtPath: path + "/data.mdb"))
        try handle.truncate(atOffset: UInt64(length / 2))
        #expect {
            try DataFile(folder: path)
        } throws: { error in
            guard case .truncated(_, let count, let expected) = error as? DataFileProblem else { return false }
            return count == UInt64(length / 2) && expected >= UInt64(length) - 4096 * 64
        }
        try handle.truncate(atOffset: 0)
        try handle.close()
        #expect(throws: DataFileProblem.empty(path: path + "/data.mdb")) { try DataFile(folder: path) }
        #expect(
            DataFileProblem.empty(path: "/s/data.mdb").description == "the data file /s/data.mdb is empty (0 bytes): restore it from a backup")
        try FileManager.default.removeItem(atPath: path + "/data.mdb")
        #expect(throws: DataFileProblem.missing(path: path + "/data.mdb")) { try DataFile(folder: path) }
    }

    @Test("damaged meta pages: the second alone is named; without the first it is no store")
    func metaPages() throws {
        let path = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        try Self.damage(path) { bytes in for index in 4096..<8192 { bytes[index] = 0 } }
        #expect(throws: DataFileProblem.damagedPage(page: 1, database: "the store's header", reason: "the second meta page is not valid")) {
            try DataFile(folder: path)
        }
        try Self.damage(path) { bytes in for index in 0..<4096 { bytes[index] = 0 } }
        #expect { try DataFile(folder: path) } throws: { error in
            if case .notADataFile = error as? DataFileProblem { return true }
            return false
        }
    }

    @Test("a zeroed leaf page is named with its database")
    func zeroedLeaf() throws {
        let path = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let leaf = try #require(try Self.pages(in: path, flags: 0x02).last)
        try Self.damage(path) { bytes in for index in (leaf * 4096)..<((leaf + 1) * 4096) { bytes[index] = 0 } }
        expectDamage(path) { problem in
            guard case .damagedPage(let page, let database, let reason) = problem else { return false }
            return page == UInt64(leaf) && database != "" && reason == "it carries the number 0"
        }
    }

    @Test("a branch page pointing past the file or twice to one child, with bad bounds, a node outside it, or bad flags, is found")
    func branchPointers() throws {
        for kind in ["past", "twice", "bounds", "node", "flags"] {
            let path = try Self.store()
            defer { try? FileManager.default.removeItem(atPath: path) }
            // Every branch page, live or left over on the free list, so a live one is among them.
            let branches = try Self.pages(in: path, flags: 0x01)
            try #require(!branches.isEmpty)
            try Self.damage(path) { bytes in for branch in branches {
                let base = branch * 4096
                let lower = Int(bytes[base + 12]) | Int(bytes[base + 13]) << 8
                let first = base + (Int(bytes[base + 16]) | Int(bytes[base + 17]) << 8)
                let second = base + (Int(bytes[base + 18]) | Int(bytes[base + 19]) << 8)
                switch kind {
                case "past": bytes[first + 2] = 0x7f  // the child's high word: far past the end
                case "twice": for offset in 0..<6 { bytes[second + offset] = bytes[first + offset] }
                case "bounds": bytes[base + 12] = UInt8(truncatingIfNeeded: lower + 4096); bytes[base + 13] = 0x7f
                case "node": bytes[base + 16] = 0xfe; bytes[base + 17] = 0x0f  // node 0 at 4094
                default: bytes[base + 10] = 0x09  // branch and meta at once
                }
            } }
            expectDamage(path) { problem in
                guard case .damagedPage(_, let database, let reason) = problem else { return false }
                let expected = [
                    "past": "past the last page", "twice": "reached twice", "bounds": "bounds", "node": "outside the page's node space",
                    "flags": "flags",
                ][kind]!
                return database.hasPrefix("database ") && reason.contains(expected)
            }
        }
    }

    @Test("an overflow run cut off, or a count that no longer matches, is found")
    func overflowAndCounts() throws {
        let path = try Self.store()
        defer { try? FileManager.default.removeItem(atPath: path) }
        let overflow = try #require(try Self.pages(in: path, flags: 0x04).first)
        try Self.damage(path) { bytes in bytes[overflow * 4096 + 12] = 1 }  // a run of 1 page for 9 000 bytes
        expectDamage(path) { problem in
            if case .damagedPage(let page, "database large", let reason) = problem {
                return page == UInt64(overflow) && reason.contains("cannot hold")
            }
            return false
        }
    }
}
