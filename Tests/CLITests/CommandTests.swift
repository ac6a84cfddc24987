import Foundation
import LMDB
import TestSupport
import Testing

// The command line, command by command: every recording command with every option it
// takes, read back from `log --format json`; every exit status the README promises,
// with its message and nothing written; and the options auditors rely on.

// MARK: - What the tests share

/// `text` decomposed (NFD), as a Mac keyboard or a copied file may send a name.
private func nfd(_ text: String) -> String { text.decomposedStringWithCanonicalMapping }

private func parsed(_ text: String) throws -> Any { try JSONSerialization.jsonObject(with: Data(text.utf8)) }

/// The first place `found` differs from `expected`, or nil. Texts are compared byte for
/// byte (Swift's `==` takes NFC and NFD for equal; the store must hold NFC), numbers must
/// be integers, and objects must have exactly the expected keys.
private func difference(_ found: Any?, _ expected: Any, at path: String = "data") -> String? {
    switch expected {
    case let text as String:
        guard let value = found as? String else { return "\(path) is \(String(describing: found)), not the text \(text)" }
        return Array(value.utf8) == Array(text.utf8) ? nil : "\(path) is \(Array(value.unicodeScalars)), not \(Array(text.unicodeScalars))"
    case let number as Int:
        guard !(found is String), let value = found as? Int else { return "\(path) is \(String(describing: found)), not the integer \(number)" }
        return value == number ? nil : "\(path) is \(value), not \(number)"
    case let object as [String: Any]:
        guard let value = found as? [String: Any] else { return "\(path) is \(String(describing: found)), not an object" }
        if Set(value.keys) != Set(object.keys) {
            return "\(path) has the keys \(value.keys.sorted()), not \(object.keys.sorted())"
        }
        for key in object.keys.sorted() {
            if let problem = difference(value[key], object[key]!, at: path + "." + key) { return problem }
        }
        return nil
    case let array as [Any]:
        guard let value = found as? [Any], value.count == array.count else {
            return "\(path) is \(String(describing: found)), not an array of \(array.count)"
        }
        for (index, element) in array.enumerated() {
            if let problem = difference(value[index], element, at: path + "[\(index)]") { return problem }
        }
        return nil
    default:
        return "\(path): cannot compare with \(expected)"
    }
}

/// The events `log --format json` prints, from `position` on, and the text it printed.
private func loggedText(_ store: StoreFolder, from position: Int = 1) throws -> (events: [[String: Any]], text: String) {
    let run = try store.run("log", "--format", "json", "--from-position", String(position))
    #expect(run.status == 0, "\(run.stderr)")
    return (try #require(try parsed(run.stdout) as? [[String: Any]], "\(run.stdout)"), run.stdout)
}

private func logged(_ store: StoreFolder, from position: Int = 1) throws -> [[String: Any]] {
    try loggedText(store, from: position).events
}

/// Where the log ends: what must not move when a command is refused.
private struct Head: Equatable, CustomStringConvertible {
    let position: Int
    let hash: String

    var description: String { "position \(position), hash \(hash.prefix(12))…" }
}

private func head(of path: String) throws -> Head {
    let run = try ansinh(["status", "--format", "json", "--store", path])
    let status = try #require(try parsed(run.stdout) as? [String: Any], "status: \(run.stderr)")
    return Head(position: status["headPosition"] as? Int ?? -1, hash: status["headHash"] as? String ?? "")
}

private func head(of store: StoreFolder) throws -> Head { try head(of: store.path) }

/// The schema version each type is recorded at today.
private let currentVersions = ["MemberEnrolled": 2, "PledgeMade": 2, "DonationReceived": 3, "DisbursementMade": 2]

/// `data` with each sealed name (`{subject, sealed, keyCommitment}`) replaced by the
/// name `ansinh people` opens it to: what was recorded, as the store's keys read it.
private func opened(_ data: Any?, in store: StoreFolder) throws -> Any? {
    let names = { () throws -> [String: String] in
        let people = try #require(try parsed(try store.run("people", "--format", "json").stdout) as? [[String: Any]])
        return Dictionary(uniqueKeysWithValues: people.compactMap { person in
            (person["subjectId"] as? String).map { ($0, person["name"] as? String ?? "") }
        })
    }
    func walk(_ value: Any?, _ names: [String: String]) -> Any? {
        if let object = value as? [String: Any] {
            if Set(object.keys) == ["subject", "sealed", "keyCommitment"], let subject = object["subject"] as? String {
                return names[subject] ?? "(\(subject) not listed)"
            }
            return object.mapValues { walk($0, names) as Any }
        }
        if let array = value as? [Any] { return array.map { walk($0, names) as Any } }
        return value
    }
    return walk(data, try names())
}

/// Runs a recording command (with `--actor actor`, when given) and checks that it printed
/// the position and event id of one new event (and `balance`, the fund's balance line);
/// that the log holds it there with this type, stream, recorder, schema version and
/// exactly `data` (or one of what `dataGiven` makes of its `recordedAt`, for data that
/// depends on the store's clock); and that recording it again with the same event id
/// changes nothing. Returns the event's id.
@discardableResult
private func expectRecorded(
    _ store: StoreFolder, _ arguments: [String], actor: String? = "lan", environment: [String: String] = [:], recordedBy: String? = nil,
    type: String, stream: String, schemaVersion: Int? = nil, data: [String: Any] = [:],
    dataGiven: ((_ recordedAt: String) throws -> [[String: Any]])? = nil, eventId: String? = nil, balance: String? = nil, retry: Bool = true, sourceLocation: SourceLocation = #_sourceLocation
) throws -> String {
    let before = try head(of: store)
    let command = arguments + ["--store", store.path] + (actor.map { ["--actor", $0] } ?? [])
    let run = try ansinh(command, environment: environment)
    #expect(run.status == 0, "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.isEmpty, "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
    let printed = try #require(
        run.stdout.firstMatch(of: /^Recorded ([A-Za-z]+) at position ([0-9]+) \(event ([0-9a-f-]{36})\)/), "\(arguments): \(run.stdout)",
        sourceLocation: sourceLocation)
    let id = String(printed.3)
    #expect(printed.1 == type, "\(run.stdout)", sourceLocation: sourceLocation)
    #expect(Int(printed.2) == before.position + 1, "\(run.stdout)", sourceLocation: sourceLocation)
    if let eventId { #expect(id == eventId, sourceLocation: sourceLocation) }
    if type != "PeriodClosed" {
        let expected = "Recorded \(type) at position \(before.position + 1) (event \(id)).\n" + (balance.map { $0 + "\n" } ?? "")
        #expect(run.stdout == expected, sourceLocation: sourceLocation)
    }

    let (events, text) = try loggedText(store, from: before.position + 1)
    try #require(events.count == 1, "\(arguments): \(events.count) events after position \(before.position)", sourceLocation: sourceLocation)
    let event = events[0]
    #expect(event["position"] as? Int == before.position + 1, sourceLocation: sourceLocation)
    #expect(event["eventId"] as? String == id, sourceLocation: sourceLocation)
    #expect(event["type"] as? String == type, sourceLocation: sourceLocation)
    #expect(event["stream"] as? String == stream, sourceLocation: sourceLocation)
    #expect(event["schemaVersion"] as? Int == schemaVersion ?? currentVersions[type] ?? 1, sourceLocation: sourceLocation)
    let recorder = recordedBy ?? actor.map { $0.precomposedStringWithCanonicalMapping } ?? ""
    #expect(difference(event["recordedBy"], recorder, at: "recordedBy") == nil, "\(arguments)", sourceLocation: sourceLocation)
    let candidates = try dataGiven?(event["recordedAt"] as? String ?? "") ?? [data]
    let found = try opened(event["data"], in: store)
    let problems = candidates.map { difference(found, $0) }
    let problem = problems.contains { $0 == nil } ? nil : problems.first ?? "no data expected"
    #expect(problem == nil, "\(arguments): \(problem ?? "")", sourceLocation: sourceLocation)
    // The bytes printed hold no name as it was given in NFD, whatever JSON parsing makes of them.
    for argument in arguments + [actor ?? ""] where argument != argument.precomposedStringWithCanonicalMapping {
        #expect(Array(text.utf8).firstRange(of: Array(argument.utf8)) == nil, "\(argument) stored as given", sourceLocation: sourceLocation)
    }

    // A retry with the event's id changes nothing and names the same position.
    guard retry else { return id }
    let retry = try ansinh(command + (eventId == nil ? ["--event-id", id] : []), environment: environment)
    #expect(retry.status == 0, "retry of \(arguments): \(retry.stderr)", sourceLocation: sourceLocation)
    #expect(
        retry.stdout.hasPrefix("Already recorded: \(type) at position \(before.position + 1) (event \(id)); nothing written.\n"),
        "\(retry.stdout)", sourceLocation: sourceLocation)
    #expect(try head(of: store).position == before.position + 1, sourceLocation: sourceLocation)
    return id
}

/// Runs ansinh with standard output and standard error both to pipes.
private func piped(_ arguments: [String]) throws -> Run {
    let process = Process()
    process.executableURL = ansinhExecutable
    process.arguments = arguments
    var environment = ProcessInfo.processInfo.environment
    environment.removeValue(forKey: "ANSINH_STORE")
    environment["ANSINH_TEST_TODAY"] = testToday
    process.environment = environment
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    process.standardInput = FileHandle.nullDevice
    try process.run()
    // What these commands print fits a pipe's buffer many times over: wait for the exit
    // (with a deadline), then read.
    try waitForExit(process, timeLimit: 120)
    let out = output.fileHandleForReading.readDataToEndOfFile()
    let err = errors.fileHandleForReading.readDataToEndOfFile()
    return Run(status: process.terminationStatus, stdout: String(decoding: out, as: UTF8.self), stderr: String(decoding: err, as: UTF8.self))
}

