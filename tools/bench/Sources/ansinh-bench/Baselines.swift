import CSQLite
import EventLog
import Foundation
import LMDB

/// Raw LMDB through the same C library and Swift layer: the ceiling ansinh is held to.
enum RawLMDB {
    /// Appends `records` under positions 1… with `MDB_APPEND`, `batch` to a transaction.
    static func append(_ records: [[UInt8]], batch: Int, path: String) throws -> Double {
        let environment = try open(path)
        let database = try environment.write { try $0.openDatabase("events", flags: [.create, .integerKey]) }
        return try seconds {
            var position: UInt64 = 0
            for start in stride(from: 0, to: records.count, by: batch) {
                try environment.write { transaction in
                    for record in records[start..<min(start + batch, records.count)] {
                        position += 1
                        try transaction.put(database, key: position, value: record, flags: .append)
                    }
                }
            }
        }
    }

    /// One durable one-record commit at a time: latencies in seconds.
    static func singleCommits(_ record: [UInt8], count: Int, path: String) throws -> [Double] {
        let environment = try open(path)
        let database = try environment.write { try $0.openDatabase("events", flags: [.create, .integerKey]) }
        var latencies: [Double] = []
        for position in 1...UInt64(count) {
            latencies.append(try seconds { try environment.write { try $0.put(database, key: position, value: record, flags: .append) } })
        }
        return latencies
    }

    /// A cursor scan over the events database of a store, touching every value's bytes.
    static func scan(storePath: String) throws -> (seconds: Double, count: Int) {
        let environment = try Environment(path: storePath, options: readOnlyOptions())
        var count = 0
        let elapsed = try seconds {
            try environment.read { transaction in
                let events = try transaction.openDatabase("events")
                try transaction.withCursor(events) { cursor in
                    var checksum: UInt64 = 0
                    var entry = try cursor.first()
                    while let current = entry {
                        checksum &+= UInt64(current.value.count) &+ UInt64(current.value[current.value.count - 1])
                        count += 1
                        entry = try cursor.next()
                    }
                    precondition(checksum != 1)
                }
            }
        }
        return (elapsed, count)
    }

    /// Point gets of random positions: latencies in seconds.
    static func pointGets(storePath: String, positions: [UInt64]) throws -> [Double] {
        let environment = try Environment(path: storePath, options: readOnlyOptions())
        return try environment.read { transaction in
            let events = try transaction.openDatabase("events")
            return try positions.map { position in
                try seconds {
                    let found = try transaction.get(events, position) != nil
                    precondition(found)
                }
            }
        }
    }

    static func records(storePath: String) throws -> [[UInt8]] {
        let environment = try Environment(path: storePath, options: readOnlyOptions())
        return try environment.read { transaction in
            let events = try transaction.openDatabase("events")
            return try transaction.withCursor(events) { cursor in
                var records: [[UInt8]] = []
                var entry = try cursor.first()
                while let current = entry {
                    records.append(Array(current.value))
                    entry = try cursor.next()
                }
                return records
            }
        }
    }

    private static func open(_ path: String) throws -> Environment {
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
        var options = Environment.Options()
        options.mapSizeBytesInitial = 1 << 34
        return try Environment(path: path, options: options)
    }

    private static func readOnlyOptions() -> Environment.Options {
        var options = Environment.Options()
        options.readOnly = true
        options.mapSizeBytesInitial = 1 << 34
        return options
    }
}

/// SQLite with an equivalent append-only events table: WAL, synchronous=FULL.
final class SQLiteBaseline {
    private var database: OpaquePointer?

    init(path: String) throws {
        try? FileManager.default.removeItem(atPath: path)
        guard sqlite3_open(path, &database) == SQLITE_OK else { throw BenchError("sqlite3_open failed") }
        try execute("PRAGMA journal_mode=WAL")
        try execute("PRAGMA synchronous=FULL")
        try execute("CREATE TABLE events (position INTEGER PRIMARY KEY, event_id BLOB NOT NULL UNIQUE, record BLOB NOT NULL)")
    }

    deinit { sqlite3_close(database) }

    func execute(_ sql: String) throws {
        guard sqlite3_exec(database, sql, nil, nil, nil) == SQLITE_OK else {
            throw BenchError("sqlite: \(String(cString: sqlite3_errmsg(database)))")
        }
    }

    /// Inserts the records in batches of `batch`, each batch one durable transaction.
    func append(_ records: [[UInt8]], batch: Int) throws -> Double {
        var statement: OpaquePointer?
        sqlite3_prepare_v2(database, "INSERT INTO events (position, event_id, record) VALUES (?, ?, ?)", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        return try seconds {
            var position: Int64 = 0
            for start in stride(from: 0, to: records.count, by: batch) {
                try execute("BEGIN")
                for record in records[start..<min(start + batch, records.count)] {
                    position += 1
                    sqlite3_bind_int64(statement, 1, position)
                    record.withUnsafeBytes { bytes in
                        _ = sqlite3_bind_blob(statement, 2, bytes.baseAddress! + 40, 16, nil)
                        _ = sqlite3_bind_blob(statement, 3, bytes.baseAddress, Int32(bytes.count), nil)
                    }
                    guard sqlite3_step(statement) == SQLITE_DONE else { throw BenchError("sqlite insert failed") }
                    sqlite3_reset(statement)
                }
                try execute("COMMIT")
            }
        }
    }

    /// One durable one-row transaction at a time: latencies in seconds.
    func singleCommits(_ record: [UInt8], count: Int, firstPosition: Int64) throws -> [Double] {
        var statement: OpaquePointer?
        sqlite3_prepare_v2(database, "INSERT INTO events (position, event_id, record) VALUES (?, ?, ?)", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        var latencies: [Double] = []
        for index in 0..<count {
            var id = [UInt8](repeating: 0xee, count: 16)
            withUnsafeBytes(of: UInt64(index)) { for (offset, byte) in $0.enumerated() { id[offset] = byte } }
            latencies.append(try seconds {
                sqlite3_bind_int64(statement, 1, firstPosition + Int64(index))
                _ = id.withUnsafeBytes { sqlite3_bind_blob(statement, 2, $0.baseAddress, 16, nil) }
                _ = record.withUnsafeBytes { sqlite3_bind_blob(statement, 3, $0.baseAddress, Int32($0.count), nil) }
                guard sqlite3_step(statement) == SQLITE_DONE else {
                    throw BenchError("sqlite insert failed: \(String(cString: sqlite3_errmsg(database)))")
                }
                sqlite3_reset(statement)
            })
        }
        return latencies
    }

    /// A full scan decoding every record the way a replay does (envelope and data).
    func scanDecoding() throws -> (seconds: Double, count: Int) {
        var statement: OpaquePointer?
        sqlite3_prepare_v2(database, "SELECT record FROM events ORDER BY position", -1, &statement, nil)
        defer { sqlite3_finalize(statement) }
        var count = 0
        let elapsed = try seconds {
            while sqlite3_step(statement) == SQLITE_ROW {
                let bytes = UnsafeRawBufferPointer(start: sqlite3_column_blob(statement, 0), count: Int(sqlite3_column_bytes(statement, 0)))
                let view = try RecordedEventView(record: bytes)
                try Payload.validate(canonicalBytes: view.data)
                count += 1
            }
        }
        return (elapsed, count)
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Wall-clock seconds `body` takes.
func seconds(_ body: () throws -> Void) rethrows -> Double {
    let start = DispatchTime.now().uptimeNanoseconds
    try body()
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
}
