import EventLog
import Foundation
import Ledger
import LedgerTools

/// The body of `POST /v1/events`: import lines (the format `ansinh import` reads), as a
/// JSON array of line objects (`application/json`) or as JSON Lines
/// (`application/x-ndjson`). A line is numbered from 1: the line of the JSON Lines, or
/// the element of the array.
enum EventBatch {
    /// The media types taken as JSON Lines.
    static let jsonLinesTypes: Set<String> = [
        "application/x-ndjson", "application/jsonl", "application/json-lines", "application/x-jsonlines",
    ]

    /// The commands of a body, with their line numbers.
    /// - Throws: ``Problem``: 415 for another media type, 400 for a body that is not JSON,
    ///   422 naming the line (and field) for a line the catalogue refuses.
    static func parse(_ body: [UInt8], contentType: String?, eventCountMax: Int) throws -> (commands: [LedgerCommand], lines: [Int]) {
        let mediaType = contentType?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() }
        let isArray: Bool
        switch mediaType {
        case "application/json"?: isArray = true
        case let type? where jsonLinesTypes.contains(type): isArray = false
        case nil: isArray = body.first(where: { ![0x20, 0x09, 0x0A, 0x0D].contains($0) }) == UInt8(ascii: "[")
        case let type?:
            throw Problem(
                status: .unsupportedMediaType, kind: "unsupported-media-type", title: "Unsupported media type",
                detail: "\(type) is not taken: send application/json (an array of import lines) or application/x-ndjson (JSON Lines)")
        }
        let (commands, lines) =
            isArray ? try parseArray(body, eventCountMax: eventCountMax) : try parseLines(body, eventCountMax: eventCountMax)
        guard !commands.isEmpty else { throw Problem(.refused, detail: "the batch holds no events") }
        return (commands, lines)
    }

    private static func parseArray(_ body: [UInt8], eventCountMax: Int) throws -> ([LedgerCommand], [Int]) {
        let value: Payload
        do {
            value = try JSONParser.parse(body)
        } catch {
            throw Problem(
                status: .badRequest, kind: "malformed", title: "The body is not JSON", detail: "the body is not a JSON array: \(error)")
        }
        guard case .array(let elements) = value else {
            throw Problem(
                status: .badRequest, kind: "malformed", title: "The body is not a JSON array",
                detail: "the body must be a JSON array of import lines")
        }
        guard elements.count <= eventCountMax else {
            throw Problem(.refused, detail: "a request holds at most \(eventCountMax) events; split the batch")
        }
        var commands: [LedgerCommand] = []
        commands.reserveCapacity(elements.count)
        for (index, element) in elements.enumerated() {
            do {
                commands.append(try ImportLine.parse(value: element))
            } catch {
                throw refusal(ImportError(line: index + 1, message: error.message, field: error.field))
            }
        }
        return (commands, (0..<commands.count).map { $0 + 1 })
    }

    private static func parseLines(_ body: [UInt8], eventCountMax: Int) throws -> ([LedgerCommand], [Int]) {
        do {
            let parsed = try ImportLine.parseLines(body[...], lineCountMax: eventCountMax)
            return (parsed.commands, parsed.lineNumbers)
        } catch let error as ImportError {
            throw refusal(error)
        }
    }

    /// The answer to a recorded batch: each event's position, in the order sent.
    static func recorded(_ entries: [RecordedEntry], lines: [Int], head: UInt64) -> JSONOut {
        let events: [JSONOut] = zip(entries, lines).map { entry, line in
            var fields: [(String, JSONOut)] = [
                ("line", .integer(Int64(line))), ("eventId", .string(entry.eventId.uuidString.lowercased())),
                ("position", .integer(Int64(entry.position))), ("type", .string(entry.type.rawValue)), ("stream", .string(entry.stream)),
                ("wasAlreadyStored", .bool(entry.wasAlreadyStored)),
            ]
            if let fundId = entry.fundId { fields.append(("fundId", .string(fundId))) }
            if let balance = entry.fundBalance { fields.append(("fundBalance", .integer(balance.dong))) }
            return .object(fields)
        }
        return .object([
            ("recorded", .integer(Int64(entries.filter { !$0.wasAlreadyStored }.count))),
            ("alreadyStored", .integer(Int64(entries.filter(\.wasAlreadyStored).count))),
            ("events", .array(events)),
        ])
    }

    /// The problem a refused batch is: the line, its event type and field, and why.
    static func problem(_ error: any Error, lines: [Int]) -> Problem {
        guard let rejected = error as? CommandRejected else { return Problem.from(error) }
        let line = lines[rejected.index]
        let field = (rejected.reason as? FieldError).map(\.field)
        return refusal(
            ImportError(line: line, message: "\(rejected.eventType): \(rejected.reason)", reason: rejected.reason, field: field),
            eventType: rejected.eventType)
    }

    private static func refusal(_ error: ImportError, eventType: String? = nil) -> Problem {
        let outcome = error.reason.map { Explanation.of(refusal: $0).outcome } ?? .refused
        var members: [(String, JSONOut)] = [("line", .integer(Int64(error.line)))]
        if let eventType { members.append(("eventType", .string(eventType))) }
        if let field = error.field, !field.isEmpty { members.append(("field", .string(field))) }
        return Problem(outcome, detail: error.description, members: members)
    }
}
