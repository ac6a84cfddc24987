import Foundation
import TestSupport
import Testing

/// A real PostgreSQL for a test: `initdb` into a temporary folder, `pg_ctl start` on a
/// free loopback port, stopped and removed when released. As root (CI's containers),
/// its programs run as the `postgres` user, since PostgreSQL refuses to run as root.
final class TemporaryPostgres: @unchecked Sendable {
    let folder: String
    let data: String
    let port: Int
    let isStandby: Bool
    static let user = "ansinh"

    /// The folder of PostgreSQL's programs (Debian keeps them out of PATH).
    static let bin: String? = {
        let base = "/usr/lib/postgresql"
        let versions = ((try? FileManager.default.contentsOfDirectory(atPath: base)) ?? []).compactMap(Int.init).sorted()
        return versions.last.map { "\(base)/\($0)/bin" }
    }()

    static var runsAsRoot: Bool { getuid() == 0 }

    /// A new server in a new folder on a free port: `make` fills its data folder, then it starts.
    private init(isStandby: Bool, _ make: (_ bin: String, _ folder: String, _ data: String, _ port: Int) throws -> Void) throws {
        guard let bin = Self.bin else { throw PostgresUnavailable(reason: "PostgreSQL is not installed (/usr/lib/postgresql/*/bin)") }
        folder = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-pg-\(UUID().uuidString.prefix(8))").path
        data = folder + "/data"
        port = try freePort()
        self.isStandby = isStandby
        try FileManager.default.createDirectory(atPath: folder, withIntermediateDirectories: true)
        try Self.own(folder)
        try make(bin, folder, data, port)
        try start()
    }

    /// A new primary, allowing replication connections from loopback.
    convenience init() throws {
        try self.init(isStandby: false) { bin, folder, data, port in
            try Self.runProgram(bin + "/initdb", ["-D", data, "-U", Self.user, "--auth=trust", "-E", "UTF8", "--locale=C.UTF-8", "--no-sync"])
            try """
                listen_addresses = '127.0.0.1'
                port = \(port)
                unix_socket_directories = '\(folder)'
                fsync = on
                wal_level = replica
                max_wal_senders = 4
                hot_standby = on
                """.appendLine(to: data + "/postgresql.conf")
            try "host replication \(Self.user) 127.0.0.1/32 trust\n".appendLine(to: data + "/pg_hba.conf")
        }
    }

    /// A hot standby of `primary`: `pg_basebackup -R`, streaming replication, read-only.
    convenience init(standbyOf primary: TemporaryPostgres) throws {
        try self.init(isStandby: true) { bin, folder, data, port in
            try Self.runProgram(
                bin + "/pg_basebackup",
                ["-h", "127.0.0.1", "-p", String(primary.port), "-U", Self.user, "-D", data, "-R", "-X", "stream", "--checkpoint=fast", "--no-sync"])
            try """
                port = \(port)
                unix_socket_directories = '\(folder)'
                """.appendLine(to: data + "/postgresql.conf")
        }
    }

    deinit {
        if let bin = Self.bin { _ = try? Self.runProgram(bin + "/pg_ctl", ["-D", data, "-m", "immediate", "-w", "stop"]) }
        try? FileManager.default.removeItem(atPath: folder)
    }

    private func start() throws {
        try Self.runProgram(Self.bin! + "/pg_ctl", ["-D", data, "-l", folder + "/server.log", "-w", "-t", "60", "start"])
    }

    /// The address of `database` on this server.
    func url(_ database: String = "province") -> String { "postgres://\(Self.user)@127.0.0.1:\(port)/\(database)" }

    /// Creates a database.
    func createDatabase(_ name: String) throws {
        try Self.runProgram(Self.bin! + "/createdb", ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, name])
    }

    /// Runs SQL with psql; its output, unaligned, without headers.
    @discardableResult
    func psql(_ sql: String, database: String = "province") throws -> String {
        try Self.runProgram(
            Self.bin! + "/psql",
            ["-h", "127.0.0.1", "-p", String(port), "-U", Self.user, "-d", database, "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql])
    }

    /// Runs a PostgreSQL program, as `postgres` when this process is root; its standard output.
    /// Spawned and reaped with posix_spawn and waitpid: `pg_ctl start` leaves a server behind
    /// that inherits descriptors, which Foundation's Process would wait on for ever.
    @discardableResult
    static func runProgram(_ path: String, _ arguments: [String]) throws -> String {
        // From /tmp: the `postgres` user may not enter the folder the tests run in.
        let argv = ["/bin/sh", "-c", "cd /tmp && exec \"$@\"", "sh"] + (runsAsRoot ? ["/usr/sbin/runuser", "-u", "postgres", "--", path] : [path]) + arguments
        let output = temporaryOutputFile(), errors = temporaryOutputFile()
        defer { try? FileManager.default.removeItem(at: output); try? FileManager.default.removeItem(at: errors) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, output.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        posix_spawn_file_actions_addopen(&actions, 2, errors.path, O_WRONLY | O_CREAT | O_TRUNC, 0o644)
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { for argument in cArguments { free(argument) } }
        var pid: pid_t = 0
        let spawned = posix_spawn(&pid, argv[0], &actions, nil, cArguments, environ)
        guard spawned == 0 else { throw PostgresUnavailable(reason: "cannot start \(argv[0]): \(String(cString: strerror(spawned)))") }
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
        let text = String(decoding: (try? Data(contentsOf: output)) ?? Data(), as: UTF8.self)
        guard status == 0 else {
            throw PostgresUnavailable(
                reason: "\((path as NSString).lastPathComponent) failed (status \(status)): "
                    + String(decoding: (try? Data(contentsOf: errors)) ?? Data(), as: UTF8.self))
        }
        return text
    }

    /// Gives `folder` to the `postgres` user when running as root.
    private static func own(_ folder: String) throws {
        guard runsAsRoot else { return }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/chown")
        process.arguments = ["postgres:postgres", folder]
        try process.run()
        process.waitUntilExit()
    }
}

struct PostgresUnavailable: Error, CustomStringConvertible {
    let reason: String
    var description: String { reason }
}

extension String {
    fileprivate func appendLine(to path: String) throws {
        let handle = try FileHandle(forWritingTo: URL(fileURLWithPath: path))
        defer { try? handle.close() }
        try handle.seekToEnd()
        try handle.write(contentsOf: Data(("\n" + self + "\n").utf8))
    }
}

/// A free TCP port on loopback, as the kernel hands one out.
func freePort() throws -> Int {
    let socket = Foundation.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    defer { close(socket) }
    var address = sockaddr_in()
    address.sin_family = sa_family_t(AF_INET)
    address.sin_addr.s_addr = inet_addr("127.0.0.1")
    address.sin_port = 0
    var length = socklen_t(MemoryLayout<sockaddr_in>.size)
    let bound = withUnsafePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(socket, $0, length) } }
    guard bound == 0 else { throw PostgresUnavailable(reason: "no free port on loopback") }
    _ = withUnsafeMutablePointer(to: &address) { $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(socket, $0, &length) } }
    return Int(UInt16(bigEndian: address.sin_port))
}
