import Crypto
import EventLog
import Foundation
import Hummingbird
import Ledger
import LedgerTools
import NIOCore

/// The reads: an endpoint for each query of the command line, in the JSON of its
/// `--format json` (`/v1/status` gives the part of `ansinh status` that concerns the log
/// and the read models; `/v1/pledges` the pledges an export lists). The public (no
/// token) reads the public view; a clerk reads their funds' registers in the internal
/// view; auditors and treasurers of every fund read everything in it: members by name,
/// their deposits, people, the trail. Audits and exports are for auditors.
extension Routes {
    func addQueries(to v1: RouteTable.Group) {
        v1.get("funds") { _, _ in try await read { try Listings.funds($0.funds()).rendered(.json) } }
        v1.get("funds/:fundId") { _, context in try await fundRegister(context) }
        v1.get("members") { _, context in
            let view = context.view
            return try await read { Listings.members(try $0.members(view: view)).rendered(.json) }
        }
        v1.get("members/:memberId/history") { _, context in try await memberHistory(context) }
        v1.get("cells") { _, _ in try await read { Listings.cells(try $0.cells()).rendered(.json) } }
        v1.get("pledges") { _, context in
            let view = context.view
            return try await read { Listings.pledges(try $0.pledges(view: view)).rendered(.json) }
        }
        v1.get("piggybanks/:modelId/summary") { request, context in try await piggyBankSummary(request, context) }
        v1.get("report") { request, context in
            let parameters = QueryParameters(request)
            let (from, to) = (try parameters.requiredDate("from"), try parameters.requiredDate("to"))
            guard from <= to else { throw Problem.badRequest("from \(from) is after to \(to)", members: [("parameter", .string("from"))]) }
            let view = context.view
            return try await read { try Listings.report(json: try $0.periodReport(from: from, to: to), view: view).serialized() + "\n" }
        }
        v1.get("periods") { _, _ in try await read { Listings.periods(json: try $0.periods()).serialized() + "\n" } }
        v1.get("proofs/inclusion/:eventId") { request, context in try await inclusionProof(request, context) }
        v1.get("proofs/consistency") { request, _ in
            let parameters = QueryParameters(request)
            guard let from = try parameters.integer("from", minimum: 1) else {
                throw Problem.badRequest("from is required: the size of the older tree", members: [("parameter", .string("from"))])
            }
            let to = try parameters.integer("to", minimum: 1)
            return try await proof { snapshot in try ConsistencyProof(reader: snapshot.log, from: from, to: to).json.serialized() + "\n" }
        }
        v1.get("status") { _, context in
            _ = try context.requireUser()
            return try await status()
        }
        v1.get("people") { _, context in
            try requireEverything(context, for: "the list of people")
            let ledger = self.ledger
            return Self.json(try await Reads.run { try PeopleView(try ledger.people(view: .internal)).rendered(.json) })
        }
        v1.get("trail") { request, context in
            try requireEverything(context, for: "the audit trail")
            let parameters = QueryParameters(request)
            var query = TrailQuery()
            (query.recordedBy, query.fundId) = (try parameters.text("recordedBy"), try parameters.text("fund"))
            (query.since, query.until) = (try parameters.date("since"), try parameters.date("until"))
            let ledger = self.ledger
            let trail = query
            return Self.json(try await Reads.run { Listings.trail(try trail.lines(in: ledger)).rendered(.json) })
        }
        v1.get("replay") { request, context in
            try requireEverything(context, for: "a replay")
            return try await replay(request)
        }
        v1.get("receipts/:eventId") { request, context in try await receipt(request, context) }
        v1.post("audit") { _, context in
            _ = try context.requireUser([.auditor], for: "an audit")
            return try await audit()
        }
        v1.post("exports") { request, context in
            _ = try context.requireUser([.auditor], for: "an export")
            let view = try QueryParameters(request).text("view") ?? "public"
            guard let chosen = NameView(rawValue: view) else {
                throw Problem.badRequest("view is public or internal", members: [("parameter", .string("view"))])
            }
            return try await export(internalView: chosen == .internal)
        }
    }

    /// Runs `body` on a read snapshot of the ledger, off the threads serving HTTP, and
    /// answers its JSON.
    func read(_ body: @escaping @Sendable (LedgerSnapshot) throws -> String) async throws -> Response {
        let ledger = self.ledger
        return Self.json(try await Reads.run { try ledger.snapshot(body) })
    }

    /// As ``read(_:)``, for one thing by its id: `nil` from `body` is a 404 saying `missing`.
    func read(orNotFound missing: String, _ body: @escaping @Sendable (LedgerSnapshot) throws -> String?) async throws -> Response {
        let ledger = self.ledger
        guard let text = try await Reads.run({ try ledger.snapshot(body) }) else { throw Problem.notFound(missing) }
        return Self.json(text)
    }

