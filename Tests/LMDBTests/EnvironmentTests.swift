import Foundation
import LMDB
import Testing

@Suite("LMDB layer")
struct EnvironmentTests {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-lmdb-\(UUID().uuidString)").path

    func open(_ configure: (inout Environment.Options) -> Void = { _ in }) throws -> Environment {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var options = Environment.Options()
        configure(&options)
        return try Environment(path: path, options: options)
    }

    @Test("a write commits on return and aborts on throw")
    func commitAndAbort() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        struct Refused: Error {}
        let environment = try open()
        let names = try environment.write { try $0.openDatabase("names", flags: .create) }
        try environment.write { try $0.put(names, key: "lan", value: "Nguyễn Thị Lan") }
        #expect(throws: Refused.self) {
            try environment.write { transaction throws in
                try transaction.put(names, key: "binh", value: "Trần Văn Bình")
                throw Refused()
            }
        }
        try environment.read { transaction throws in
            #expect(try transaction.get(names, "lan").map { String(decoding: $0, as: UTF8.self) } == "Nguyễn Thị Lan")
            #expect(try transaction.get(names, "binh") == nil)
            #expect(try transaction.entryCount(names) == 1)
        }
    }

    @Test("return codes become typed errors matched with ~=")
    func typedErrors() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = try open()
        let names = try environment.write { try $0.openDatabase("names", flags: .create) }
        try environment.write { try $0.put(names, key: "a", value: "1") }
        var matched = false
        do {
            try environment.write { try $0.put(names, key: "a", value: "2", flags: .noOverwrite) }
        } catch LMDBError.keyExists {
            matched = true
        }
        #expect(matched)
        #expect(LMDBError.keyExists.description.contains("MDB_KEYEXIST"))
        #expect(throws: LMDBError.notFound) { try environment.read { try $0.openDatabase("missing") } }
    }

    @Test("integer keys iterate in numeric order, forward and backward, and append in order")
    func integerKeysAndCursors() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = try open()
        let numbers = try environment.write { try $0.openDatabase("numbers", flags: [.create, .integerKey]) }
        try environment.write { transaction throws in
            for key: UInt64 in [1, 2, 255, 256, 65_536, 1 << 40] {
                try transaction.put(numbers, key: key, value: [UInt8(truncatingIfNeeded: key)], flags: .append)
            }
            #expect(throws: LMDBError.keyExists) { try transaction.put(numbers, key: UInt64(3), value: [0] as [UInt8], flags: .append) }
        }
        try environment.read { transaction throws in
            try transaction.withCursor(numbers) { cursor throws in
                var forward: [UInt64] = []
                var entry = try cursor.first()
                while let current = entry {
                    forward.append(current.key.loadNativeUInt64()!)
                    entry = try cursor.next()
                }
                #expect(forward == [1, 2, 255, 256, 65_536, 1 << 40])
                #expect(try cursor.seek(atLeast: UInt64(300))?.key.loadNativeUInt64() == 65_536)
                #expect(try cursor.previous()?.key.loadNativeUInt64() == 256)
                #expect(try cursor.seek(exactly: UInt64(300)) == nil)
                #expect(try cursor.last()?.key.loadNativeUInt64() == 1 << 40)
            }
        }
    }

    @Test("a full map grows instead of failing, up to its maximum")
    func mapGrowth() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let environment = try open {
            $0.mapSizeBytesInitial = 64 * 1024
            $0.mapSizeBytesMax = 4 * 1024 * 1024
        }
        let blobs = try environment.write { try $0.openDatabase("blobs", flags: [.create, .integerKey]) }
        let blob = [UInt8](repeating: 7, count: 3_000)
        for key in 0..<UInt64(400) {
            try environment.write { try $0.put(blobs, key: key, value: blob) }
        }
        #expect(environment.info.mapSizeBytes > 64 * 1024)
        #expect(try environment.read { try $0.entryCount(blobs) } == 400)
        // Past the maximum, the write is refused whole.
        #expect(throws: LMDBError.mapFull) {
            try environment.write { transaction throws in
                for key in 1_000..<UInt64(3_000) { try transaction.put(blobs, key: key, value: blob) }
            }
        }
        #expect(try environment.read { try $0.entryCount(blobs) } == 400)
    }

    @Test("a compacted copy opens and holds the same data")
    func compactedCopy() throws {
        defer { try? FileManager.default.removeItem(atPath: path) }
        let copyPath = path + "-copy"
        defer { try? FileManager.default.removeItem(atPath: copyPath) }
        do {
            let environment = try open()
            let names = try environment.write { try $0.openDatabase("names", flags: .create) }
            try environment.write { transaction throws in
                for index in 0..<500 { try transaction.put(names, key: "k\(index)", value: "v\(index)") }
            }
            try FileManager.default.createDirectory(atPath: copyPath, withIntermediateDirectories: true)
            try environment.copy(to: copyPath, compacting: true)
        }
        let copy = try Environment(path: copyPath)
        let count = try copy.read { transaction in try transaction.entryCount(try transaction.openDatabase("names")) }
        #expect(count == 500)
    }
}
