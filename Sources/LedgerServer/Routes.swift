import EventLog
import Foundation
import HTTPTypes
import Hummingbird
import Ledger
import LedgerTools
import Logging
import NIOCore

/// The API's routes, under `/v1`; `/openapi.json` describes them all.
struct Routes: Sendable {
    let ledger: Ledger
    let configuration: ServerConfiguration
    let queue: CommitQueue
    let signal: HeadSignal
    let streams: StreamSlots

    func add(to router: RouteTable.Group) {
        router.get("healthz") { _, _ in try await health() }
        router.get("openapi.json") { _, _ in try openAPI() }
        let v1 = router.group("v1")
        v1.post("events") { request, context in try await recordEvents(request, context: context) }
        v1.get("events") { request, context in try await events(request, context: context) }
        v1.get("events/stream") { request, context in try stream(request, context: context) }
        v1.get("checkpoint") { _, _ in try await checkpoint() }
        addQueries(to: v1)
    }

    // MARK: Health and the contract

    private func health() async throws -> Response {
        let ledger = self.ledger
        let head = try await Reads.run { try ledger.head() }
        return Self.json(
            .object([
                ("status", .string("ok")), ("headPosition", .integer(Int64(head.position))), ("headHash", .string(head.hash.hex)),
            ]))
    }

    private func openAPI() throws -> Response {
        guard let url = Bundle.module.url(forResource: "openapi", withExtension: "json"), let data = try? Data(contentsOf: url) else {
            throw Problem(.storeProblem, detail: "the API's description is missing from this installation")
        }
        return Response(
            status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(bytes: data)))
    }

    // MARK: Recording

    /// `POST /v1/events`: a batch of import lines, as a JSON array or as JSON Lines,
    /// recorded all or nothing, in a group commit with other requests.
    private func recordEvents(_ request: Request, context: ServerContext) async throws -> Response {
        let user = try context.requireUser([.clerk, .treasurer], for: "recording")
        let body: ByteBuffer
        do {
            body = try await request.body.collect(upTo: configuration.bodyBytesMax)
        } catch is NIOTooManyBytesError {
            throw Problem(
                bare: .contentTooLarge, detail: "the body is over \(configuration.bodyBytesMax) bytes; send the events in smaller batches")
        }
        let (commands, lines) = try EventBatch.parse(
            Array(buffer: body), contentType: request.headers[.contentType], eventCountMax: configuration.requestEventCountMax)
        let outcome = await queue.record(RecordingRequest(commands: commands, actor: user.name, scope: user.scope))
        switch outcome {
        case .success(let entries):
            return Self.json(EventBatch.recorded(entries, lines: lines, head: entries.map(\.position).max() ?? 0), status: .created)
        case .failure(let error):
            throw EventBatch.problem(error, lines: lines)
        }
    }

    // MARK: The live feed

    /// `GET /v1/events?from=POS&limit=N[&type=T][&stream=S][&since=DATE][&until=DATE]`: one page of stored events,
    /// oldest first: whole records for users, their public form for others (``LiveFeed/line(_:wholeRecord:in:)``).
    private func events(_ request: Request, context: ServerContext) async throws -> Response {
        let parameters = QueryParameters(request)
        var query = LogQuery()
        query.fromPosition = try parameters.integer("from", minimum: 1) ?? 1
        let limit = try parameters.integer("limit", minimum: 1) ?? UInt64(configuration.feedPageEventCountMax)
        query.limit = Int(min(limit, UInt64(configuration.feedPageEventCountMax)))
        if let type = try parameters.text("type") {
            guard let known = EventType(rawValue: type) else {
                throw Problem.badRequest("unknown event type \(type)", members: [("parameter", .string("type"))])
            }
            query.type = known
        }
        query.stream = try parameters.text("stream")
        (query.since, query.until) = (try parameters.date("since"), try parameters.date("until"))
        let ledger = self.ledger
        let page = query
        let wholeRecords = context.user?.readsEverything == true
        let text = try await Reads.run { () -> String in
            var lines: [String] = []
            var last: UInt64?
            let head = try ledger.snapshot { snapshot in
                try page.forEachEvent(in: snapshot.log) { event in
                    lines.append(try LiveFeed.line(event, wholeRecord: wholeRecords, in: snapshot))
                    last = event.position
                }
                return try snapshot.log.head().position
            }
            // A full page ends at its last event; a shorter one was read to the head.
            let next = lines.count == page.limit ? last! + 1 : max(page.fromPosition, head + 1, (last ?? 0) + 1)
            return "{\"from\":\(page.fromPosition),\"head\":\(head),\"next\":\(next),\"events\":["
                + lines.joined(separator: ",") + "]}\n"
        }
        return Response(status: .ok, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }

    /// `GET /v1/events/stream?from=POS`: Server-Sent Events, one per stored event (its id
    /// the position), first those already stored, then each new one as it is recorded.
    /// A client that reconnects with `Last-Event-ID` resumes after that position.
    private func stream(_ request: Request, context: ServerContext) throws -> Response {
        let parameters = QueryParameters(request)
        var from = try parameters.integer("from", minimum: 1) ?? 1
        if let last = request.headers[HTTPField.Name("Last-Event-ID")!], let position = UInt64(last) {
            from = position == .max ? position : position + 1
        }
        let wholeRecords = context.user?.readsEverything == true
        let feed = LiveFeed(
            ledger: ledger, signal: signal, configuration: configuration, wholeRecords: wholeRecords, token: context.token,
            signingKey: wholeRecords ? nil : (try? SigningKeys.load(store: configuration.storePath))?.rawRepresentation.map { $0 })
        let slot: StreamSlots.Slot
        do {
            slot = try streams.take(for: context.clientAddress)
        } catch .address {
            throw Problem.retryLater(
                .tooManyRequests, kind: "rate-limited", title: "Too many live streams",
                detail: "this address has \(streams.perAddressMax) live streams open already; one is enough to follow the log",
                seconds: 30)
        } catch .everyone {
            throw Problem.retryLater(
                .serviceUnavailable, kind: "busy", title: "Too many live streams",
                detail: "the server follows \(streams.totalMax) live streams already; try again later, or read pages of /v1/events",
                seconds: 30)
        }
        return Response(
            status: .ok,
            headers: [.contentType: "text/event-stream", .cacheControl: "no-store", .init("X-Accel-Buffering")!: "no"],
            body: ResponseBody { [from, slot] writer in
                try await feed.send(from: from, to: &writer)
                withExtendedLifetime(slot) {}
            })
    }

    /// `GET /v1/checkpoint`: the ward's signed checkpoint of the whole log (C2SP tlog-checkpoint).
    private func checkpoint() async throws -> Response {
        let ledger = self.ledger
        let store = configuration.storePath
        let note: String
        do {
            note = try await Reads.run { () -> String in
                let signer = try WardLog.signer(of: ledger, store: store)
                return try ledger.readLog { reader in try WardLog.checkpoint(reader, signer: signer).1.serialized }
            }
        } catch TransparencyError.noSigningKey {
            throw Problem.notFound("the ward signs no checkpoint yet: its key is made with `ansinh keys init`")
        }
        return Response(
            status: .ok, headers: [.contentType: "text/plain; charset=utf-8"], body: ResponseBody(byteBuffer: ByteBuffer(string: note)))
    }

    // MARK: Helpers

    static func json(_ value: JSONOut, status: HTTPResponse.Status = .ok) -> Response {
        json(value.serialized() + "\n", status: status)
    }

    static func json(_ text: String, status: HTTPResponse.Status = .ok) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: ResponseBody(byteBuffer: ByteBuffer(string: text)))
    }
}