/// A temporary folder (not a store), removed when released.
private final class TemporaryFolder {
    let path: String

    init() throws {
        path = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-cmd-\(UUID().uuidString.prefix(8))").path
        try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    }

    deinit { try? FileManager.default.removeItem(atPath: path) }
}

private func wardDay(of instant: Date) -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "Asia/Ho_Chi_Minh")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.string(from: instant)
}

/// The ward's day of a `recordedAt` such as `2026-11-30T12:39:31.123456Z`.
private func wardDay(ofRecordedAt text: String) throws -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ss"
    return wardDay(of: try #require(formatter.date(from: String(text.prefix(19))), "\(text)"))
}

/// The day `days` after `day` (YYYY-MM-DD).
private func day(_ days: Int, after day: String) throws -> String {
    let formatter = DateFormatter()
    formatter.locale = Locale(identifier: "en_US_POSIX")
    formatter.timeZone = TimeZone(identifier: "UTC")
    formatter.dateFormat = "yyyy-MM-dd"
    return formatter.string(from: try #require(formatter.date(from: day)).addingTimeInterval(Double(days) * 86_400))
}

// MARK: - Recording commands

@Suite("Recording commands from the command line, field by field", .serialized)
struct RecordingCommandTests {
    static let fund = "vi-nguoi-ngheo"

    @Test("every recording command records exactly what it was given: type, stream, recorder, event id and every field, names in NFC")
    func everyCommandRecordsItsData() throws {
        let store = StoreFolder()
        // init records no event: it names the ward, in NFC.
        var run = try ansinh(["init", "--ward", nfd("Núi Sam"), "--province", nfd("An Giang"), "--store", store.path])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(Array(run.stdout.utf8) == Array("Created the store for phường Núi Sam, An Giang at \(store.path).\n".utf8), "\(run.stdout)")
        #expect(try store.run("log", "--format", "json").stdout == "[]\n")
        let status = try #require(try parsed(try store.run("status", "--format", "json").stdout) as? [String: Any])
        #expect(difference(status["ward"], "Núi Sam", at: "ward") == nil)
        #expect(status["headPosition"] as? Int == 0)
        let fund = Self.fund
        let fundStream = "fund-" + fund

        let fundOpened = "0f000000-0000-4000-8000-000000000001"
        try expectRecorded(
            store,
            ["fund", "open", fund, "--name", nfd("Quỹ “Vì người nghèo”"), "--opening-balance", "1.500.000",
             "--purpose", nfd("Chăm lo hộ nghèo, hộ cận nghèo"), "--date", "2024-01-02", "--event-id", fundOpened],
            actor: nfd("Trần Thị Lan"), type: "FundOpened", stream: fundStream,
            data: ["fundId": fund, "name": "Quỹ “Vì người nghèo”", "openedOn": "2024-01-02", "openingBalance": 1_500_000,
                   "purpose": "Chăm lo hộ nghèo, hộ cận nghèo"],
            eventId: fundOpened, balance: "Fund \(fund) balance: 1.500.000 đ")
        try expectRecorded(
            store, ["fund", "open", "khuyen-hoc", "--name", nfd("Quỹ Khuyến học – Khuyến tài"), "--date", "2024-01-02"],
            type: "FundOpened", stream: "fund-khuyen-hoc",
            data: ["fundId": "khuyen-hoc", "name": "Quỹ Khuyến học – Khuyến tài", "openedOn": "2024-01-02"],
            balance: "Fund khuyen-hoc balance: 0 đ")

        try expectRecorded(
            store,
            ["member", "enrol", "dv-001", "--name", nfd("Nguyễn Thị Ngọc Hường"), "--cell", nfd("Chi bộ khóm Vĩnh Tây 1"),
             "--date", "2024-01-03", "--event-id", "0f000000-0000-4000-8000-000000000003"],
            type: "MemberEnrolled", stream: "member-dv-001",
            data: ["memberId": "dv-001", "fullName": "Nguyễn Thị Ngọc Hường", "cell": "Chi bộ khóm Vĩnh Tây 1", "enrolledOn": "2024-01-03"],
            eventId: "0f000000-0000-4000-8000-000000000003")
        try expectRecorded(
            store, ["member", "enrol", "dv-002", "--name", nfd("Lê Văn Tư"), "--cell", nfd("Chi bộ khóm Vĩnh Đông 2"), "--date", "2024-01-03"],
            type: "MemberEnrolled", stream: "member-dv-002",
            data: ["memberId": "dv-002", "fullName": "Lê Văn Tư", "cell": "Chi bộ khóm Vĩnh Đông 2", "enrolledOn": "2024-01-03"])
        let left = try expectRecorded(
            store, ["member", "leave", "dv-002", "--reason", nfd("Chuyển sinh hoạt đảng"), "--date", "2024-06-01"],
            type: "MemberLeft", stream: "member-dv-002",
            data: ["memberId": "dv-002", "leftOn": "2024-06-01", "reason": "Chuyển sinh hoạt đảng"])
        try expectRecorded(
            store, ["member", "enrol", "dv-003", "--name", "Lê Thị Bé", "--cell", "Chi bộ khóm Vĩnh Đông 2", "--date", "2024-01-04"],
            type: "MemberEnrolled", stream: "member-dv-003",
            data: ["memberId": "dv-003", "fullName": "Lê Thị Bé", "cell": "Chi bộ khóm Vĩnh Đông 2", "enrolledOn": "2024-01-04"])
        try expectRecorded(
            store, ["member", "leave", "dv-003", "--date", "2024-06-02"], type: "MemberLeft", stream: "member-dv-003",
            data: ["memberId": "dv-003", "leftOn": "2024-06-02"])

        try expectRecorded(
            store,
            ["pledge", "make", "p-001", "--fund", fund, "--donor", nfd("Công ty TNHH Bảo Ngọc"), "--donor-kind", "business",
             "--amount", "20.000.000", "--due", "2024-12-31", "--date", "2024-02-01"],
            type: "PledgeMade", stream: "pledge-p-001",
            data: ["pledgeId": "p-001", "fundId": fund, "donor": ["name": "Công ty TNHH Bảo Ngọc", "kind": "business"],
                   "amount": 20_000_000, "pledgedOn": "2024-02-01", "dueOn": "2024-12-31"])
        try expectRecorded(
            store,
            ["pledge", "make", "p-002", "--fund", fund, "--donor", nfd("Bà Phạm Thị Hoa"), "--donor-kind", "individual",
             "--amount", "5_000_000", "--date", "2024-02-02"],
            type: "PledgeMade", stream: "pledge-p-002",
            data: ["pledgeId": "p-002", "fundId": fund, "donor": ["name": "Bà Phạm Thị Hoa", "kind": "individual"],
                   "amount": 5_000_000, "pledgedOn": "2024-02-02"])
        let cancelled = try expectRecorded(
            store, ["pledge", "cancel", "p-002", "--reason", nfd("Nhà hảo tâm xin rút lại"), "--date", "2024-02-10"],
            type: "PledgeCancelled", stream: "pledge-p-002",
            data: ["pledgeId": "p-002", "cancelledOn": "2024-02-10", "reason": "Nhà hảo tâm xin rút lại"])
        try expectRecorded(
            store,
            ["pledge", "make", "p-003", "--fund", fund, "--donor", nfd("Chùa Tây An"), "--donor-kind", "religiousBody",
             "--amount", "3000000", "--date", "2024-02-03"],
            type: "PledgeMade", stream: "pledge-p-003",
            data: ["pledgeId": "p-003", "fundId": fund, "donor": ["name": "Chùa Tây An", "kind": "religiousBody"],
                   "amount": 3_000_000, "pledgedOn": "2024-02-03"])
        let pledge3 = try #require(try logged(store).last?["eventId"] as? String)
        try expectRecorded(
            store, ["pledge", "make", "p-004", "--fund", fund, "--donor", "Hội Phụ nữ", "--donor-kind", "organisation",
                    "--amount", "1000", "--date", "2024-02-04"],
            type: "PledgeMade", stream: "pledge-p-004",
            data: ["pledgeId": "p-004", "fundId": fund, "donor": ["name": "Hội Phụ nữ", "kind": "organisation"], "amount": 1000,
                   "pledgedOn": "2024-02-04"])
        try expectRecorded(
            store, ["pledge", "cancel", "p-004", "--date", "2024-02-05"], type: "PledgeCancelled", stream: "pledge-p-004",
            data: ["pledgeId": "p-004", "cancelledOn": "2024-02-05"])

        try expectRecorded(
            store,
            ["donate", "--fund", fund, "--donor", nfd("Công ty TNHH Bảo Ngọc"), "--donor-kind", "business", "--amount", "10.000.000",
             "--pledge", "p-001", "--receipt", nfd("BL-0042/MTTQ-Phường"), "--date", "2024-02-15",
             "--event-id", "0f000000-0000-4000-8000-000000000010"],
            type: "DonationReceived", stream: fundStream,
            data: ["fundId": fund, "donor": ["name": "Công ty TNHH Bảo Ngọc", "kind": "business"], "amount": 10_000_000,
                   "receivedOn": "2024-02-15", "pledgeId": "p-001", "receiptNo": "BL-0042/MTTQ-Phường"],
            eventId: "0f000000-0000-4000-8000-000000000010", balance: "Fund \(fund) balance: 11.500.000 đ")
        let donation = try expectRecorded(
            store,
            ["donate", "--fund", fund, "--donor", nfd("Miếu Bà Chúa Xứ Núi Sam"), "--donor-kind", "religiousBody", "--amount", "2000000",
             "--date", "2024-02-20"],
            type: "DonationReceived", stream: fundStream,
            data: ["fundId": fund, "donor": ["name": "Miếu Bà Chúa Xứ Núi Sam", "kind": "religiousBody"], "amount": 2_000_000,
                   "receivedOn": "2024-02-20"],
            balance: "Fund \(fund) balance: 13.500.000 đ")
        try expectRecorded(
            store, ["donate", "--fund", fund, "--donor", "Đảng viên Lê Văn Tư", "--donor-kind", "partyMember", "--amount", "50000",
                    "--date", "2024-02-21"],
            type: "DonationReceived", stream: fundStream,
            data: ["fundId": fund, "donor": ["name": "Đảng viên Lê Văn Tư", "kind": "partyMember"], "amount": 50_000,
                   "receivedOn": "2024-02-21"],
            balance: "Fund \(fund) balance: 13.550.000 đ")

        try expectRecorded(
            store,
            ["piggybank", "start", "ong-heo-2024", "--name", nfd("Ống heo tiết kiệm 2024"), "--fund", fund, "--starts", "2024-03-01",
             "--ends", "2024-11-30", "--daily-target", "2.000", "--event-id", "0f000000-0000-4000-8000-000000000012"],
            type: "PiggyBankModelStarted", stream: "model-ong-heo-2024",
            data: ["modelId": "ong-heo-2024", "name": "Ống heo tiết kiệm 2024", "fundId": fund, "startsOn": "2024-03-01",
                   "endsOn": "2024-11-30", "dailyTarget": 2000],
            eventId: "0f000000-0000-4000-8000-000000000012")
        try expectRecorded(
            store, ["piggybank", "start", "ong-heo-2", "--name", "Ống heo khóm 2", "--fund", fund, "--starts", "2024-03-01", "--ends", "2024-11-30"],
            type: "PiggyBankModelStarted", stream: "model-ong-heo-2",
            data: ["modelId": "ong-heo-2", "name": "Ống heo khóm 2", "fundId": fund, "startsOn": "2024-03-01", "endsOn": "2024-11-30",
                   "dailyTarget": 1000])
        try expectRecorded(
            store, ["deposit", "--model", "ong-heo-2024", "--member", "dv-001", "--amount", "31.000", "--date", "2024-03-05",
                    "--event-id", "0f000000-0000-4000-8000-000000000014"],
            type: "PiggyBankDeposited", stream: fundStream,
            data: ["modelId": "ong-heo-2024", "memberId": "dv-001", "amount": 31_000, "depositedOn": "2024-03-05"],
            eventId: "0f000000-0000-4000-8000-000000000014", balance: "Fund \(fund) balance: 13.581.000 đ")
        let deposit = try expectRecorded(
            store, ["deposit", "--model", "ong-heo-2024", "--member", "dv-001", "--amount", "62000", "--date", "2024-04-05"],
            type: "PiggyBankDeposited", stream: fundStream,
            data: ["modelId": "ong-heo-2024", "memberId": "dv-001", "amount": 62_000, "depositedOn": "2024-04-05"],
            balance: "Fund \(fund) balance: 13.643.000 đ")

        try expectRecorded(
            store,
            ["disburse", "bhyt-2024-1", "--fund", fund, "--purpose", "healthInsurance", "--beneficiary", nfd("Hộ cận nghèo khóm Vĩnh Tây 1"),
             "--beneficiary-kind", "nearPoorHousehold", "--amount", "1.091.000", "--quantity", "2",
             "--decision", nfd("Quyết định 07/QĐ-MTTQ"), "--programme", nfd("BHYT năm 2024"), "--date", "2024-04-01",
             "--event-id", "0f000000-0000-4000-8000-000000000016"],
            type: "DisbursementMade", stream: fundStream,
            data: ["disbursementId": "bhyt-2024-1", "fundId": fund, "purpose": "healthInsurance",
                   "beneficiary": ["name": "Hộ cận nghèo khóm Vĩnh Tây 1", "kind": "nearPoorHousehold"], "amount": 1_091_000,
                   "quantity": 2, "disbursedOn": "2024-04-01", "decisionRef": "Quyết định 07/QĐ-MTTQ", "programme": "BHYT năm 2024"],
            eventId: "0f000000-0000-4000-8000-000000000016", balance: "Fund \(fund) balance: 12.552.000 đ")
        let disbursement = try expectRecorded(
            store,
            ["disburse", "qua-tet-1", "--fund", fund, "--purpose", "gift", "--beneficiary", nfd("Hộ bà Lê Thị Mai"),
             "--beneficiary-kind", "poorHousehold", "--amount", "500.000", "--date", "2024-04-02"],
            type: "DisbursementMade", stream: fundStream,
            data: ["disbursementId": "qua-tet-1", "fundId": fund, "purpose": "gift",
                   "beneficiary": ["name": "Hộ bà Lê Thị Mai", "kind": "poorHousehold"], "amount": 500_000, "quantity": 1,
                   "disbursedOn": "2024-04-02"],
            balance: "Fund \(fund) balance: 12.052.000 đ")

        try expectRecorded(
            store,
            ["external", "record", "--organisation", nfd("Ngân hàng Chính sách xã hội"), "--programme", nfd("Cho vay hộ nghèo"),
             "--description", nfd("Giải ngân vốn vay cho 12 hộ"), "--beneficiaries", "12", "--value", "240.000.000",
             "--source", nfd("Vốn Trung ương"), "--date", "2024-05-01", "--event-id", "0f000000-0000-4000-8000-000000000018"],
            type: "ExternalSupportRecorded", stream: "external-support",
            data: ["organisation": "Ngân hàng Chính sách xã hội", "programme": "Cho vay hộ nghèo", "description": "Giải ngân vốn vay cho 12 hộ",
                   "beneficiaries": 12, "value": 240_000_000, "recordedOn": "2024-05-01", "source": "Vốn Trung ương"],
            eventId: "0f000000-0000-4000-8000-000000000018")
        let external = try expectRecorded(
            store,
            ["external", "record", "--organisation", "Công ty Bảo Ngọc", "--programme", "Tết", "--description", "Khám bệnh miễn phí",
             "--beneficiaries", "76", "--value", "0", "--date", "2024-05-02"],
            type: "ExternalSupportRecorded", stream: "external-support",
            data: ["organisation": "Công ty Bảo Ngọc", "programme": "Tết", "description": "Khám bệnh miễn phí", "beneficiaries": 76,
                   "value": 0, "recordedOn": "2024-05-02"])

        let modelClosed = try expectRecorded(
            store, ["piggybank", "close", "ong-heo-2", "--decision", nfd("Nghị quyết 12-NQ/ĐU"), "--date", "2024-11-29"],
            type: "PiggyBankModelClosed", stream: "model-ong-heo-2",
            data: ["modelId": "ong-heo-2", "closedOn": "2024-11-29", "decisionRef": "Nghị quyết 12-NQ/ĐU"])
        try expectRecorded(
            store, ["piggybank", "close", "ong-heo-2024", "--date", "2024-11-30"], type: "PiggyBankModelClosed", stream: "model-ong-heo-2024",
            data: ["modelId": "ong-heo-2024", "closedOn": "2024-11-30"])

        // A reversal of every kind that can be reversed goes to the stream of the entry it reverses.
        let reversals: [(id: String, stream: String, date: String, balance: String?)] = [
            (donation, fundStream, "2024-12-01", "Fund \(fund) balance: 10.052.000 đ"),
            (deposit, fundStream, "2024-12-02", "Fund \(fund) balance: 9.990.000 đ"),
            (disbursement, fundStream, "2024-12-03", "Fund \(fund) balance: 10.490.000 đ"),
            (external, "external-support", "2024-12-04", nil), (left, "member-dv-002", "2024-12-05", nil),
            (pledge3, "pledge-p-003", "2024-12-06", nil), (cancelled, "pledge-p-002", "2024-12-07", nil),
            (modelClosed, "model-ong-heo-2", "2024-12-08", nil),
        ]
        for (index, reversal) in reversals.enumerated() {
            let eventId = index == 0 ? "0f000000-0000-4000-8000-000000000020" : nil
            try expectRecorded(
                store, ["reverse", reversal.id, "--reason", nfd("Nhập nhầm, điều chỉnh lần \(index + 1)"), "--date", reversal.date]
                    + (eventId.map { ["--event-id", $0] } ?? []),
                type: "EntryReversed", stream: reversal.stream,
                data: ["reversesEventId": reversal.id, "reversedOn": reversal.date, "reason": "Nhập nhầm, điều chỉnh lần \(index + 1)"],
                eventId: eventId, balance: reversal.balance)
        }

        // The close carries each fund's balance and each model's savings at the end of the day,
        // as computed here from what was recorded above.
        try expectRecorded(
            store,
            ["period", "close", "--through", "2024-12-31", "--decision", nfd("Quyết định 15/QĐ-MTTQ ngày 05/01/2025"),
             "--event-id", "0f000000-0000-4000-8000-000000000030"],
            type: "PeriodClosed", stream: "periods",
            data: ["through": "2024-12-31", "decision": "Quyết định 15/QĐ-MTTQ ngày 05/01/2025",
                   "funds": [["fundId": "khuyen-hoc", "balance": 0],
                             ["fundId": fund, "balance": 1_500_000 + 10_000_000 + 50_000 + 31_000 - 1_091_000]],
                   "models": [["modelId": "ong-heo-2", "collected": 0], ["modelId": "ong-heo-2024", "collected": 31_000]]],
            eventId: "0f000000-0000-4000-8000-000000000030")

        // Without --date, the business date is today in Asia/Ho_Chi_Minh; without --actor,
        // the recorder is $ANSINH_ACTOR, else the login name.
        // "Today" is the store's clock's, read from the event's recordedAt: the date is taken
        // just before the store stamps the event, so it is that day or, past midnight, the one before.
        try expectRecorded(
            store, ["member", "enrol", "dv-009", "--name", "Võ Văn Chín", "--cell", "Chi bộ khóm Vĩnh Tây 1"], actor: nil,
            environment: ["ANSINH_ACTOR": nfd("Phạm Thu Hà")], recordedBy: "Phạm Thu Hà", type: "MemberEnrolled", stream: "member-dv-009",
            dataGiven: { recordedAt in
                let today = try wardDay(ofRecordedAt: recordedAt)
                return [today, try day(-1, after: today)].map { date -> [String: Any] in
                    ["memberId": "dv-009", "fullName": "Võ Văn Chín", "cell": "Chi bộ khóm Vĩnh Tây 1", "enrolledOn": date]
                }
            },
            retry: false)
        try expectRecorded(
            store, ["member", "enrol", "dv-010", "--name", "Võ Văn Mười", "--cell", "Chi bộ khóm Vĩnh Tây 1", "--date", "2025-01-02"],
            actor: nil, recordedBy: "thu-ky", type: "MemberEnrolled", stream: "member-dv-010",
            data: ["memberId": "dv-010", "fullName": "Võ Văn Mười", "cell": "Chi bộ khóm Vĩnh Tây 1", "enrolledOn": "2025-01-02"])

        // import records each line's type, data (names in NFC) and event id, in order, as one batch.
        let start = try head(of: store).position
        let imported = "0f000000-0000-4000-8000-000000000040"
        let lines = [
            #"{"type":"DonationReceived","data":{"fundId":"\#(fund)","donor":{"name":"\#(nfd("Ông Nguyễn Văn Ấn"))","kind":"individual"},"amount":400000000,"receivedOn":"2025-01-05","receiptNo":"BL-0100"},"eventId":"\#(imported)"}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"hb-2025-1","fundId":"\#(fund)","purpose":"scholarship","beneficiary":{"name":"\#(nfd("Em Trần Văn Bảy"))","kind":"student"},"amount":2000000,"quantity":1,"disbursedOn":"2025-01-06","programme":"Học bổng 2025"}}"#,
        ]
        run = try ansinh(
            ["import", "-", "--store", store.path, "--actor", nfd("Trần Thị Lan")], input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout == "Imported 2 events: 2 recorded; head position \(start + 2).\n")
        let (events, text) = try loggedText(store, from: start + 1)
        try #require(events.count == 2)
        #expect(events.map { $0["position"] as? Int } == [start + 1, start + 2])
        #expect(events[0]["eventId"] as? String == imported)
        #expect(UUID(uuidString: events[1]["eventId"] as? String ?? "") != nil)
        #expect(events.map { $0["type"] as? String } == ["DonationReceived", "DisbursementMade"])
        #expect(events.map { $0["stream"] as? String } == [fundStream, fundStream])
        #expect(events.map { $0["schemaVersion"] as? Int } == [3, 2])
        for event in events { #expect(difference(event["recordedBy"], "Trần Thị Lan", at: "recordedBy") == nil) }
        let donationData: [String: Any] = [
            "fundId": fund, "donor": ["name": "Ông Nguyễn Văn Ấn", "kind": "individual"], "amount": 400_000_000, "receivedOn": "2025-01-05",
            "receiptNo": "BL-0100",
        ]
        let disbursementData: [String: Any] = [
            "disbursementId": "hb-2025-1", "fundId": fund, "purpose": "scholarship", "beneficiary": ["name": "Em Trần Văn Bảy", "kind": "student"],
            "amount": 2_000_000, "quantity": 1, "disbursedOn": "2025-01-06", "programme": "Học bổng 2025",
        ]
        let donationFound = try opened(events[0]["data"], in: store)
        let disbursementFound = try opened(events[1]["data"], in: store)
        #expect(difference(donationFound, donationData) == nil, "\(difference(donationFound, donationData) ?? "")")
        #expect(difference(disbursementFound, disbursementData) == nil, "\(difference(disbursementFound, disbursementData) ?? "")")
        // Sealed: the log holds neither form of a person's name.
        for name in ["Ông Nguyễn Văn Ấn", "Em Trần Văn Bảy"] {
            #expect(!text.contains(name) && Array(text.utf8).firstRange(of: Array(nfd(name).utf8)) == nil, "\(name) in the clear")
        }
        #expect(Array(text.utf8).firstRange(of: Array(nfd("Ông Nguyễn Văn Ấn").utf8)) == nil)

        // The same clerk, however her name was typed, is one recorder in the audit trail.
        for name in ["Trần Thị Lan", nfd("Trần Thị Lan")] {
            let trail = try store.run("audit", "trail", "--recorded-by", name, "--format", "json")
            let rows = try #require(try parsed(trail.stdout) as? [[String: Any]], "\(trail.stdout) \(trail.stderr)")
            #expect(rows.map { $0["position"] as? Int } == [1, start + 1, start + 2], "\(trail.stdout)")
        }

        // keys init records no event.
        let before = try head(of: store)
        run = try store.run("keys", "init")
        #expect(run.status == 0, "\(run.stderr)")
        let published = try String(contentsOfFile: store.path + "/signing.pub", encoding: .utf8)
        #expect(run.stdout == "Created the ward's signing key. Public key (publish it):\n\(published)")
        #expect(try head(of: store) == before)
    }
}

// MARK: - Exit statuses

/// What a refusal's one line on standard error must say.
private enum Says {
    /// The whole line after `ansinh: `.
    case exactly(String)
    /// The start of the line after `ansinh: `.
    case startsWith(String)
    /// Words the line holds (an argument-parser message, which is not ours to word).
    case mentions([String])
}

/// Runs a command that must be refused with `status`: one line on standard error saying
/// what `says`, nothing on standard output, and the head of the log where it was.
private func expectRefused(
    _ store: StoreFolder, _ arguments: [String], status: Int32, _ says: Says, input: Data? = nil,
    sourceLocation: SourceLocation = #_sourceLocation
) throws {
    let before = try head(of: store)
    let run = try ansinh(arguments + ["--store", store.path, "--actor", "lan"], input: input)
    #expect(run.status == status, "\(arguments): exit \(run.status), \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)", sourceLocation: sourceLocation)
    #expect(run.stderr.hasPrefix("ansinh: ") && run.stderr.hasSuffix("\n"), "\(arguments): \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.split(separator: "\n").count == 1, "one line: \(run.stderr)", sourceLocation: sourceLocation)
    let line = String(run.stderr.dropFirst("ansinh: ".count).dropLast())
    switch says {
    case .exactly(let text): #expect(line == text, "\(arguments)", sourceLocation: sourceLocation)
    case .startsWith(let text): #expect(line.hasPrefix(text), "\(arguments): \(line)", sourceLocation: sourceLocation)
    case .mentions(let words):
        for word in words { #expect(line.contains(word), "\(arguments): \(line) does not mention \(word)", sourceLocation: sourceLocation) }
    }
    #expect(try head(of: store) == before, "\(arguments) wrote", sourceLocation: sourceLocation)
}

/// The data file's bytes, to show that nothing was written to a store no command may open.
private func dataFile(_ path: String) throws -> Data { try Data(contentsOf: URL(fileURLWithPath: path + "/data.mdb")) }

@Suite("Every exit status the README promises, from the command line", .serialized)
struct ExitStatusTests {
    static let fundOpened = "0e000000-0000-4000-8000-000000000001"
    static let donation = "0e000000-0000-4000-8000-000000000007"
    static let reversal = "0e000000-0000-4000-8000-000000000008"

    /// A fund with 900 đ, a member, a cancelled pledge, a closed model, a reversed
    /// donation, a disbursement, and the books closed through 2024-06-30.
    static func ledger() throws -> StoreFolder {
        let store = try StoreFolder.initialised()
        let lines = [
            #"{"type":"FundOpened","data":{"fundId":"f","name":"Quỹ F","openedOn":"2024-01-01","openingBalance":1000},"eventId":"\#(fundOpened)"}"#,
            #"{"type":"MemberEnrolled","data":{"memberId":"dv-1","fullName":"Nguyễn Văn Một","cell":"Chi bộ 1","enrolledOn":"2024-01-01"}}"#,
            #"{"type":"PledgeMade","data":{"pledgeId":"p-1","fundId":"f","donor":{"name":"Bà Hoa","kind":"individual"},"amount":500,"pledgedOn":"2024-02-01"}}"#,
            #"{"type":"PledgeCancelled","data":{"pledgeId":"p-1","cancelledOn":"2024-02-05"}}"#,
            #"{"type":"PiggyBankModelStarted","data":{"modelId":"pb","name":"Ống heo","fundId":"f","startsOn":"2024-03-01","endsOn":"2024-11-30","dailyTarget":1000}}"#,
            #"{"type":"PiggyBankModelClosed","data":{"modelId":"pb","closedOn":"2024-11-30"}}"#,
            #"{"type":"DonationReceived","data":{"fundId":"f","donor":{"name":"Chùa Tây An","kind":"religiousBody"},"amount":100,"receivedOn":"2024-03-01"},"eventId":"\#(donation)"}"#,
            #"{"type":"EntryReversed","data":{"reversesEventId":"\#(donation)","reversedOn":"2024-03-02","reason":"nhập nhầm"},"eventId":"\#(reversal)"}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"d-1","fundId":"f","purpose":"gift","beneficiary":{"name":"Hộ A","kind":"poorHousehold"},"amount":100,"quantity":1,"disbursedOn":"2024-03-03"}}"#,
        ]
        let run = try store.run("import", "-", input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(run.status == 0, "\(run.stderr)")
        let close = try store.run("period", "close", "--through", "2024-06-30", "--decision", "Quyết định 05/QĐ-MTTQ")
        #expect(close.status == 0, "\(close.stderr)")
        #expect(try head(of: store).position == 10)
        return store
    }

    @Test("64: bad options or arguments, named, with where to read more")
    func usage() throws {
        let store = try Self.ledger()
        let cases: [([String], [String])] = [
            (["donate", "--fund", "f", "--donor", "X", "--donor-kind", "individual"], ["--amount", "see `ansinh donate --help`"]),
            (["donate", "--fund", "f", "--donor", "X", "--donor-kind", "alien", "--amount", "5"], ["alien", "--donor-kind"]),
            (["disburse", "d-9", "--fund", "f", "--purpose", "party", "--beneficiary", "H", "--beneficiary-kind", "child", "--amount", "5"],
             ["party", "--purpose"]),
            (["deposit", "--model", "pb", "--member", "dv-1", "--amount", "1,000"], ["--amount"]),
            (["reverse", "not-a-uuid", "--reason", "x"], ["not-a-uuid", "see `ansinh reverse --help`"]),
            (["fund", "open", "g", "--name", "G", "--surprise"], ["--surprise", "see `ansinh fund open --help`"]),
            (["report", "--from", "2024-01-01", "--to", "2024-12-31", "--lang", "fr"], ["--lang is en or vi"]),
            (["report", "--from", "2024-12-31", "--to", "2024-01-01"], ["--from 2024-12-31 is after --to 2024-01-01"]),
            (["audit", "replay"], ["give exactly one of --as-of, --recorded-as-of and --until-position"]),
            (["export", "--out", store.path + "-x", "--incremental", "--since-position", "1"], ["give --incremental or --since-position, not both"]),
        ]
        for (arguments, words) in cases {
            try expectRefused(store, arguments, status: 64, .mentions(words))
        }
        #expect(!FileManager.default.fileExists(atPath: store.path + "-x"))
        let unknown = try ansinh(["frobnicate"])
        #expect(unknown.status == 64)
        #expect(unknown.stderr == "ansinh: Unexpected argument 'frobnicate'; see `ansinh --help`\n", "\(unknown.stderr)")
    }

    @Test("65: a field, a rule of the ledger, an import line, or input that cannot be read")
    func refused() throws {
        let store = try Self.ledger()
        let missing = store.path + "-missing.jsonl"
        let cases: [([String], Says)] = [
            (["donate", "--fund", "f", "--donor", "X", "--donor-kind", "individual", "--amount", "0", "--date", "2024-07-01"],
             .exactly("DonationReceived.amount: must be > 0")),
            (["member", "enrol", "dv zz", "--name", "A", "--cell", "B", "--date", "2024-07-01"],
             .exactly("MemberEnrolled.memberId: must be letters, digits, '.', '_' or '-' (starting with a letter or digit), not \"dv zz\"")),
            (["disburse", "d-2", "--fund", "f", "--purpose", "gift", "--beneficiary", "Hộ B", "--beneficiary-kind", "poorHousehold",
              "--amount", "901", "--date", "2024-07-01"],
             .exactly("fund f has 900 đ on 2024-07-01, less than the 901 đ asked: its balance would go below 0 on that date")),
            (["donate", "--fund", "nope", "--donor", "X", "--donor-kind", "individual", "--amount", "5", "--date", "2024-07-01"],
             .exactly("fund nope does not exist")),
            (["reverse", Self.fundOpened, "--reason", "x", "--date", "2024-07-01"],
             .exactly("entry \(Self.fundOpened) is of type FundOpened, which cannot be reversed")),
            (["reverse", Self.reversal, "--reason", "x", "--date", "2024-07-01"],
             .exactly("entry \(Self.reversal) is of type EntryReversed, which cannot be reversed")),
            (["reverse", "0e000000-0000-4000-8000-0000000000ff", "--reason", "x", "--date", "2024-07-01"],
             .exactly("no entry has event id 0e000000-0000-4000-8000-0000000000ff")),
            (["donate", "--fund", "f", "--donor", "X", "--donor-kind", "individual", "--amount", "5", "--date", "2024-06-15"],
             .exactly("the books are closed through 2024-06-30 (Quyết định 05/QĐ-MTTQ): DonationReceived dated 2024-06-15 cannot be recorded; "
                 + "correct a closed period with a reversal dated after 2024-06-30")),
            (["deposit", "--model", "pb", "--member", "dv-1", "--amount", "1000", "--date", "2024-07-01"],
             .exactly("piggy-bank model pb was closed on 2024-11-30 and takes no more deposits")),
            (["donate", "--fund", "f", "--donor", "Bà Hoa", "--donor-kind", "individual", "--amount", "500", "--pledge", "p-1", "--date", "2024-07-01"],
             .exactly("pledge p-1 was cancelled on 2024-02-05 and takes no more donations")),
            (["period", "close", "--through", "2999-01-01", "--decision", "x"], .startsWith("the books cannot be closed through 2999-01-01, after today (")),
            (["fund", "show", "nope"], .exactly("fund nope does not exist")),
            (["import", missing], .exactly("cannot read \(missing): no such file")),
        ]
        for (arguments, says) in cases {
            try expectRefused(store, arguments, status: 65, says)
        }
        // An import is all or nothing: a good line before the bad one is not written either.
        let lines = #"""
            {"type":"DonationReceived","data":{"fundId":"f","donor":{"name":"A","kind":"individual"},"amount":5,"receivedOn":"2024-07-01"}}
            {"type":"DonationReceived","data":{"fundId":"f","donor":{"name":"B","kind":"alien"},"amount":5,"receivedOn":"2024-07-01"}}

            """#
        try expectRefused(store, ["import", "-"], status: 65, .startsWith("line 2: DonationReceived.donor.kind: "), input: Data(lines.utf8))
    }

    @Test("73: the id exists, the event id names another event, already reversed, cancelled, closed, or the books closed")
    func conflicts() throws {
        let store = try Self.ledger()
        let cases: [([String], String)] = [
            (["fund", "open", "f", "--name", "Again", "--date", "2024-07-01"], "fund f already exists"),
            (["member", "enrol", "dv-1", "--name", "A", "--cell", "B", "--date", "2024-07-01"], "member dv-1 already exists"),
            (["pledge", "make", "p-1", "--fund", "f", "--donor", "X", "--donor-kind", "individual", "--amount", "5", "--date", "2024-07-01"],
             "pledge p-1 already exists"),
            (["piggybank", "start", "pb", "--name", "Again", "--fund", "f", "--starts", "2024-07-01", "--ends", "2024-11-30"],
             "piggy-bank model pb already exists"),
            (["disburse", "d-1", "--fund", "f", "--purpose", "gift", "--beneficiary", "Hộ A", "--beneficiary-kind", "poorHousehold",
              "--amount", "1", "--date", "2024-07-01"], "disbursement d-1 already exists"),
            (["fund", "open", "g", "--name", "G", "--date", "2024-07-01", "--event-id", Self.fundOpened],
             "event id \(Self.fundOpened) is already used by a different event at position 1"),
            (["donate", "--fund", "f", "--donor", "Chùa Tây An", "--donor-kind", "religiousBody", "--amount", "101", "--date", "2024-03-01",
              "--event-id", Self.donation], "event id \(Self.donation) is already used by a different event at position 7"),
            (["reverse", Self.donation, "--reason", "again", "--date", "2024-07-02"], "entry \(Self.donation) was already reversed at position 8"),
            (["pledge", "cancel", "p-1", "--date", "2024-07-03"], "pledge p-1 was already cancelled on 2024-02-05"),
            (["piggybank", "close", "pb", "--date", "2024-12-01"], "piggy-bank model pb was already closed on 2024-11-30"),
            (["period", "close", "--through", "2024-06-30", "--decision", "again"],
             "the books are already closed through 2024-06-30: a new close must be through a later date than that, not 2024-06-30"),
            (["period", "close", "--through", "2024-05-31", "--decision", "earlier"],
             "the books are already closed through 2024-06-30: a new close must be through a later date than that, not 2024-05-31"),
            (["init", "--ward", "X", "--province", "Y"], "a store already exists at \(store.path)"),
        ]
        for (arguments, message) in cases {
            try expectRefused(store, arguments, status: 73, .exactly(message))
        }
        // The same through an import line, and the same event again, which is no conflict.
        let reused = #"{"type":"FundOpened","data":{"fundId":"g","name":"G","openedOn":"2024-07-01"},"eventId":"\#(Self.fundOpened)"}"#
        try expectRefused(
            store, ["import", "-"], status: 73,
            .exactly("line 1: FundOpened: event id \(Self.fundOpened) is already used by a different event at position 1"),
            input: Data((reused + "\n").utf8))
        let same = try store.run(
            "fund", "open", "f", "--name", "Quỹ F", "--opening-balance", "1000", "--date", "2024-01-01", "--event-id", Self.fundOpened)
        #expect(same.status == 0, "\(same.stderr)")
        #expect(same.stdout.hasPrefix("Already recorded: FundOpened at position 1 (event \(Self.fundOpened)); nothing written."))
        #expect(try store.run("keys", "init").status == 0)
        try expectRefused(store, ["keys", "init"], status: 73, .exactly("the ward already has a signing key (\(store.path)/signing.key)"))
    }

    @Test("74: no store, a file for a store, a store of a newer format; nothing is written to it")
    func storeProblems() throws {
        let store = try Self.ledger()
        let nowhere = store.path + "-nowhere"
        var run = try ansinh(["funds", "--store", nowhere])
        #expect(run.status == 74)
        #expect(
            run.stderr
                == "ansinh: no store at \(nowhere); create one with `ansinh init --ward NAME --province NAME` (and --store PATH for another place)\n")
        run = try ansinh(["fund", "open", "g", "--name", "G", "--store", nowhere])
        #expect(run.status == 74)
        #expect(!FileManager.default.fileExists(atPath: nowhere), "recording creates no store")
        run = try ansinh(["funds", "--store", store.path + "/data.mdb"])
        #expect(run.status == 74)
        #expect(run.stderr == "ansinh: \(store.path)/data.mdb is a file; a store is a folder (give --store a folder's path)\n")

        // A newer format, written where and as EventLog keeps it: `format` in `meta`, a big-endian u32.
        let before = try head(of: store)
        try setFormat(2, of: store.path)
        let bytes = try dataFile(store.path)
        let newer = "ansinh: the store uses format 2, newer than the format 1 this program reads; use a newer version of the program\n"
        let out = store.path + "-export"
        for arguments in [
            ["funds"], ["status"], ["log"], ["fund", "open", "g", "--name", "G", "--date", "2024-07-01"],
            ["import", "-"], ["projections", "rebuild"], ["audit", "verify"], ["export", "--out", out],
            ["period", "close", "--through", "2024-07-31", "--decision", "x"],
        ] {
            let run = try ansinh(arguments + ["--store", store.path], input: Data())
            #expect(run.status == 74, "\(arguments): \(run.status) \(run.stderr)")
            #expect(run.stderr == newer, "\(arguments): \(run.stderr)")
            #expect(run.stdout.isEmpty, "\(arguments): \(run.stdout)")
        }
        #expect(try dataFile(store.path) == bytes, "nothing written")
        #expect(!FileManager.default.fileExists(atPath: out), "no export")
        try setFormat(1, of: store.path)
        #expect(try head(of: store) == before)
    }

    /// Writes `format` into the store's meta database, as `EventLog` keeps it.
    private func setFormat(_ format: UInt32, of path: String) throws {
        let environment = try Environment(path: path)
        try environment.write { transaction in
            let meta = try transaction.openDatabase("meta")
            try transaction.put(meta, key: "format", value: withUnsafeBytes(of: format.bigEndian) { Array($0) })
        }
    }

    @Test("74: a store this user may not read or write; nothing is written")
    func permissionDenied() throws {
        let store = try Self.ledger()
        let before = try head(of: store)
        let bytes = try dataFile(store.path)
        let asRoot = getuid() == 0
        // As root, permissions do not stop us: run as nobody instead, with a copy of ansinh
        // it can reach. Otherwise, take our own rights away.
        let place = try TemporaryFolder()
        let executable: String
        if asRoot {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: place.path)
            executable = place.path + "/ansinh"
            try FileManager.default.copyItem(atPath: ansinhExecutable.path, toPath: executable)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: executable)
        } else {
            executable = ansinhExecutable.path
            try FileManager.default.setAttributes([.posixPermissions: 0o000], ofItemAtPath: store.path)
        }
        defer { try? FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: store.path) }
        func run(_ arguments: [String]) throws -> (status: Int32, output: String) {
            let command = [executable] + arguments + ["--store", store.path, "--actor", "lan"]
            return asRoot
                ? try runProcess("/usr/bin/setpriv", ["--reuid=65534", "--regid=65534", "--clear-groups", "--"] + command, environment: ["HOME": "/"])
                : try runProcess(executable, Array(command.dropFirst()))
        }
        for arguments in [["funds"], ["log", "--format", "json"], ["fund", "open", "g", "--name", "G", "--date", "2024-07-01"], ["audit", "verify"]] {
            let (status, output) = try run(arguments)
            #expect(status == 74, "\(arguments): \(status) \(output)")
            #expect(output.hasPrefix("ansinh: ") && output.split(separator: "\n").count == 1, "\(arguments): \(output)")
            #expect(output.contains("ermission denied"), "\(arguments): \(output)")
            #expect(!output.contains("damaged"), "\(arguments): a store we may not read is not damaged: \(output)")
        }
        // A store others may read but not write: queries answer, recording is refused.
        if asRoot {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: store.path)
            for name in ["data.mdb", "lock.mdb", "store-id"] {
                try FileManager.default.setAttributes([.posixPermissions: 0o644], ofItemAtPath: store.path + "/" + name)
            }
            defer {
                for name in ["data.mdb", "lock.mdb", "store-id"] {
                    try? FileManager.default.setAttributes([.posixPermissions: 0o600], ofItemAtPath: store.path + "/" + name)
                }
            }
            let (status, output) = try run(["fund", "open", "g", "--name", "G", "--date", "2024-07-01"])
            #expect(status == 74, "\(output)")
            #expect(output.contains("ermission denied") && output.split(separator: "\n").count == 1, "\(output)")
        }
        try FileManager.default.setAttributes([.posixPermissions: 0o700], ofItemAtPath: store.path)
        #expect(try dataFile(store.path) == bytes, "nothing written")
        #expect(try head(of: store) == before)
    }

    @Test("1: audit verify finds an event's bytes changed, and names its position")
    func auditFails() throws {
        let store = try Self.ledger()
        var run = try store.run("audit", "verify")
        #expect(run.status == 0, "\(run.stderr)")
        // The reason of the reversal at position 8 is in the event alone, not in a read model.
        var bytes = [UInt8](try dataFile(store.path))
        let found = bytes.ranges(of: Array("nhập nhầm".utf8)).map(\.lowerBound)
        try #require(!found.isEmpty)
        for start in found { bytes[start] ^= 0x20 }  // "Nhập nhầm"
        try Data(bytes).write(to: URL(fileURLWithPath: store.path + "/data.mdb"))
        run = try store.run("audit", "verify")
        #expect(run.status == 1, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("ansinh: audit failed: position 8: bytes changed: they hash to "), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1 && run.stdout.isEmpty)
    }
}

// MARK: - What auditors and the nightly job rely on

@Suite("Replays, incremental exports, the Vietnamese report, the store's precedence, quiet pipes", .serialized)
struct AuditorOptionTests {
    /// A fund of 1.000.000 đ brought forward, money in and out on dates that are not in the
    /// order they were recorded, a deposit reversed later, and external support.
    static func ledger() throws -> StoreFolder {
        let store = try StoreFolder.initialised()
        let commands: [[String]] = [
            ["fund", "open", "f", "--name", "Quỹ F", "--opening-balance", "1.000.000", "--date", "2024-01-01"],  // 1
            ["member", "enrol", "dv-1", "--name", "Nguyễn Văn Một", "--cell", "Chi bộ 1", "--date", "2024-01-01"],  // 2
            ["piggybank", "start", "pb", "--name", "Ống heo", "--fund", "f", "--starts", "2024-03-01", "--ends", "2024-11-30"],  // 3
            ["donate", "--fund", "f", "--donor", "Chùa Tây An", "--donor-kind", "religiousBody", "--amount", "5.000.000", "--date", "2024-03-01"],  // 4
            ["donate", "--fund", "f", "--donor", "Bà Hoa", "--donor-kind", "individual", "--amount", "700.000", "--date", "2024-02-01"],  // 5
            ["deposit", "--model", "pb", "--member", "dv-1", "--amount", "31.000", "--date", "2024-03-05",
             "--event-id", "0a000000-0000-4000-8000-000000000006"],  // 6
            ["disburse", "d-1", "--fund", "f", "--purpose", "gift", "--beneficiary", "Hộ A", "--beneficiary-kind", "poorHousehold",
             "--amount", "2.000.000", "--quantity", "3", "--date", "2024-04-10"],  // 7
            ["reverse", "0a000000-0000-4000-8000-000000000006", "--reason", "nhập nhầm", "--date", "2024-04-10"],  // 8
            ["external", "record", "--organisation", "Ngân hàng CSXH", "--programme", "Cho vay", "--description", "Vay vốn",
             "--beneficiaries", "12", "--value", "240.000.000", "--date", "2024-03-20"],  // 9
        ]
        for arguments in commands {
            let run = try ansinh(arguments + ["--store", store.path, "--actor", "lan"])
            #expect(run.status == 0, "\(arguments): \(run.stderr)")
        }
        return store
    }

    static let unsigned = "Not signed: create the ward's key with `ansinh keys init`.\nView: public\n"

    /// `audit replay … --format json`, parsed.
    func replay(_ store: StoreFolder, _ arguments: String...) throws -> [String: Any] {
        let run = try ansinh(["audit", "replay"] + arguments + ["--format", "json", "--store", store.path])
        #expect(run.status == 0, "\(arguments): \(run.stderr)")
        #expect(run.stderr.isEmpty, "\(arguments): \(run.stderr)")
        return try #require(try parsed(run.stdout) as? [String: Any], "\(run.stdout)")
    }

    @Test("audit replay --as-of counts every entry by its business date; --recorded-as-of by when the log held it")
    func replayAsOf() throws {
        let store = try Self.ledger()
        // Figures computed from what was recorded, by business date:
        // (day, balance, received, disbursed, collected, external support)
        let expected: [(String, Int, Int, Int, Int, Int)] = [
            ("2024-01-31", 1_000_000, 0, 0, 0, 0),
            ("2024-02-29", 1_700_000, 700_000, 0, 0, 0),
            ("2024-03-04", 6_700_000, 5_700_000, 0, 0, 0),
            ("2024-03-31", 6_731_000, 5_731_000, 0, 31_000, 240_000_000),
            ("2024-04-09", 6_731_000, 5_731_000, 0, 31_000, 240_000_000),
            ("2024-04-10", 4_700_000, 5_700_000, 2_000_000, 0, 240_000_000),
            ("2024-12-31", 4_700_000, 5_700_000, 2_000_000, 0, 240_000_000),
        ]
        for (day, balance, received, disbursed, collected, external) in expected {
            let past = try replay(store, "--as-of", day)
            #expect(past["asOf"] as? String == day)
            #expect(past["position"] as? Int == 9, "every event recorded is looked at")
            let funds = try #require(past["funds"] as? [[String: Any]])
            try #require(funds.count == 1, "\(day)")
            #expect(funds[0]["fundId"] as? String == "f")
            #expect(funds[0]["balance"] as? Int == balance, "\(day)")
            #expect(funds[0]["received"] as? Int == received, "\(day)")
            #expect(funds[0]["disbursed"] as? Int == disbursed, "\(day)")
            let report = try #require(past["report"] as? [String: Any])
            #expect(report["from"] as? String == "2024-01-01" && report["to"] as? String == day)
            let reported = try #require((report["funds"] as? [[String: Any]])?.first)
            #expect(reported["opening"] as? Int == 1_000_000, "\(day)")
            #expect(reported["closing"] as? Int == balance, "\(day)")
            #expect(report["externalSupportValue"] as? Int == external, "\(day)")
            let models = try #require(past["piggyBanks"] as? [[String: Any]])
            if day < "2024-03-01" {
                #expect(models.isEmpty, "\(day): the model had not started")
            } else {
                #expect(models.first?["collected"] as? Int == collected, "\(day)")
            }
        }
        // The table says which day it is for.
        let table = try store.run("audit", "replay", "--as-of", "2024-02-29")
        #expect(table.stdout.hasPrefix("The books for the end of 2024-02-29 (every entry dated on or before it)\n"), "\(table.stdout)")
        #expect(table.stdout.contains("1.700.000 đ"), "\(table.stdout)")

        // By recording date, from the log's own clock: nothing the day before the first
        // event was recorded; everything, whatever its business date, by the last one's day.
        let events = try logged(store)
        let days = try events.map { try wardDay(ofRecordedAt: try #require($0["recordedAt"] as? String)) }
        let first = try #require(days.first)
        var past = try replay(store, "--recorded-as-of", try day(-1, after: first))
        #expect(past["position"] as? Int == 0)
        #expect((past["funds"] as? [Any])?.isEmpty == true)
        for day in Set(days) {
            past = try replay(store, "--recorded-as-of", day)
            #expect(past["recordedAsOf"] as? String == day)
            let position = days.lastIndex { $0 <= day }.map { $0 + 1 } ?? 0
            #expect(past["position"] as? Int == position)
            if position == 9 {
                #expect((past["funds"] as? [[String: Any]])?.first?["balance"] as? Int == 4_700_000)
            }
        }
        past = try replay(store, "--until-position", "5")
        #expect((past["funds"] as? [[String: Any]])?.first?["balance"] as? Int == 6_700_000)
    }

    @Test("export --incremental writes only the events since the last export, chained on to it")
    func incrementalExports() throws {
        let store = try Self.ledger()
        let folder = try TemporaryFolder()
        func manifest(_ name: String) throws -> [String: Any] {
            let file = URL(fileURLWithPath: folder.path + "/\(name)/manifest.json")
            return try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: file)) as? [String: Any])
        }
        func lines(_ name: String) throws -> [[String: Any]] {
            try String(contentsOfFile: folder.path + "/\(name)/events.jsonl", encoding: .utf8).split(separator: "\n").map {
                try #require(try parsed(String($0)) as? [String: Any])
            }
        }
        func record(_ count: Int, from first: Int) throws {
            for index in first..<(first + count) {
                let run = try store.run(
                    "donate", "--fund", "f", "--donor", "Nhà hảo tâm \(index)", "--donor-kind", "individual", "--amount", "\(index)000",
                    "--date", "2024-05-01")
                #expect(run.status == 0, "\(run.stderr)")
            }
        }
        func export(_ name: String, incremental: Bool = true) throws -> Run {
            try ansinh(["export", "--out", folder.path + "/" + name, "--store", store.path] + (incremental ? ["--incremental"] : []))
        }

        // The first incremental export, with none before it, holds everything.
        var run = try export("1")
        #expect(run.status == 0, "\(run.stderr)")
        var tip = try head(of: store)
        #expect(run.stdout == "Exported positions 1 to 9 into \(folder.path)/1\nHead hash: \(tip.hash)\n" + Self.unsigned)
        var previous = try manifest("1")
        #expect(previous["fromPosition"] as? Int == 1 && previous["headPosition"] as? Int == 9 && previous["eventCount"] as? Int == 9)
        #expect(previous["previousHash"] as? String == String(repeating: "0", count: 64))
        #expect(try lines("1").map { $0["position"] as? Int } == Array(1...9))

        try record(2, from: 10)
        #expect(try store.run("keys", "init").status == 0)
        // An export that fails does not move the saved position.
        try FileManager.default.createDirectory(atPath: folder.path + "/taken", withIntermediateDirectories: true)
        run = try export("taken")
        #expect(run.status == 65, "\(run.stderr)")
        for (name, from, to) in [("2", 10, 11), ("3", 12, 14)] {
            if name == "3" { try record(3, from: 12) }
            run = try export(name)
            #expect(run.status == 0, "\(run.stderr)")
            tip = try head(of: store)
            #expect(
                run.stdout.hasPrefix("Exported positions \(from) to \(to) into \(folder.path)/\(name)\nHead hash: \(tip.hash)\nSigned with key "),
                "\(run.stdout)")
            let current = try manifest(name)
            #expect(current["fromPosition"] as? Int == from, "\(name)")
            #expect(current["headPosition"] as? Int == to, "\(name)")
            #expect(current["eventCount"] as? Int == to - from + 1, "\(name)")
            #expect(current["previousHash"] as? String == previous["headHash"] as? String, "\(name) chains on to the export before it")
            #expect(current["headHash"] as? String == tip.hash)
            let events = try lines(name)
            #expect(events.map { $0["position"] as? Int } == Array(from...to), "\(name): only the new events")
            #expect(events.first?["prevHash"] as? String == previous["headHash"] as? String)
            #expect(events.last?["hash"] as? String == tip.hash)
            let check = try python([packageRoot.appendingPathComponent("tools/verify-export.py").path, folder.path + "/" + name,
                                    "--previous", folder.path + "/" + (name == "2" ? "1" : "2")])
            #expect(check.status == 0, "\(check.output)")
            previous = current
        }
        // Nothing new: an empty export that still chains on.
        run = try export("4")
        #expect(run.status == 0, "\(run.stderr)")
        let empty = try manifest("4")
        #expect(empty["fromPosition"] as? Int == 15 && empty["headPosition"] as? Int == 14 && empty["eventCount"] as? Int == 0)
        #expect(empty["previousHash"] as? String == previous["headHash"] as? String)
        #expect(try lines("4").isEmpty)
        // A full export in between resets the saved position to its head too.
        try record(1, from: 15)
        #expect(try export("full", incremental: false).status == 0)
        #expect(try manifest("full")["fromPosition"] as? Int == 1)
        try record(1, from: 16)
        #expect(try export("5").status == 0)
        #expect(try manifest("5")["fromPosition"] as? Int == 16)
        #expect(try lines("5").map { $0["position"] as? Int } == [16])
    }

    @Test("report --lang vi: Vietnamese words, sums in đồng with dots, dates as dd/mm/yyyy, the close of the books, external support")
    func vietnameseReport() throws {
        let store = try StoreFolder.initialised()
        let lines = [
            #"{"type":"FundOpened","data":{"fundId":"vi-nguoi-ngheo","name":"Quỹ “Vì người nghèo”","openedOn":"2024-01-01"}}"#,
            #"{"type":"FundOpened","data":{"fundId":"khuyen-hoc","name":"Quỹ Khuyến học – Khuyến tài","openedOn":"2023-12-31","openingBalance":211300000}}"#,
            #"{"type":"DonationReceived","data":{"fundId":"vi-nguoi-ngheo","donor":{"name":"Chùa Tây An","kind":"religiousBody"},"amount":600000000,"receivedOn":"2024-02-01"}}"#,
            #"{"type":"DonationReceived","data":{"fundId":"vi-nguoi-ngheo","donor":{"name":"Bà Hoa","kind":"individual"},"amount":24845000,"receivedOn":"2024-02-02"}}"#,
            #"{"type":"DonationReceived","data":{"fundId":"khuyen-hoc","donor":{"name":"Ông Nguyễn Văn Ấn","kind":"individual"},"amount":400000000,"receivedOn":"2024-08-16"}}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"nha-1","fundId":"vi-nguoi-ngheo","purpose":"housing","beneficiary":{"name":"Hộ ông Tư","kind":"poorHousehold"},"amount":100000000,"quantity":2,"disbursedOn":"2024-03-01"}}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"qua-1","fundId":"vi-nguoi-ngheo","purpose":"gift","beneficiary":{"name":"Hộ nghèo","kind":"poorHousehold"},"amount":416845000,"quantity":1507,"disbursedOn":"2024-02-08"}}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"bhyt-1","fundId":"vi-nguoi-ngheo","purpose":"healthInsurance","beneficiary":{"name":"Hộ cận nghèo","kind":"nearPoorHousehold"},"amount":50752000,"quantity":93,"disbursedOn":"2024-04-01"}}"#,
            #"{"type":"DisbursementMade","data":{"disbursementId":"hb-1","fundId":"khuyen-hoc","purpose":"scholarship","beneficiary":{"name":"Học sinh giỏi","kind":"student"},"amount":10000000,"quantity":5,"disbursedOn":"2024-09-05"}}"#,
            #"{"type":"ExternalSupportRecorded","data":{"organisation":"Ngân hàng Chính sách xã hội","programme":"Cho vay","description":"Giải ngân vốn vay cho 12 hộ nghèo.","beneficiaries":12,"value":240000000,"recordedOn":"2024-05-01"}}"#,
            #"{"type":"ExternalSupportRecorded","data":{"organisation":"Công ty Bảo Ngọc","programme":"Tết","description":"Tặng 76 phần quà","beneficiaries":76,"value":24500000,"recordedOn":"2024-01-20"}}"#,
        ]
        var run = try store.run("import", "-", input: Data((lines.joined(separator: "\n") + "\n").utf8))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(try store.run("period", "close", "--through", "2024-09-30", "--decision", "Quyết định 05/QĐ-MTTQ").status == 0)
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-09-30", "--lang", "vi")
        #expect(run.status == 0, "\(run.stderr)")
        let expected = """
            BÁO CÁO CÔNG TÁC CHĂM LO AN SINH XÃ HỘI PHƯỜNG NÚI SAM
            Từ ngày 01/01/2024 đến ngày 30/09/2024
            Sổ đã khoá đến hết ngày 30/09/2024 (Quyết định 05/QĐ-MTTQ); số liệu kỳ này không còn thay đổi.

            - Quỹ Khuyến học – Khuyến tài có số dư đầu kỳ 211.300.000 đồng, tiếp nhận 400.000.000 đồng, nâng tổng quỹ 611.300.000 đồng; \
            qua đó, đã trao 05 suất học bổng với số tiền 10.000.000 đồng. Số dư cuối kỳ: 601.300.000 đồng.
            - Quỹ “Vì người nghèo” vận động được 624.845.000 đồng; qua đó, đã hỗ trợ cất, sửa chữa 02 căn nhà với số tiền 100.000.000 đồng; \
            tặng quà 1.507 lượt với số tiền 416.845.000 đồng; cấp phát 93 thẻ BHYT với số tiền 50.752.000 đồng. Số dư cuối kỳ: 57.248.000 đồng.

            Ngoài các quỹ, các đoàn thể vận động, giới thiệu hỗ trợ (không tính vào số dư quỹ):
            - Công ty Bảo Ngọc: Tặng 76 phần quà.
            - Ngân hàng Chính sách xã hội: Giải ngân vốn vay cho 12 hộ nghèo.
            Tổng giá trị hỗ trợ ngoài quỹ: 264.500.000 đồng, cho 88 lượt người, hộ.

            """
        #expect(Array(run.stdout.utf8) == Array(expected.precomposedStringWithCanonicalMapping.utf8), "\(run.stdout)")
        // A range the books are not closed for says only how far they are.
        run = try store.run("report", "--from", "2024-10-01", "--to", "2024-12-31", "--lang", "vi")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("""
            BÁO CÁO CÔNG TÁC CHĂM LO AN SINH XÃ HỘI PHƯỜNG NÚI SAM
            Từ ngày 01/10/2024 đến ngày 31/12/2024
            Sổ đã khoá đến hết ngày 30/09/2024 (Quyết định 05/QĐ-MTTQ).

            """), "\(run.stdout)")
        #expect(run.stdout.contains("- Quỹ Khuyến học – Khuyến tài có số dư đầu kỳ 601.300.000 đồng. Số dư cuối kỳ: 601.300.000 đồng.\n"), "\(run.stdout)")
        // The English table of the same period, for comparison: the same sums, in đ.
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-09-30")
        #expect(run.stdout.contains("624.845.000 đ") && run.stdout.contains("57.248.000 đ") && run.stdout.contains("2024-09-30"), "\(run.stdout)")
    }

    @Test("the store is --store, else $ANSINH_STORE, else ./ansinh-data in the working folder")
    func storePrecedence() throws {
        let work = try TemporaryFolder()
        let given = work.path + "/given"
        let fromEnvironment = work.path + "/from-environment"
        let local = work.path + "/ansinh-data"
        func ansinhIn(_ arguments: [String], store: String? = nil, environment: String? = nil) throws -> Run {
            try ansinh(
                arguments + (store.map { ["--store", $0] } ?? []), environment: environment.map { ["ANSINH_STORE": $0] } ?? [:],
                in: work.path)
        }
        // init follows the same order.
        #expect(try ansinhIn(["init", "--ward", "Ba", "--province", "P"]).status == 0)
        #expect(FileManager.default.fileExists(atPath: local + "/data.mdb"))
        #expect(try ansinhIn(["init", "--ward", "Hai", "--province", "P"], environment: fromEnvironment).status == 0)
        #expect(try ansinhIn(["init", "--ward", "Một", "--province", "P"], store: "given", environment: fromEnvironment).status == 0)
        #expect(FileManager.default.fileExists(atPath: given + "/data.mdb"), "a relative --store is in the working folder")
        func ward(store: String? = nil, environment: String? = nil) throws -> String? {
            let run = try ansinhIn(["status", "--format", "json"], store: store, environment: environment)
            return (try parsed(run.stdout) as? [String: Any])?["ward"] as? String
        }
        #expect(try ward(store: given, environment: fromEnvironment) == "Một")
        #expect(try ward(environment: fromEnvironment) == "Hai")
        #expect(try ward(environment: "") == "Ba", "an empty $ANSINH_STORE is not set")
        #expect(try ward() == "Ba")
        // Recording lands in the store that wins, and only there.
        let open = ["fund", "open", "q", "--name", "Q", "--date", "2024-01-01", "--actor", "lan"]
        #expect(try ansinhIn(open, store: given, environment: fromEnvironment).status == 0)
        #expect(try [head(of: given).position, head(of: fromEnvironment).position, head(of: local).position] == [1, 0, 0])
        #expect(try ansinhIn(open, environment: fromEnvironment).status == 0)
        #expect(try [head(of: given).position, head(of: fromEnvironment).position, head(of: local).position] == [1, 1, 0])
        #expect(try ansinhIn(open).status == 0)
        #expect(try [head(of: given).position, head(of: fromEnvironment).position, head(of: local).position] == [1, 1, 1])
        // --store wins even when nothing is there: it never falls back to another store.
        let run = try ansinhIn(["fund", "open", "r", "--name", "R", "--date", "2024-01-01"], store: work.path + "/none", environment: fromEnvironment)
        #expect(run.status == 74)
        #expect(run.stderr.hasPrefix("ansinh: no store at \(work.path)/none;"), "\(run.stderr)")
        #expect(try [head(of: given).position, head(of: fromEnvironment).position, head(of: local).position] == [1, 1, 1])
    }

    @Test("rebuild, audit verify and export print no progress when piped: only their result, on standard output")
    func quietWhenPiped() throws {
        let store = try Self.ledger()
        let tip = try head(of: store)
        var run = try piped(["projections", "rebuild", "--store", store.path])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        #expect(run.stdout == "Rebuilt the projections from 9 events.\n")
        run = try piped(["audit", "verify", "--store", store.path])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n", omittingEmptySubsequences: false)
        #expect(lines.count == 4 && lines[3].isEmpty, "\(run.stdout)")
        #expect(run.stdout.hasPrefix("Audit passed: 9 events; the chain holds to head position 9, hash \(tip.hash); "), "\(run.stdout)")
        #expect(lines.count > 2 && lines[1] == "The Merkle tree of the 9 events holds: every node is the hash of what it covers.", "\(run.stdout)")
        #expect(lines.count > 2 && lines[2].hasPrefix("The data file's structure holds: "), "\(run.stdout)")
        let out = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: out) }
        run = try piped(["export", "--out", out, "--store", store.path])
        #expect(run.status == 0 && run.stderr.isEmpty, "\(run.stderr)")
        #expect(run.stdout == "Exported positions 1 to 9 into \(out)\nHead hash: \(tip.hash)\n" + Self.unsigned)
        for output in [run.stdout, run.stderr] { #expect(!output.contains("\r") && !output.contains("%")) }
    }

    @Test("on a terminal, rebuild, audit verify and export draw their progress",
          .enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/script")))
    func progressOnTerminal() throws {
        let store = try Self.ledger()
        var (status, output) = try onTerminal(["projections", "rebuild", "--store", store.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\rRebuilding ") && output.contains("100% (9/9)"), "\(output)")
        #expect(output.contains("Rebuilt the projections from 9 events."))
        (status, output) = try onTerminal(["audit", "verify", "--store", store.path])
        #expect(status == 0, "\(output)")
        for label in ["\rPages    ", "\rChain    ", "\rReplay   "] { #expect(output.contains(label), "\(label): \(output)") }
        #expect(output.contains("Audit passed: 9 events"))
        let out = store.path + "-export"
        defer { try? FileManager.default.removeItem(atPath: out) }
        (status, output) = try onTerminal(["export", "--out", out, "--store", store.path])
        #expect(status == 0, "\(output)")
        #expect(output.contains("\rExporting ") && output.contains("100% (9/9)"), "\(output)")
        #expect(output.contains("Exported positions 1 to 9"))
    }

    @Test("read models: listed with their layouts and positions, rebuilt one by name, an unknown name refused with the list; status shows each")
    func readModels() throws {
        let store = try Self.ledger()
        var run = try ansinh(["projections", "list", "--format", "json", "--store", store.path])
        #expect(run.status == 0, "\(run.stderr)")
        let listed = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]] ?? []
        #expect(listed.compactMap { $0["name"] as? String }
            == ["funds", "registers", "members", "piggybank", "pledges", "external-support", "periods", "entries", "people"])
        #expect(listed.allSatisfy { $0["checkpoint"] as? Int == 9 && !($0["answers"] as? String ?? "").isEmpty })
        // Rows in fixed binary layouts made these four layout 2.
        #expect(listed.compactMap { $0["layoutVersion"] as? Int } == [2, 1, 3, 2, 2, 1, 1, 1, 2])
        let funds = try ansinh(["funds", "--format", "json", "--store", store.path]).stdout
        run = try ansinh(["projections", "rebuild", "funds", "--store", store.path])
        #expect(run.status == 0 && run.stdout == "Rebuilt the funds read model from 9 events.\n", "\(run.stdout)\(run.stderr)")
        #expect(try ansinh(["funds", "--format", "json", "--store", store.path]).stdout == funds)
        run = try ansinh(["projections", "rebuild", "ledger", "--store", store.path])
        #expect(run.status == 64, "\(run.stderr)")
        #expect(run.stderr.hasPrefix("ansinh: there is no read model named ledger; the read models are funds, registers, members, "), "\(run.stderr)")
        run = try ansinh(["status", "--format", "json", "--store", store.path])
        let status = try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any]
        #expect(status?["rebuilding"] as? Bool == false && status?["projectionCheckpoint"] as? Int == 9)
        #expect((status?["readModels"] as? [[String: Any]])?.count == 9)
        run = try ansinh(["status", "--store", store.path])
        #expect(run.stdout.contains("Read models: 9, at position 9 (up to date)"), "\(run.stdout)")
    }
}
