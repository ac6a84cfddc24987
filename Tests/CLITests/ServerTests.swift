import Foundation
import TestSupport
import Testing

/// `ansinh serve` over real HTTP: recording through `POST /v1/events`, roles and fund
/// scopes, problem details, reads equal to the command line's, the live feed, group
/// commit, limits, graceful shutdown and a crash under load.
@Suite struct ServerTests {
    /// A store with two funds, a clerk of the first, a treasurer and an auditor.
    static func ward() throws -> (store: StoreFolder, clerk: String, treasurer: String, auditor: String) {
        let store = try StoreFolder.initialised()
        for fund in ["vi-nguoi-ngheo", "khuyen-hoc"] {
            #expect(try store.run("fund", "open", fund, "--name", "Quỹ \(fund)", "--date", "2024-01-01").status == 0)
        }
        let clerk = try store.addUser("lan", role: "clerk", funds: ["vi-nguoi-ngheo"])
        let treasurer = try store.addUser("hoa", role: "treasurer")
        let auditor = try store.addUser("minh", role: "auditor")
        return (store, clerk, treasurer, auditor)
    }

    @Test func recordsABatchOnceAndAnswersEachPosition() throws {
        let (store, clerk, _, _) = try Self.ward()
        let server = try RunningServer(store: store.path)
        let ids = [UUID(), UUID()]
        let body = Lines.donation(fund: "vi-nguoi-ngheo", amount: 60_000_000, id: ids[0]) + "\n"
            + Lines.disbursement(fund: "vi-nguoi-ngheo", amount: 50_752_000, id: "bhyt-1", eventId: ids[1]) + "\n"
        let first = try server.request("POST", "/v1/events", token: clerk, body: body, contentType: "application/x-ndjson")
        #expect(first.status == 201, "\(first.body)")
        let events = first.object["events"] as? [[String: Any]] ?? []
        #expect(events.map { $0["position"] as? Int } == [3, 4])
        #expect(events.map { $0["line"] as? Int } == [1, 2])
        #expect(events.last?["fundBalance"] as? Int == 9_248_000)
        // The same batch again, as a JSON array: nothing new, the same positions.
        let array = "[" + body.split(separator: "\n").joined(separator: ",") + "]"
        let retry = try server.request("POST", "/v1/events", token: clerk, body: array, contentType: "application/json")
        #expect(retry.status == 201, "\(retry.body)")
        #expect(retry.object["recorded"] as? Int == 0)
        #expect(retry.object["alreadyStored"] as? Int == 2)
        #expect((retry.object["events"] as? [[String: Any]] ?? []).map { $0["position"] as? Int } == [3, 4])
        // Recorded by the user whose token it was.
        let log = try store.run("log", "--type", "DonationReceived", "--format", "json")
        #expect(log.stdout.contains(#""recordedBy": "lan""#) || log.stdout.contains(#""recordedBy":"lan""#), "\(log.stdout)")
        #expect(try store.run("audit", "verify").status == 0)
        #expect(try server.stop() == 0)
    }

