import EventLog
import Foundation
import LMDB

/// A fresh folder under the system's temporary folder, removed when released.
final class TemporaryFolder: @unchecked Sendable {
    let path: String

    init(_ label: String = "store") {
        path = FileManager.default.temporaryDirectory
            .appendingPathComponent("ansinh-tests-\(label)-\(UUID().uuidString.prefix(8))").path
    }

    deinit {
        try? FileManager.default.removeItem(atPath: path)
    }

    var dataFile: String { path + "/data.mdb" }
}

/// A clock the tests move by hand.
final class ManualClock: @unchecked Sendable {
    private let lock = NSLock()
    private var current: Int64

    init(_ start: Int64 = 1_732_838_400_000_000) {
        current = start
    }

    var now: Timestamp { lock.withLock { Timestamp(microsecondsSince1970: current) } }

    func set(_ microseconds: Int64) {
        lock.withLock { current = microseconds }
    }

    func advance(_ microseconds: Int64) {
        lock.withLock { current += microseconds }
    }
}

func openLog(
    _ folder: TemporaryFolder, clock: ManualClock? = nil, configure: (inout EventLog.Options) -> Void = { _ in },
    projections: (ProjectionSetup) throws -> [any InlineProjection] = { _ in [] }
) throws -> EventLog {
    var options = EventLog.Options()
    if let clock { options.clock = { clock.now } }
    configure(&options)
    return try EventLog(path: folder.path, options: options, projections: projections)
}

func sampleEvent(_ number: Int, type: String = "SomethingHappened", id: UUID = UUID()) -> NewEvent {
    NewEvent(eventId: id, type: type, data: .object(["n": .integer(Int64(number)), "note": .text("số \(number)")]))
}

/// The folder holding the package's built products (where `ansinh-logstress` is).
var productsFolder: URL {
    let executable = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
    var folder = executable.deletingLastPathComponent()
    while folder.path != "/" {
        if FileManager.default.fileExists(atPath: folder.appendingPathComponent("ansinh-logstress").path) {
            return folder
        }
        folder.deleteLastPathComponent()
    }
    fatalError("ansinh-logstress is not built next to the tests (\(executable.path))")
}

/// Every byte of `table` in key order, for comparing two stores' projections.
func dump(_ table: Table, in tables: Tables) throws -> [[UInt8]] {
    try tables.withCursor(table) { cursor throws in
        var rows: [[UInt8]] = []
        var entry = try cursor.first()
        while let current = entry {
            rows.append(Array(current.key) + [0xff] + Array(current.value))
            entry = try cursor.next()
        }
        return rows
    }
}

/// Flips one bit of the byte `offset` into every copy of `needle` in the file at
/// `path` (LMDB copies pages on write, so stale copies may sit in free pages).
func flipByte(inFile path: String, after needle: [UInt8], offset: Int) throws {
    var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: path)))
    let starts = bytes.ranges(of: needle).map(\.lowerBound)
    guard !starts.isEmpty else { throw CocoaError(.fileReadCorruptFile) }
    for start in starts { bytes[start + offset] ^= 0x01 }
    try Data(bytes).write(to: URL(fileURLWithPath: path))
}
