import Foundation
import TestSupport
import Testing

/// Business dates and closes of the books, from the command line.
@Suite("Business dates and closed periods from the command line")
struct BusinessDateCLITests {
    static let fund = #"{"type":"FundOpened","data":{"fundId":"f","name":"Quỹ F","openedOn":"2024-01-01"}}"#
    static let donation = #"{"type":"DonationReceived","data":{"fundId":"f","donor":{"name":"Chùa Tây An","kind":"religiousBody"},"amount":100,"receivedOn":"2024-03-01"}}"#
    static let earlyPayment = #"{"type":"DisbursementMade","data":{"disbursementId":"d-1","fundId":"f","purpose":"gift","beneficiary":{"name":"Hộ A","kind":"poorHousehold"},"amount":100,"quantity":1,"disbursedOn":"2024-02-01"}}"#

    static func lines(_ lines: String...) -> Data { Data((lines.joined(separator: "\n") + "\n").utf8) }

    @Test("a payment dated before the money arrived is refused with its line, the fund, the date and the balance; nothing is written")
    func paymentBeforeMoney() throws {
        let store = try StoreFolder.initialised()
        let run = try store.run("import", "-", input: Self.lines(Self.fund, Self.donation, Self.earlyPayment))
        #expect(run.status == 65)
        #expect(
            run.stderr
                == "ansinh: line 3: DisbursementMade: fund f has 0 đ on 2024-02-01, less than the 100 đ asked: its balance would go below 0 on that date\n")
        #expect(try store.run("log", "--format", "json").stdout == "[]\n", "nothing written")
        #expect(try store.run("funds", "--format", "json").stdout == "[]\n")
    }

    @Test("period close locks the books; periods lists it; reports and exports say so; a correction is a later reversal")
    func closeFromTheCommandLine() throws {
        let store = try StoreFolder.initialised()
        #expect(try store.run("import", "-", input: Self.lines(Self.fund, Self.donation)).status == 0)
        var run = try store.run("period", "close", "--through", "2024-03-31", "--decision", "Quyết định 05/QĐ-MTTQ")
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.hasPrefix("Recorded PeriodClosed at position 3"), "\(run.stdout)")
        #expect(run.stdout.contains("100 đ"))
        run = try store.run(
            "donate", "--fund", "f", "--donor", "X", "--donor-kind", "business", "--amount", "5", "--date", "2024-03-15")
        #expect(run.status == 65)
        #expect(
            run.stderr
                == "ansinh: the books are closed through 2024-03-31 (Quyết định 05/QĐ-MTTQ): DonationReceived dated 2024-03-15 "
                + "cannot be recorded; correct a closed period with a reversal dated after 2024-03-31\n")
        run = try store.run("period", "close", "--through", "2024-02-01", "--decision", "earlier")
        #expect(run.status == 73)
        #expect(run.stderr.contains("already closed through 2024-03-31"), "\(run.stderr)")
        run = try store.run("period", "close", "--through", "2999-01-01", "--decision", "future")
        #expect(run.status == 65)
        #expect(run.stderr.hasPrefix("ansinh: the books cannot be closed through 2999-01-01, after today"), "\(run.stderr)")
        // A correction dated after the close.
        let log = try store.run("log", "--type", "DonationReceived", "--format", "json")
        let donationId = try #require(
            (try JSONSerialization.jsonObject(with: Data(log.stdout.utf8)) as? [[String: Any]])?.first?["eventId"] as? String)
        run = try store.run("reverse", donationId, "--reason", "nhập nhầm", "--date", "2024-04-02")
        #expect(run.status == 0, "\(run.stderr)")
        run = try store.run("periods", "--format", "json")
        let periods = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [[String: Any]])
        #expect(periods.count == 1)
        #expect(periods[0]["through"] as? String == "2024-03-31")
        #expect(periods[0]["decision"] as? String == "Quyết định 05/QĐ-MTTQ")
        #expect((periods[0]["funds"] as? [[String: Any]])?.first?["balance"] as? Int == 100)
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-03-31", "--format", "json")
        let report = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(report["isClosed"] as? Bool == true)
        #expect(report["closedThrough"] as? String == "2024-03-31")
        #expect(((report["funds"] as? [[String: Any]])?.first?["closing"] as? Int) == 100, "the closed quarter keeps its figures")
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-03-31")
        #expect(run.stdout.contains("Closed: these figures can no longer change."), "\(run.stdout)")
        run = try store.run("report", "--from", "2024-01-01", "--to", "2024-03-31", "--lang", "vi")
        #expect(run.stdout.contains("Sổ đã khoá đến hết ngày 31/03/2024 (Quyết định 05/QĐ-MTTQ)"), "\(run.stdout)")
        #expect(try store.run("audit", "verify").status == 0)
        let out = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-export-\(UUID().uuidString.prefix(8))").path
        defer { try? FileManager.default.removeItem(atPath: out) }
        #expect(try store.run("export", "--out", out).status == 0)
        let exported = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/periods.json"))) as? [[String: Any]]
        #expect(exported?.first?["through"] as? String == "2024-03-31")
        let year = try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: out + "/report-2024.json"))) as? [String: Any]
        #expect(year?["closedThrough"] as? String == "2024-03-31")
    }

    @Test("audit replay --as-of takes business dates; --recorded-as-of what the log held at the end of a day")
    func replayByDate() throws {
        let store = try StoreFolder.initialised()
        #expect(try store.run("import", "-", input: Self.lines(Self.fund, Self.donation)).status == 0)
        // Recorded today, dated 2024: as of a business date it counts, as recorded then it did not exist.
        var run = try store.run("audit", "replay", "--as-of", "2024-03-01", "--format", "json")
        #expect(run.status == 0, "\(run.stderr)")
        var past = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((past["funds"] as? [[String: Any]])?.first?["balance"] as? Int == 100)
        run = try store.run("audit", "replay", "--as-of", "2024-02-29", "--format", "json")
        past = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect((past["funds"] as? [[String: Any]])?.first?["balance"] as? Int == 0)
        run = try store.run("audit", "replay", "--recorded-as-of", "2024-03-01", "--format", "json")
        #expect(run.status == 0, "\(run.stderr)")
        past = try #require(try JSONSerialization.jsonObject(with: Data(run.stdout.utf8)) as? [String: Any])
        #expect(past["position"] as? Int == 0)
        #expect((past["funds"] as? [Any])?.isEmpty == true)
        #expect(try store.run("audit", "replay", "--as-of", "2024-03-01", "--recorded-as-of", "2024-03-01").status == 64)
        let help = try ansinh(["audit", "replay", "--help"]).stdout
        #expect(help.contains("--as-of") && help.contains("business") && help.contains("--recorded-as-of"), "\(help)")
    }

    @Test("the demo runs from any folder, with the program and its resources copied elsewhere")
    func demoFromAnyFolder() throws {
        let place = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-installed-\(UUID().uuidString.prefix(8))")
        let elsewhere = FileManager.default.temporaryDirectory.appendingPathComponent("ansinh-cwd-\(UUID().uuidString.prefix(8))")
        defer {
            try? FileManager.default.removeItem(at: place)
            try? FileManager.default.removeItem(at: elsewhere)
        }
        try FileManager.default.createDirectory(at: place, withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: elsewhere, withIntermediateDirectories: true)
        let build = ansinhExecutable.deletingLastPathComponent()
        try FileManager.default.copyItem(at: ansinhExecutable, to: place.appendingPathComponent("ansinh"))
        try FileManager.default.copyItem(
            at: build.appendingPathComponent("ansinh_ansinh.resources"), to: place.appendingPathComponent("ansinh_ansinh.resources"))
        let (status, output) = try runProcess(
            place.appendingPathComponent("ansinh").path, ["demo", "--store", elsewhere.path + "/store"],
            environment: ["ANSINH_ACTOR": "demo"])
        #expect(status == 0, "\(output)")
        #expect(output.contains("Imported nui-sam-2024.jsonl: 108 recorded"), "\(output)")
        #expect(output.contains("624.845.000"), "\(output)")
        // The program alone, without its resources, says what to copy.
        try FileManager.default.removeItem(at: place.appendingPathComponent("ansinh_ansinh.resources"))
        let (alone, message) = try runProcess(place.appendingPathComponent("ansinh").path, ["demo", "--store", elsewhere.path + "/other"])
        #expect(alone == 65)
        #expect(message.contains("copy the folder ansinh_ansinh.resources"), "\(message)")
        #expect(!FileManager.default.fileExists(atPath: elsewhere.path + "/other"), "nothing created")
    }
}