    @Test func refusalsAreProblemDetailsNamingTheLineAndField() throws {
        let (store, clerk, treasurer, auditor) = try Self.ward()
        let server = try RunningServer(store: store.path)
        let good = Lines.donation(fund: "vi-nguoi-ngheo", amount: 5_000)
        let bad = Lines.donation(fund: "vi-nguoi-ngheo", amount: 0)
        var answer = try server.request("POST", "/v1/events", token: clerk, body: good + "\n" + bad + "\n", contentType: "application/x-ndjson")
        #expect(answer.status == 422)
        #expect(answer.header("Content-Type") == "application/problem+json")
        #expect(answer.object["line"] as? Int == 2)
        #expect(answer.object["field"] as? String == "amount")
        #expect(answer.object["status"] as? Int == 422)
        #expect((answer.object["detail"] as? String ?? "").contains("line 2"))
        #expect(answer.object["type"] as? String == "/problems/refused")
        // A rule: paying out more than the fund holds, on the second element of an array.
        answer = try server.request(
            "POST", "/v1/events", token: clerk,
            body: "[" + good + "," + Lines.disbursement(fund: "vi-nguoi-ngheo", amount: 9_000, id: "d-1") + "]", contentType: "application/json")
        #expect(answer.status == 422, "\(answer.body)")
        #expect(answer.object["line"] as? Int == 2)
        #expect(answer.object["eventType"] as? String == "DisbursementMade")
        // A conflict: a fund that exists.
        answer = try server.request(
            "POST", "/v1/events", token: treasurer,
            body: #"{"type":"FundOpened","data":{"fundId":"khuyen-hoc","name":"Quỹ","openedOn":"2024-01-01"}}"#, contentType: "application/x-ndjson")
        #expect(answer.status == 409, "\(answer.body)")
        // Not JSON; not a media type taken; no events.
        answer = try server.request("POST", "/v1/events", token: clerk, body: "[{", contentType: "application/json")
        #expect(answer.status == 400)
        answer = try server.request("POST", "/v1/events", token: clerk, body: good, contentType: "text/plain")
        #expect(answer.status == 415)
        answer = try server.request("POST", "/v1/events", token: clerk, body: "[]", contentType: "application/json")
        #expect(answer.status == 422)
        // An erasure is not a clerk's line: it goes through `ansinh people erase`.
        answer = try server.request(
            "POST", "/v1/events", token: treasurer,
            body: #"[{"type":"SubjectErased","data":{"subjectId":"s-1","erasedOn":"2024-05-01","reason":"yêu cầu"}}]"#, contentType: "application/json")
        #expect(answer.status == 422 && answer.object["line"] as? Int == 1, "\(answer.body)")
        // A method a path is not served with.
        answer = try server.request("DELETE", "/v1/funds")
        #expect(answer.status == 405 && answer.header("Allow") == "GET")
        // Who may record: nobody without a token; not with a made-up one; not an auditor.
        answer = try server.request("POST", "/v1/events", body: good, contentType: "application/x-ndjson")
        #expect(answer.status == 401)
        #expect(answer.header("WWW-Authenticate")?.hasPrefix("Bearer") == true)
        answer = try server.request("POST", "/v1/events", token: "ansinh_forged", body: good, contentType: "application/x-ndjson")
        #expect(answer.status == 401)
        answer = try server.request("POST", "/v1/events", token: auditor, body: good, contentType: "application/x-ndjson")
        #expect(answer.status == 403)
        // Nothing of all that was written.
        #expect(try Self.head(store) == 2)
        #expect(try server.stop() == 0)
    }

    @Test func aClerkCannotWriteToAnotherFund() throws {
        let (store, clerk, treasurer, _) = try Self.ward()
        let server = try RunningServer(store: store.path)
        // Into another fund: refused, with its own fund's line in the same batch not written either.
        let batch = Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000) + "\n" + Lines.donation(fund: "khuyen-hoc", amount: 1_000) + "\n"
        var answer = try server.request("POST", "/v1/events", token: clerk, body: batch, contentType: "application/x-ndjson")
        #expect(answer.status == 403, "\(answer.body)")
        #expect(answer.object["line"] as? Int == 2)
        #expect((answer.object["detail"] as? String ?? "").contains("khuyen-hoc"))
        // Nor by reversing another fund's entry, nor by the ward's own events.
        let donation = UUID()
        answer = try server.request(
            "POST", "/v1/events", token: treasurer, body: Lines.donation(fund: "khuyen-hoc", amount: 2_000, id: donation),
            contentType: "application/x-ndjson")
        #expect(answer.status == 201)
        let reversal = #"{"type":"EntryReversed","data":{"reversesEventId":"\#(donation.uuidString.lowercased())","reason":"nhầm","reversedOn":"2024-02-02"}}"#
        answer = try server.request("POST", "/v1/events", token: clerk, body: reversal, contentType: "application/x-ndjson")
        #expect(answer.status == 403, "\(answer.body)")
        let enrolment = #"{"type":"MemberEnrolled","data":{"memberId":"dv-1","fullName":"Trần Văn B","cell":"chi-bo-1","enrolledOn":"2024-01-02"}}"#
        answer = try server.request("POST", "/v1/events", token: clerk, body: enrolment, contentType: "application/x-ndjson")
        #expect(answer.status == 403, "\(answer.body)")
        answer = try server.request("POST", "/v1/events", token: treasurer, body: enrolment, contentType: "application/x-ndjson")
        #expect(answer.status == 201, "\(answer.body)")
        // A revoked token is refused at once.
        #expect(try store.run("users", "revoke", "lan").status == 0)
        answer = try server.request("POST", "/v1/events", token: clerk, body: Lines.donation(fund: "vi-nguoi-ngheo", amount: 1), contentType: "application/x-ndjson")
        #expect(answer.status == 401)
        #expect(try Self.head(store) == 4)
        #expect(try server.stop() == 0)
    }

    @Test func readsAreTheCommandLinesJSONInTheRightView() throws {
        let (store, clerk, treasurer, auditor) = try Self.ward()
        let server = try RunningServer(store: store.path)
        let enrolment = #"{"type":"MemberEnrolled","data":{"memberId":"dv-1","fullName":"Trần Văn Bình","cell":"chi-bo-1","enrolledOn":"2024-01-02"}}"#
        let lines = [enrolment, Lines.donation(fund: "vi-nguoi-ngheo", amount: 3_000_000), Lines.disbursement(fund: "vi-nguoi-ngheo", amount: 1_000_000, id: "d-1")]
        let recorded = try server.request("POST", "/v1/events", token: treasurer, body: lines.joined(separator: "\n"), contentType: "application/x-ndjson")
        #expect(recorded.status == 201, "\(recorded.body)")
        let funds = try server.request("GET", "/v1/funds")
        #expect(funds.status == 200)
        #expect(funds.body == (try store.run("funds", "--format", "json")).stdout)
        let report = try server.request("GET", "/v1/report?from=2024-01-01&to=2024-12-31")
        #expect(report.body == (try store.run("report", "--from", "2024-01-01", "--to", "2024-12-31", "--format", "json")).stdout)
        #expect(try server.request("GET", "/v1/periods").body == (try store.run("periods", "--format", "json")).stdout)
        // The register: the public sees the beneficiary's initials; the fund's clerk the name.
        let publicRegister = try server.request("GET", "/v1/funds/vi-nguoi-ngheo")
        #expect(publicRegister.status == 200)
        #expect(!publicRegister.body.contains("Nguyễn Thị Lan") && publicRegister.body.contains("N.T.L."), "\(publicRegister.body)")
        #expect(!publicRegister.body.contains("recordedBy") && !publicRegister.body.contains("hoa"), "the public books name no clerk")
        let internalRegister = try server.request("GET", "/v1/funds/vi-nguoi-ngheo", token: clerk)
        #expect(internalRegister.body == (try store.run("fund", "show", "vi-nguoi-ngheo", "--format", "json")).stdout)
        #expect(try server.request("GET", "/v1/funds/no-such-fund").status == 404)
        // Members by name, their deposits and people: for those who read everything; initials for the rest.
        #expect(!(try server.request("GET", "/v1/members").body.contains("Trần Văn Bình")))
        #expect(!(try server.request("GET", "/v1/members", token: clerk).body.contains("Trần Văn Bình")))
        #expect(try server.request("GET", "/v1/members", token: auditor).body.contains("Trần Văn Bình"))
        #expect(try server.request("GET", "/v1/members/dv-1/history").status == 401)
        #expect(try server.request("GET", "/v1/members/dv-1/history", token: clerk).status == 403)
        let history = try server.request("GET", "/v1/members/dv-1/history", token: treasurer)
        #expect(history.body == (try store.run("member", "history", "dv-1", "--format", "json")).stdout)
        #expect(try server.request("GET", "/v1/people", token: clerk).status == 403)
        #expect(try server.request("GET", "/v1/people", token: auditor).body.contains("Trần Văn Bình"))
        #expect(try server.request("GET", "/v1/trail?recordedBy=hoa", token: auditor).body.contains("DisbursementMade"))
        // Bad parameters are named.
        let badDate = try server.request("GET", "/v1/report?from=2024-13-01&to=2024-12-31")
        #expect(badDate.status == 400 && badDate.object["parameter"] as? String == "from")
        // The contract, as kept in the repository; health.
        let contract = try server.request("GET", "/openapi.json")
        let kept = try String(contentsOf: packageRoot.appendingPathComponent("Sources/LedgerServer/Resources/openapi.json"), encoding: .utf8)
        #expect(contract.body == kept)
        #expect(try server.request("GET", "/healthz").status == 200)
        // The books as they stood: the command line's replay, for auditors.
        let replay = try server.request("GET", "/v1/replay?untilPosition=3", token: auditor)
        #expect(replay.body == (try store.run("audit", "replay", "--until-position", "3", "--format", "json")).stdout)
        #expect(try server.request("GET", "/v1/replay?untilPosition=3", token: clerk).status == 403)
        #expect(try server.request("GET", "/v1/replay", token: auditor).status == 400)
        // A receipt needs the ward's key and public address; then it is the command line's.
        let donation = try #require((recorded.object["events"] as? [[String: Any]])?[1]["eventId"] as? String)
        #expect(try server.request("GET", "/v1/receipts/\(donation)", token: clerk).status == 404)
        #expect(try store.run("keys", "init").status == 0)
        #expect(try store.run("keys", "public-url", "https://congkhai.example.vn").status == 0)
        let receipt = try server.request("GET", "/v1/receipts/\(donation)?format=text", token: clerk)
        let printed = try store.run("receipt", donation).stdout
        #expect(receipt.status == 200 && receipt.body == printed, "\(receipt.body)")
        #expect(try server.request("GET", "/v1/receipts/\(donation)").status == 401)
        // An audit, for auditors only.
        #expect(try server.request("POST", "/v1/audit", token: treasurer).status == 403)
        let audit = try server.request("POST", "/v1/audit", token: auditor)
        #expect(audit.status == 200 && audit.object["valid"] as? Bool == true, "\(audit.body)")
        #expect(try server.stop() == 0)
    }

    @Test func theFeedPagesCatchUpAndTheStreamFollows() throws {
        let (store, _, treasurer, _) = try Self.ward()
        #expect(try store.run("keys", "init").status == 0)
        let server = try RunningServer(store: store.path, options: ["--user-rate", "10000", "--user-burst", "10000"])
        for index in 0..<5 {
            let answer = try server.request(
                "POST", "/v1/events", token: treasurer, body: Lines.donation(fund: "khuyen-hoc", amount: 1_000 + index), contentType: "application/x-ndjson")
            #expect(answer.status == 201)
        }
        // Pages of two, from position 1, joined, are the log.
        var next = 1
        var fed: [[String: Any]] = []
        while true {
            let page = try server.request("GET", "/v1/events?from=\(next)&limit=2")
            let events = page.object["events"] as? [[String: Any]] ?? []
            if events.isEmpty { break }
            fed += events
            next = page.object["next"] as? Int ?? 0
        }
        let log = try JSONSerialization.jsonObject(with: Data(try store.run("log", "--format", "json").stdout.utf8)) as? [[String: Any]] ?? []
        #expect(fed.map { $0["hash"] as? String } == log.map { $0["hash"] as? String })
        #expect(fed.count == 7)
        // The stream from position 3: what is stored, then what the server and the command line record.
        let stream = try SSEClient(url: server.url + "/v1/events/stream?from=3", seconds: 8)
        Thread.sleep(forTimeInterval: 0.7)
        let live = try server.request(
            "POST", "/v1/events", token: treasurer, body: Lines.donation(fund: "khuyen-hoc", amount: 7_000), contentType: "application/x-ndjson")
        #expect(live.status == 201)
        #expect(try store.run("donate", "--fund", "khuyen-hoc", "--donor", "Công ty A", "--donor-kind", "business", "--amount", "8000").status == 0)
        let received = try stream.finish()
        #expect(received.ids == Array(3...9), "\(received.text.prefix(400))")
        #expect(received.text.hasPrefix("retry: "))
        // Resuming after the last event seen; after the last position there can be.
        let resumed = try SSEClient(url: server.url + "/v1/events/stream", seconds: 2, lastEventId: "8")
        #expect(try resumed.finish().ids == [9])
        let beyond = try SSEClient(url: server.url + "/v1/events/stream", seconds: 2, lastEventId: "18446744073709551615")
        #expect(try beyond.finish().ids == [])
        #expect(server.process.isRunning)
        // Without a token, each event's public form: its place in the log and the public view of its data, not its recorder.
        let publicPage = try server.request("GET", "/v1/events?from=3&limit=1")
        let publicEvent = (publicPage.object["events"] as? [[String: Any]])?.first ?? [:]
        #expect(Set(publicEvent.keys) == ["position", "eventId", "type", "stream", "recordedAt", "data", "prevHash", "hash"])
        #expect(publicEvent["data"] is [String: Any])
        let userPage = try server.request("GET", "/v1/events?from=3&limit=1", token: treasurer)
        #expect((userPage.object["events"] as? [[String: Any]])?.first?["recordedBy"] as? String == "hoa")
        let clerk = try store.addUser("tam", role: "clerk", funds: ["khuyen-hoc"])
        let clerkPage = try server.request("GET", "/v1/events?from=3&limit=1", token: clerk)
        #expect((clerkPage.object["events"] as? [[String: Any]])?.first?["recordedBy"] == nil, "a clerk reads the public part")
        // The checkpoint is the ward's signed note of the whole log.
        let checkpoint = try server.request("GET", "/v1/checkpoint")
        #expect(checkpoint.status == 200)
        #expect(checkpoint.body.split(separator: "\n").dropFirst().first == "9")
        #expect(try server.stop() == 0)
    }

    @Test func groupCommitSharesTransactionsAndKeepsRequestsApart() throws {
        let (store, clerk, _, _) = try Self.ward()
        let server = try RunningServer(store: store.path, options: ["--user-rate", "100000", "--user-burst", "100000"])
        // 160 requests at once: donations, and payments of which every fourth overdraws.
        let seed = try server.request(
            "POST", "/v1/events", token: clerk, body: Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000_000), contentType: "application/x-ndjson")
        #expect(seed.status == 201)
        let collected = Answers()
        onThreads(160) { index in
            let id = UUID()
            let line = index % 4 == 3
                ? Lines.disbursement(fund: "vi-nguoi-ngheo", amount: 50_000_000, id: "d-\(index)", eventId: id)
                : Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000, id: id)
            if let answer = try? server.request("POST", "/v1/events", token: clerk, body: line, contentType: "application/x-ndjson") {
                collected.add((index, id, answer))
            }
        }
        let answers = collected.all
        #expect(answers.count == 160)
        #expect(answers.filter { $0.0 % 4 == 3 }.allSatisfy { $0.2.status == 422 })
        let accepted = answers.filter { $0.0 % 4 != 3 }
        #expect(accepted.allSatisfy { $0.2.status == 201 })
        let positions = accepted.compactMap { ($0.2.object["events"] as? [[String: Any]])?.first?["position"] as? Int }
        #expect(Set(positions).count == 120)
        #expect(Set(positions) == Set(4...123))
        #expect(try store.run("audit", "verify").status == 0)
        let funds = try JSONSerialization.jsonObject(with: Data(try store.run("funds", "--format", "json").stdout.utf8)) as? [[String: Any]] ?? []
        #expect(funds.first { $0["fundId"] as? String == "vi-nguoi-ngheo" }?["balance"] as? Int == 1_120_000)
        #expect(try server.stop() == 0)
        // Fewer transactions than requests: the server says how many it committed.
        let stopped = server.log.split(separator: "\n").first { $0.contains("recording stopped") }.map(String.init) ?? ""
        let groups = Int(Self.field("groups", in: stopped) ?? "") ?? 0
        let requests = Int(Self.field("requests", in: stopped) ?? "") ?? 0
        #expect(requests == 161 && groups > 0 && groups < requests, "\(stopped)")
    }

    @Test func limitsOnBodiesAndRates() throws {
        let (store, clerk, _, _) = try Self.ward()
        let server = try RunningServer(
            store: store.path, options: ["--body-max-bytes", "600", "--user-rate", "0.001", "--user-burst", "2", "--public-rate", "0.001", "--public-burst", "3"])
        let big = (0..<5).map { _ in Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000) }.joined(separator: "\n")
        let tooLarge = try server.request("POST", "/v1/events", token: clerk, body: big, contentType: "application/x-ndjson")
        #expect(tooLarge.status == 413, "\(tooLarge.body)")
        _ = try server.request("GET", "/v1/funds", token: clerk)
        let limited = try server.request("GET", "/v1/funds", token: clerk)
        #expect(limited.status == 429)
        #expect(Int(limited.header("Retry-After") ?? "") ?? 0 >= 1)
        // The public has its own rate, by address.
        var statuses: [Int] = []
        for _ in 0..<5 { statuses.append(try server.request("GET", "/v1/cells").status) }
        #expect(statuses.prefix(3).allSatisfy { $0 == 200 } && statuses.last == 429, "\(statuses)")
        #expect(try server.stop() == 0)
    }

    @Test func sigtermAnswersWhatIsInFlightThenStops() throws {
        let (store, clerk, _, _) = try Self.ward()
        let server = try RunningServer(store: store.path, options: ["--user-rate", "100000", "--user-burst", "100000"])
        let stream = try SSEClient(url: server.url + "/v1/events/stream", seconds: 30)
        // Requests keep coming while the server is told to stop.
        let progress = AcknowledgedEvents()
        let loadDone = DispatchSemaphore(value: 0)
        Thread {
            for _ in 0..<400 {
                let id = UUID()
                guard let answer = try? server.request(
                    "POST", "/v1/events", token: clerk, body: Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000, id: id),
                    contentType: "application/x-ndjson")
                else { break }
                if answer.status == 201 { progress.add([(id, 0)]) }
            }
            loadDone.signal()
        }.start()
        let deadline = Date().addingTimeInterval(60)
        while progress.all.count < 20, Date() < deadline { Thread.sleep(forTimeInterval: 0.02) }
        let started = Date()
        #expect(try server.stop(SIGTERM) == 0)
        #expect(Date().timeIntervalSince(started) < 10)
        loadDone.wait()
        let acknowledged = progress.all.map(\.0)
        #expect(!acknowledged.isEmpty)
        #expect(server.log.contains("every request in flight was answered"))
        // The live stream was ended by the shutdown, not by its client's time limit (curl's 28).
        let streamed = try stream.finish()
        #expect(stream.status == 0 || stream.status == 18, "curl's exit status \(stream.status)")
        #expect(streamed.text.hasPrefix("retry: "))
        // After the stop, nothing is answered.
        #expect((try? server.request("GET", "/healthz")) == nil)
        let log = try store.run("log", "--format", "json").stdout
        for id in acknowledged { #expect(log.contains(id.uuidString.lowercased())) }
        #expect(try store.run("audit", "verify").status == 0)
    }

    @Test func aServerKilledUnderLoadLosesNoAcknowledgedEvent() throws {
        let (store, clerk, _, _) = try Self.ward()
        let server = try RunningServer(store: store.path, options: ["--user-rate", "100000", "--user-burst", "100000"])
        let acknowledged = AcknowledgedEvents()
        let clientsDone = DispatchSemaphore(value: 0)
        Thread {
            onThreads(16) { client in
                for request in 0..<10_000 {
                    // Batches of 1 to 3 events, each all or nothing.
                    let ids = (0...(request % 3)).map { _ in UUID() }
                    acknowledged.send(ids)
                    let body = ids.map { Lines.donation(fund: "vi-nguoi-ngheo", amount: 1_000 + client, id: $0) }.joined(separator: "\n")
                    let answer: HTTPAnswer
                    do {
                        answer = try server.request("POST", "/v1/events", token: clerk, body: body, contentType: "application/x-ndjson")
                    } catch {
                        acknowledged.fail("\(error)")
                        return
                    }
                    if answer.status != 201 { acknowledged.fail("\(answer.status): \(answer.body)") }
                    if answer.status == 201 {
                        let positions = (answer.object["events"] as? [[String: Any]] ?? []).compactMap { $0["position"] as? Int }
                        acknowledged.add(Array(zip(ids, positions)))
                    }
                }
            }
            clientsDone.signal()
        }.start()
        // Killed once a good number are acknowledged, with requests in flight.
        let deadline = Date().addingTimeInterval(90)
        while acknowledged.all.count < 200, Date() < deadline { Thread.sleep(forTimeInterval: 0.05) }
        try server.stop(SIGKILL)
        clientsDone.wait()
        let events = acknowledged.all
        #expect(events.count >= 200, "only \(events.count) events acknowledged before the kill: \(acknowledged.failures.prefix(3))")
        // Every acknowledged event is stored where its answer said; nothing is half-written.
        #expect(try store.run("audit", "verify").status == 0)
        let log = try JSONSerialization.jsonObject(with: Data(try store.run("log", "--format", "json").stdout.utf8)) as? [[String: Any]] ?? []
        var stored: [String: Int] = [:]
        for event in log { stored[event["eventId"] as? String ?? ""] = event["position"] as? Int }
        for (id, position) in events { #expect(stored[id.uuidString.lowercased()] == position) }
        // Each request was all or nothing, answered or not: a batch's events are all stored, or none.
        let batches = acknowledged.sent
        #expect(batches.count > events.count / 3)
        for batch in batches {
            let present = batch.filter { stored[$0.uuidString.lowercased()] != nil }.count
            #expect(present == 0 || present == batch.count, "a batch of \(batch.count) has \(present) stored")
        }
        // The server starts again on the store and records.
        let restarted = try RunningServer(store: store.path)
        let answer = try restarted.request(
            "POST", "/v1/events", token: clerk, body: Lines.donation(fund: "vi-nguoi-ngheo", amount: 5), contentType: "application/x-ndjson")
        #expect(answer.status == 201)
        #expect(try restarted.stop() == 0)
    }

    @Test func schemathesisFindsTheServerTrueToItsContract() throws {
        let (store, _, treasurer, auditor) = try Self.ward()
        let server = try RunningServer(
            store: store.path,
            options: ["--user-rate", "100000", "--user-burst", "100000", "--public-rate", "100000", "--public-burst", "100000", "--log-level", "warning"])
        // Every check but one: a request the schema admits may still be refused by the
        // ledger (a period from after its end, an unknown event type, 714.0 where a whole
        // number goes), which is right, not a defect. The live stream never ends by itself,
        // so it is left to `theFeedPagesCatchUpAndTheStreamFollows`. A treasurer's token
        // reaches every operation but the auditors' own, which a second run covers.
        for (token, paths) in [(treasurer, ["--exclude-path", "/v1/events/stream"]), (auditor, ["--include-path", "/v1/audit", "--include-path", "/v1/people", "--include-path", "/v1/trail", "--include-path", "/v1/replay"])] {
            let run = try runProcess(
                "/usr/bin/env",
                [
                    "python3", "-m", "schemathesis.cli", "run", server.url + "/openapi.json", "--checks", "all",
                    "--exclude-checks", "positive_data_acceptance", "--max-examples", "30",
                    "-H", "Authorization: Bearer \(token)", "--suppress-health-check", "all", "--workers", "1",
                    "--generation-deterministic",
                ] + paths,
                environment: [
                    "PYTHONPATH": packageRoot.appendingPathComponent("tools").path, "SCHEMATHESIS_HOOKS": "schemathesis_hooks",
                ], timeLimit: 400)
            #expect(run.status == 0, "\(run.output.suffix(6000))")
        }
        #expect(try server.stop() == 0)
        #expect(try store.run("audit", "verify").status == 0)
    }

    static func head(_ store: StoreFolder) throws -> Int {
        let status = try JSONSerialization.jsonObject(with: Data(try store.run("status", "--format", "json").stdout.utf8)) as? [String: Any]
        return status?["headPosition"] as? Int ?? -1
    }

    /// A field of a JSON log line.
    static func field(_ name: String, in line: String) -> String? {
        let object = try? JSONSerialization.jsonObject(with: Data(line.utf8)) as? [String: Any]
        return object?[name].map { "\($0)" }
    }
}

