import Foundation
import TestSupport
import Testing

#if canImport(FoundationNetworking)
    import FoundationNetworking
#endif

/// `ansinh serve` started by a test on a free loopback port, stopped when released.
final class RunningServer: @unchecked Sendable {
    let process = Process()
    let url: String
    let logFile = temporaryOutputFile()
    private let outputFile = temporaryOutputFile()
    /// Each server its own client: requests of one test do not queue behind another's.
    private let session = HTTPAnswer.newSession()

    /// Starts the server on `store` with `options`, and waits until it listens.
    init(store: String, options: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = ansinhExecutable
        process.arguments = ["serve", "--store", store, "--listen", "127.0.0.1:0"] + options
        var merged = ProcessInfo.processInfo.environment
        merged["ANSINH_TEST_TODAY"] = testToday
        for (key, value) in environment { merged[key] = value }
        process.environment = merged
        process.standardOutput = try FileHandle(forWritingTo: outputFile)
        process.standardError = try FileHandle(forWritingTo: logFile)
        process.standardInput = FileHandle.nullDevice
        try process.run()
        let deadline = Date().addingTimeInterval(60)
        var found: String?
        while found == nil, Date() < deadline, process.isRunning {
            let text = String(decoding: (try? Data(contentsOf: outputFile)) ?? Data(), as: UTF8.self)
            if let range = text.range(of: "listening on ") {
                found = text[range.upperBound...].split(separator: "\n").first.map(String.init)
            } else {
                usleep(20_000)
            }
        }
        guard let found else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw ServerDidNotStart(log: String(decoding: (try? Data(contentsOf: logFile)) ?? Data(), as: UTF8.self))
        }
        url = found
    }

    deinit {
        if process.isRunning {
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
        }
        try? FileManager.default.removeItem(at: logFile)
        try? FileManager.default.removeItem(at: outputFile)
    }

    /// What the server logged (JSON lines on standard error).
    var log: String { String(decoding: (try? Data(contentsOf: logFile)) ?? Data(), as: UTF8.self) }

    /// Sends `signal` and waits for the server to exit; returns its exit status.
    @discardableResult
    func stop(_ signal: Int32 = SIGTERM, timeLimit: Double = 30) throws -> Int32 {
        kill(process.processIdentifier, signal)
        try waitForExit(process, timeLimit: timeLimit)
        return process.terminationStatus
    }

    /// One HTTP request; the answer's status, headers and body. It blocks its thread,
    /// never a thread of Swift's concurrency pool: tests that block that small pool (they
    /// wait for processes) must not starve the server tests' clients.
    func request(
        _ method: String, _ path: String, token: String? = nil, body: String? = nil, contentType: String? = nil,
        headers: [String: String] = [:]
    ) throws -> HTTPAnswer {
        try HTTPAnswer.send(method, url + path, token: token, body: body, contentType: contentType, headers: headers, session: session)
    }
}

/// Runs `body(0)` … `body(count - 1)` at once, each on a thread of its own, and waits for them all.
func onThreads(_ count: Int, _ body: @escaping @Sendable (Int) -> Void) {
    let group = DispatchGroup()
    for index in 0..<count {
        group.enter()
        let thread = Thread {
            body(index)
            group.leave()
        }
        thread.start()
    }
    group.wait()
}

struct ServerDidNotStart: Error, CustomStringConvertible {
    let log: String
    var description: String { "ansinh serve did not start: \(log)" }
}

/// An HTTP answer.
struct HTTPAnswer: Sendable {
    let status: Int
    let headers: [String: String]
    let body: String

    /// The body as JSON.
    var json: Any { (try? JSONSerialization.jsonObject(with: Data(body.utf8), options: [.fragmentsAllowed])) ?? NSNull() }
    var object: [String: Any] { json as? [String: Any] ?? [:] }

    func header(_ name: String) -> String? {
        headers.first { $0.key.lowercased() == name.lowercased() }?.value
    }

    static func newSession() -> URLSession {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.timeoutIntervalForRequest = 60
        configuration.httpMaximumConnectionsPerHost = 128
        return URLSession(configuration: configuration)
    }

    static func send(
        _ method: String, _ url: String, token: String? = nil, body: String? = nil, contentType: String? = nil,
        headers: [String: String] = [:], session: URLSession
    ) throws -> HTTPAnswer {
        var request = URLRequest(url: URL(string: url)!)
        request.httpMethod = method
        if let token { request.setValue("Bearer \(token)", forHTTPHeaderField: "Authorization") }
        if let contentType { request.setValue(contentType, forHTTPHeaderField: "Content-Type") }
        for (name, value) in headers { request.setValue(value, forHTTPHeaderField: name) }
        if let body { request.httpBody = Data(body.utf8) }
        let done = DispatchSemaphore(value: 0)
        let result = Received()
        session.dataTask(with: request) { data, response, error in
            result.set(data, response, error)
            done.signal()
        }.resume()
        done.wait()
        let (data, response, error) = result.get()
        if let error { throw error }
        let http = response as! HTTPURLResponse
        var fields: [String: String] = [:]
        for (key, value) in http.allHeaderFields { fields["\(key)"] = "\(value)" }
        return HTTPAnswer(status: http.statusCode, headers: fields, body: String(decoding: data ?? Data(), as: UTF8.self))
    }
}

/// What a data task handed back, from its thread to the waiting one.
private final class Received: @unchecked Sendable {
    private let lock = NSLock()
    private var value: (Data?, URLResponse?, (any Error)?) = (nil, nil, nil)
    func set(_ data: Data?, _ response: URLResponse?, _ error: (any Error)?) { lock.withLock { value = (data, response, error) } }
    func get() -> (Data?, URLResponse?, (any Error)?) { lock.withLock { value } }
}

extension StoreFolder {
    /// Adds a user of `ansinh serve` and returns their token.
    func addUser(_ name: String, role: String, funds: [String] = []) throws -> String {
        let run = try ansinh(["users", "add", name, "--role", role, "--store", path] + (funds.isEmpty ? [] : ["--fund"] + funds))
        #expect(run.status == 0, "\(run.stderr)")
        return run.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
    }
}

/// Import lines for the server tests.
enum Lines {
    static func donation(fund: String, amount: Int, id: UUID = UUID(), on date: String = "2024-02-01") -> String {
        #"{"type":"DonationReceived","data":{"fundId":"\#(fund)","donor":{"name":"Chùa Tây An","kind":"religiousBody"},"amount":\#(amount),"receivedOn":"\#(date)"},"eventId":"\#(id.uuidString.lowercased())"}"#
    }

    static func disbursement(fund: String, amount: Int, id: String, eventId: UUID = UUID(), on date: String = "2024-03-01") -> String {
        #"{"type":"DisbursementMade","data":{"disbursementId":"\#(id)","fundId":"\#(fund)","purpose":"gift","beneficiary":{"name":"Hộ bà Nguyễn Thị Lan","kind":"poorHousehold"},"amount":\#(amount),"quantity":1,"disbursedOn":"\#(date)"},"eventId":"\#(eventId.uuidString.lowercased())"}"#
    }
}
