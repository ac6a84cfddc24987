import Foundation
import TestSupport
import Testing

/// A damaged store from the command line: reported with exit 74 in one line, never a
/// crash, never taken for an empty store, never written to.
@Suite("A damaged store", .serialized)
struct DamagedStoreTests {
    /// A copy of the demo store's files in a new folder.
    static func copy(of store: StoreFolder) throws -> StoreFolder {
        let copy = StoreFolder()
        try FileManager.default.createDirectory(atPath: copy.path, withIntermediateDirectories: true)
        for name in ["data.mdb", "store-id"] {
            try FileManager.default.copyItem(atPath: store.path + "/" + name, toPath: copy.path + "/" + name)
        }
        return copy
    }

    static func bytes(_ store: StoreFolder) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: store.path + "/data.mdb")))
    }

    static func write(_ bytes: [UInt8], to store: StoreFolder) throws {
        try Data(bytes).write(to: URL(fileURLWithPath: store.path + "/data.mdb"))
    }

    static let commands: [[String]] = [
        ["status"], ["funds"], ["fund", "show", "vi-nguoi-ngheo"], ["log", "--format", "json"], ["report", "--from", "2024-01-01", "--to", "2024-12-31"],
        ["audit", "verify"], ["fund", "open", "moi", "--name", "Mới", "--date", "2024-12-01"],
    ]

    @Test("an emptied data file is refused by every command, and never re-created: not by import, not by export")
    func emptied() throws {
        let store = try Self.copy(of: try AuditCLITests.demoStore())
        try Self.write([], to: store)
        for command in Self.commands + [["import", packageRoot.appendingPathComponent("Sources/ansinh/Demo/nui-sam-2024.jsonl").path]] {
            let run = try ansinh(command + ["--store", store.path])
            #expect(run.status == 74, "\(command): \(run.stderr)")
            #expect(run.stderr.hasPrefix("ansinh: the data file is empty (0 bytes): restore it from a backup"), "\(command): \(run.stderr)")
        }
        let out = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: out) }
        let export = try ansinh(["export", "--out", out, "--store", store.path])
        #expect(export.status == 74)
        #expect(!FileManager.default.fileExists(atPath: out), "no empty export")
        #expect(try Self.bytes(store).isEmpty, "nothing written")
    }

    @Test("a data file cut short is refused before a page is read, naming both sizes")
    func truncated() throws {
        let store = try Self.copy(of: try AuditCLITests.demoStore())
        let bytes = try Self.bytes(store)
        for fraction in [0.5, 0.9] {
            let kept = Int(Double(bytes.count) * fraction)
            try Self.write(Array(bytes.prefix(kept)), to: store)
            for command in Self.commands {
                let run = try ansinh(command + ["--store", store.path])
                #expect(run.status == 74, "\(command): \(run.stderr)")
                #expect(run.stderr.contains("is cut short: it has \(kept) bytes, but its header says it holds"), "\(command): \(run.stderr)")
                #expect(run.stderr.split(separator: "\n").count == 1)
            }
        }
    }

    @Test("a zeroed page: the structural check names it and its database; commands that read it stop with exit 74 in one line")
    func zeroedPage() throws {
        let demo = try AuditCLITests.demoStore()
        let bytes = try Self.bytes(demo)
        // A page of the events' tree, found by the check itself.
        var found: (page: Int, store: StoreFolder)?
        for page in stride(from: bytes.count / 4096 - 1, to: 2, by: -1) where found == nil {
            let store = try Self.copy(of: demo)
            var damaged = bytes
            for index in (page * 4096)..<((page + 1) * 4096) { damaged[index] = 0 }
            try Self.write(damaged, to: store)
            let run = try store.run("audit", "verify", "--structure-only")
            if run.stderr.contains("page \(page) of the data file, in database events, is damaged") { found = (page, store) }
        }
        let (page, store) = try #require(found, "a page of the events' tree")
        let audit = try store.run("audit", "verify")
        #expect(audit.status == 74)
        #expect(audit.stderr == "ansinh: the store is damaged: page \(page) of the data file, in database events, is damaged: it carries the number 0\n")
        let before = try Self.bytes(store)
        for command in [["log", "--format", "json"], ["export", "--out", store.path + "-export"]] {
            let run = try ansinh(command + ["--store", store.path])
            #expect(run.status == 74, "\(command): \(run.stderr)")
            #expect(run.stderr.hasPrefix("ansinh: "), "\(command): \(run.stderr)")
            #expect(run.stderr.split(separator: "\n").count == 1, "\(command): \(run.stderr)")
        }
        try? FileManager.default.removeItem(atPath: store.path + "-export")
        #expect(try Self.bytes(store) == before, "nothing written")
    }

    @Test("a data file swapped for another store's is refused")
    func swapped() throws {
        let store = try Self.copy(of: try AuditCLITests.demoStore())
        let other = try StoreFolder.initialised()
        try FileManager.default.removeItem(atPath: store.path + "/data.mdb")
        try FileManager.default.copyItem(atPath: other.path + "/data.mdb", toPath: store.path + "/data.mdb")
        for command in Self.commands {
            let run = try ansinh(command + ["--store", store.path])
            #expect(run.status == 74, "\(command): \(run.stderr)")
            #expect(run.stderr.contains("the data file belongs to another store"), "\(command): \(run.stderr)")
        }
    }

    @Test("restore checks the SHA-256, the structure and the history, never overwrites a store, and leaves nothing when it refuses")
    func restore() throws {
        let store = try AuditCLITests.demoStore()
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-restore-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: folder) }
        let backup = folder + "/backups/b.mdb"
        #expect(try store.run("backup", "--out", backup).status == 0)
        let checksum = try String(contentsOfFile: backup + ".sha256", encoding: .utf8)
        #expect(checksum.hasSuffix("  b.mdb\n") && checksum.count == 64 + 2 + 5 + 1)
        var run = try ansinh(["restore", "--from", backup, "--to", folder + "/restored"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.contains("its SHA-256 matches") && run.stdout.contains("2292 events pass the audit"), "\(run.stdout)")
        #expect(try ansinh(["funds", "--store", folder + "/restored"]).status == 0)
        run = try ansinh(["restore", "--from", backup, "--to", folder + "/restored"])
        #expect(run.status == 73, "\(run.stderr)")
        // A byte of an event changed: the checksum says so; without it, the audit does.
        var bytes = [UInt8](try Data(contentsOf: URL(fileURLWithPath: backup)))
        let at = try #require(bytes.firstRange(of: Array("Miếu Bà Chúa Xứ".utf8))).lowerBound
        bytes[at + 1] ^= 0x01
        try Data(bytes).write(to: URL(fileURLWithPath: backup))
        run = try ansinh(["restore", "--from", backup, "--to", folder + "/again"])
        #expect(run.status == 74)
        #expect(run.stderr.contains("is damaged: its SHA-256 is"), "\(run.stderr)")
        run = try ansinh(["restore", "--from", backup, "--to", folder + "/again", "--without-checksum"])
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.contains("fails the audit, so nothing was restored"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: folder + "/again"))
        let left = try FileManager.default.contentsOfDirectory(atPath: folder).filter { $0.hasPrefix(".") }
        #expect(left.isEmpty, "\(left)")
    }
}