/// Answers gathered from many threads.
final class Answers: @unchecked Sendable {
    private let lock = NSLock()
    private var answers: [(Int, UUID, HTTPAnswer)] = []
    func add(_ answer: (Int, UUID, HTTPAnswer)) { lock.withLock { answers.append(answer) } }
    var all: [(Int, UUID, HTTPAnswer)] { lock.withLock { answers } }
}

/// The events a client was told were recorded (id and position).
final class AcknowledgedEvents: @unchecked Sendable {
    private let lock = NSLock()
    private var events: [(UUID, Int)] = []
    private var failed: [String] = []
    private var batches: [[UUID]] = []
    func add(_ new: [(UUID, Int)]) { lock.withLock { events += new } }
    /// A batch about to be sent.
    func send(_ batch: [UUID]) { lock.withLock { batches.append(batch) } }
    var sent: [[UUID]] { lock.withLock { batches } }
    /// Why a request got no 201 (after the kill, the connection refused).
    func fail(_ why: String) { lock.withLock { failed.append(why) } }
    var failures: [String] { lock.withLock { failed } }
    var all: [(UUID, Int)] { lock.withLock { events } }
}

/// A Server-Sent Events client: curl, reading the stream into a file for a time.
final class SSEClient {
    private let process = Process()
    private let output = temporaryOutputFile()
    /// curl's exit status: 28 when its time ran out.
    private(set) var status: Int32 = -1

    init(url: String, seconds: Int, lastEventId: String? = nil) throws {
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["curl", "-sN", "--max-time", String(seconds)] + (lastEventId.map { ["-H", "Last-Event-ID: \($0)"] } ?? []) + [url]
        process.standardOutput = try FileHandle(forWritingTo: output)
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    deinit { try? FileManager.default.removeItem(at: output) }

    /// Waits for the stream to end (its time, or the server's); what was received.
    func finish() throws -> (ids: [Int], text: String) {
        try waitForExit(process, timeLimit: 60)
        status = process.terminationStatus
        let text = String(decoding: try Data(contentsOf: output), as: UTF8.self)
        let ids = text.split(separator: "\n").compactMap { line in line.hasPrefix("id: ") ? Int(line.dropFirst(4)) : nil }
        return (ids, text)
    }
}