    private func requireEverything(_ context: ServerContext, for purpose: String) throws {
        let user = try context.requireUser()
        guard user.readsEverything else {
            throw Problem.forbidden("\(purpose) is for auditors and treasurers of every fund; \(user.described)")
        }
    }

    private func fundRegister(_ context: ServerContext) async throws -> Response {
        let fundId = try context.pathParameter("fundId")
        let view: NameView = context.user?.readsInternally(fund: fundId) == true ? .internal : .public
        return try await read(orNotFound: "fund \(fundId) does not exist") { snapshot in
            guard let fund = try snapshot.fund(fundId), let register = try snapshot.fundRegister(fundId, view: view) else { return nil }
            guard view == .public else { return try FundRegisterView(fund: fund, register: register).rendered(.json) }
            // The public books name no clerk, as the public site's registers do not.
            let listing = Listings.register(register).removing(column: "recordedBy")
            return JSONOut.object([("fund", try Listings.fund(fund)), ("register", listing.json)]).serialized() + "\n"
        }
    }

    private func memberHistory(_ context: ServerContext) async throws -> Response {
        try requireEverything(context, for: "a member's deposits")
        let memberId = try context.pathParameter("memberId")
        return try await read(orNotFound: "member \(memberId) does not exist") { snapshot in
            try snapshot.memberHistory(memberId, view: .internal).map { try MemberHistoryView($0).rendered(.json) }
        }
    }

    private func piggyBankSummary(_ request: Request, _ context: ServerContext) async throws -> Response {
        let modelId = try context.pathParameter("modelId")
        let asOf = try QueryParameters(request).date("asOf")
        // Only those who read everything see members below target by name; others, the cells' figures.
        let withMembers = context.view == .internal
        return try await read(orNotFound: "piggy-bank model \(modelId) does not exist") { snapshot in
            guard var summary = try snapshot.piggyBankSummary(modelId, asOf: asOf) else { return nil }
            if !withMembers { summary.belowTarget = [] }
            return try PiggyBankSummaryView(summary).rendered(.json)
        }
    }

    private func inclusionProof(_ request: Request, _ context: ServerContext) async throws -> Response {
        let text = try context.pathParameter("eventId")
        guard let eventId = UUID(uuidString: text) else {
            throw Problem.badRequest("\(text) is not an event id (a UUID)", members: [("parameter", .string("eventId"))])
        }
        let size = try QueryParameters(request).integer("size", minimum: 1)
        return try await proof { snapshot in
            try InclusionProof(reader: snapshot.log, eventId: eventId, size: size).json.serialized() + "\n"
        }
    }

    /// A proof from one snapshot: a tree size the log has not reached, or an event it
    /// does not hold, is not found (404); sizes out of order are a bad request.
    private func proof(_ make: @escaping @Sendable (LedgerSnapshot) throws -> String) async throws -> Response {
        let ledger = self.ledger
        do {
            return Self.json(try await Reads.run { try ledger.snapshot(requiringCurrentReadModels: false, make) })
        } catch TransparencyError.noSuchEvent(let id) {
            throw Problem.notFound("no event \(id) in the log")
        } catch let error as LogError {
            guard case .treeSizeUnavailable = error else { throw error }
            throw Problem.notFound("\(error)")
        }
    }

    private func status() async throws -> Response {
        let ledger = self.ledger
        return Self.json(
            try await Reads.run { () -> JSONOut in
                let head = try ledger.head()
                let status = try ledger.readModelStatus()
                return .object([
                    ("ward", .string(try ledger.ward() ?? "")), ("province", .string(try ledger.province() ?? "")),
                    ("headPosition", .integer(Int64(head.position))), ("headHash", .string(head.hash.hex)),
                    ("lastRecordedAt", .text(head.position > 0 ? head.recordedAt.iso8601 : nil)),
                    ("storeFormat", .integer(Int64(ledger.format.rawValue))),
                    ("readModels", .array(status.readModels.map { model in
                        .object([
                            ("name", .string(model.name)), ("layoutVersion", .integer(Int64(model.formatVersion))),
                            ("checkpoint", .integer(Int64(model.checkpoint))),
                        ])
                    })),
                ])
            })
    }

    /// `GET /v1/replay`: the books as they stood at a business date, a recording date or a
    /// position (exactly one), replayed from the log (`ansinh audit replay --format json`).
    private func replay(_ request: Request) async throws -> Response {
        let parameters = QueryParameters(request)
        let (asOf, recordedAsOf) = (try parameters.date("asOf"), try parameters.date("recordedAsOf"))
        let untilPosition = try parameters.integer("untilPosition")
        let (from, to) = (try parameters.date("from"), try parameters.date("to"))
        guard [asOf != nil, recordedAsOf != nil, untilPosition != nil].filter({ $0 }).count == 1 else {
            throw Problem.badRequest("give exactly one of asOf, recordedAsOf and untilPosition", members: [("parameter", .string("asOf"))])
        }
        let ledger = self.ledger
        return Self.json(
            try await Reads.runLong {
                let books = try PastBooks.replay(
                    ledger, asOf: asOf, recordedAsOf: recordedAsOf, untilPosition: untilPosition, from: from, to: to,
                    today: LocalDate(at: ledger.now()), scratchFolder: Auditor.scratchFolder())
                return try books.json().serialized() + "\n"
            })
    }

    /// `GET /v1/receipts/{eventId}`: a donor's receipt for a donation or deposit, as a
    /// printable page (`?format=text`: the text), with its QR code and proof (`ansinh receipt`).
    private func receipt(_ request: Request, _ context: ServerContext) async throws -> Response {
        let user = try context.requireUser()
        let text = try context.pathParameter("eventId")
        guard let eventId = UUID(uuidString: text) else {
            throw Problem.badRequest("\(text) is not an event id (a UUID)", members: [("parameter", .string("eventId"))])
        }
        let format = try QueryParameters(request).text("format") ?? "html"
        guard ["html", "text"].contains(format) else {
            throw Problem.badRequest("format is html or text", members: [("parameter", .string("format"))])
        }
        let ledger = self.ledger
        let store = configuration.storePath
        do {
            let body = try await Reads.run { () -> String in
                let signer = try WardLog.signer(of: ledger, store: store)
                guard var url = try WardLog.publicURL(of: ledger) else { throw ReceiptError.noPublicAddress }
                if url.hasSuffix("/") { url.removeLast() }
                let (ward, province) = (try ledger.ward() ?? "", try ledger.province() ?? "")
                let receipt = try ledger.snapshot {
                    try Receipt(snapshot: $0, eventId: eventId, signer: signer, publicURL: url, ward: ward, province: province)
                }
                // A receipt names the donor: it is for the fund's own users.
                guard user.readsInternally(fund: receipt.fundId) else { throw ScopeViolation(fundId: receipt.fundId) }
                return format == "html" ? try receipt.html() : try receipt.text()
            }
            return Response(
                status: .ok, headers: [.contentType: format == "html" ? "text/html; charset=utf-8" : "text/plain; charset=utf-8"],
                body: ResponseBody(byteBuffer: ByteBuffer(string: body)))
        } catch TransparencyError.noSuchEvent(let id) {
            throw Problem.notFound("no event \(id) in the log")
        } catch ReceiptError.notAContribution {
            throw Problem.notFound("event \(eventId.uuidString.lowercased()) is not a donation or a deposit: it has no receipt")
        } catch ReceiptError.noPublicAddress {
            throw Problem.notFound("the ward has no public address yet (`ansinh keys public-url`), which receipts point to")
        } catch TransparencyError.noSigningKey {
            throw Problem.notFound("the ward has no signing key yet (`ansinh keys init`), which receipts' proofs need")
        }
    }

    private func audit() async throws -> Response {
        let ledger = self.ledger
        let report = try await Reads.runLong { try Auditor.audit(ledger, scratchFolder: Auditor.scratchFolder()) }
        return Self.json(
            .object([
                ("valid", .bool(report.isValid)), ("eventsChecked", .integer(Int64(report.eventsChecked))),
                ("headPosition", .integer(Int64(report.head.position))), ("headHash", .string(report.head.hash.hex)),
                ("treeSize", .integer(Int64(report.treeSize))), ("readModelsChecked", .array(report.readModelsChecked.map { .string($0) })),
                ("readModelsOutdated", .bool(report.readModelsOutdated)),
                ("problem", .text(report.problem.map { "\($0)" })),
            ]))
    }

    private func export(internalView: Bool) async throws -> Response {
        guard let folder = configuration.exportsFolder else {
            throw Problem.notFound("this server was started without --exports FOLDER: exports are not offered")
        }
        let ledger = self.ledger
        let store = configuration.storePath
        let manifest = try await Reads.runLong { () -> (String, ExportManifest) in
            let name = "export-" + ledger.now().iso8601.replacingOccurrences(of: ":", with: "") + (internalView ? "-internal" : "")
            let key = try SigningKeys.load(store: store)
            let path = URL(fileURLWithPath: folder).appendingPathComponent(name).path
            return (name, try Exporter.export(ledger, to: path, signingKey: key, view: internalView ? .internal : .public))
        }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        let body = String(decoding: try encoder.encode(manifest.1), as: UTF8.self)
        return Self.json("{\"name\":" + JSONOut.string(manifest.0).serialized() + ",\"manifest\":" + body + "}\n", status: .created)
    }
}
