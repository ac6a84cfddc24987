import ArgumentParser
import EventLog
import Foundation
import Ledger
import LedgerTools

struct Log: ParsableCommand {
    static let configuration = CommandConfiguration(abstract: "The events themselves, oldest first, with filters.")
    @Option(help: "Only events of this type, such as DisbursementMade.") var type: String?
    @Option(help: "Only events of this stream, such as fund-vi-nguoi-ngheo.") var stream: String?
    @Option(help: "Only events recorded on or after this date (Asia/Ho_Chi_Minh).") var since: LocalDate?
    @Option(help: "Only events recorded on or before this date (Asia/Ho_Chi_Minh).") var until: LocalDate?
    @Option(help: "Start at this position.") var fromPosition: UInt64 = 1
    @Option(help: "At most this many events (default: all).") var limit: Int?
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func validate() throws {
        if let type, EventType(rawValue: type) == nil {
            throw ValidationError("unknown event type \(type); known: \(EventType.allCases.map(\.rawValue).joined(separator: ", "))")
        }
        guard (limit ?? 1) > 0 else { throw ValidationError("--limit must be at least 1") }
    }

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger(readOnly: true)
            var listing = Listing([
                ("position", "#"), ("recordedAt", "Recorded at (UTC)"), ("recordedBy", "By"), ("type", "Type"),
                ("stream", "Stream"), ("eventId", "Event id"),
            ])
            var query = LogQuery()
            (query.type, query.stream, query.since, query.until) = (type.flatMap(EventType.init(rawValue:)), stream, since, until)
            (query.fromPosition, query.limit) = (fromPosition, limit)
            var lines: [String] = []
            try query.forEachEvent(in: ledger) { event in
                if output.format.value == .json {
                    var bytes: [UInt8] = []
                    try event.appendJSONLine(to: &bytes)
                    lines.append(String(decoding: bytes.dropLast(), as: UTF8.self))
                } else {
                    listing.append([
                        .ordinal(Int64(event.position)), .text(event.recordedAt.iso8601), .text(event.recordedBy), .text(event.type),
                        .text(event.stream), .text(event.eventId.uuidString.lowercased()),
                    ])
                }
            }
            if output.format.value == .json {
                output.print(lines.isEmpty ? "[]\n" : "[\n  " + lines.joined(separator: ",\n  ") + "\n]\n")
            } else {
                output.print(listing)
            }
        }
    }
}

struct Status: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The store: ward, head position and hash, events by type, size, projection checkpoint.")
    @OptionGroup var store: StoreOptions
    @OptionGroup var output: FormatOptions

    func run() throws {
        try reportingFailures {
            let ledger = try store.openLedger(readOnly: true, upkeep: .leaveAsTheyAre, openingFormat1: true)
            let head = try ledger.head()
            let status = try ledger.readModelStatus()
            let behind = status.readModels.filter { $0.checkpoint < status.head }
            // While a read model is rebuilt (or kept in an earlier layout), its counts are
            // partial: none are shown.
            let current = behind.isEmpty && !ledger.readModelsOutdated
            let counts = current ? try ledger.eventCounts() : [:]
            let checkpoint = status.readModels.map(\.checkpoint).min() ?? status.head
            let information = try ledger.storeInformation()
            let (fileBytes, usedBytes) = (information.fileBytes, information.usedBytes)
            let ward = try ledger.ward() ?? ""
            let province = try ledger.province() ?? ""
            var types = Listing([("type", "Type"), ("count", "Events")])
            for type in EventType.allCases { types.append([.text(type.rawValue), .integer(Int64(counts[type] ?? 0))]) }
            let fields: [(String, JSONOut)] = [
                ("ward", .string(ward)), ("province", .string(province)), ("store", .string(store.storePath)),
                ("createdAt", .text(try ledger.createdAt()?.iso8601)), ("formatVersion", .integer(Int64(EventLog.formatVersion))),
                ("storeFormat", .integer(Int64(ledger.format.rawValue))),
                ("headPosition", .integer(Int64(head.position))), ("headHash", .string(head.hash.hex)),
                ("lastRecordedAt", .text(head.position > 0 ? head.recordedAt.iso8601 : nil)),
                ("fileBytes", .integer(Int64(fileBytes))), ("usedBytes", .integer(Int64(usedBytes))),
                ("projectionCheckpoint", .integer(Int64(checkpoint))),
                ("rebuilding", .bool(!behind.isEmpty)), ("readModelsOutdated", .bool(ledger.readModelsOutdated)),
                ("readModels", .array(status.readModels.map { model in
                    .object([
                        ("name", .string(model.name)), ("layoutVersion", .integer(Int64(model.formatVersion))),
                        ("checkpoint", .integer(Int64(model.checkpoint))),
                    ])
                })),
            ]
            switch output.format.value {
            case .csv:
                var rows = Listing([("name", "Name"), ("value", "Value")])
                for (name, value) in fields where name != "readModels" {
                    rows.append([.text(name), .text(value.serialized().trimmingCharacters(in: CharacterSet(charactersIn: "\"")))])
                }
                for model in status.readModels { rows.append([.text("readModels." + model.name), .text(String(model.checkpoint))]) }
                for type in EventType.allCases where current {
                    rows.append([.text("events." + type.rawValue), .text(String(counts[type] ?? 0))])
                }
                output.print(rows.csv)
            case .json:
                let byType: JSONOut = .object(EventType.allCases.map { ($0.rawValue, .integer(Int64(counts[$0] ?? 0))) })
                output.print(JSONOut.object(fields + [("eventsByType", current ? byType : .null)]).serialized() + "\n")
            case .table:
                var text = "Ward:        phường \(ward), \(province)\n"
                text += "Store:       \(store.storePath) (format \(EventLog.formatVersion))\n"
                text += "Created:     \(try ledger.createdAt()?.iso8601 ?? "unknown")\n"
                text += "Head:        position \(head.position)\n"
                text += "Head hash:   \(head.hash.hex)\n"
                if head.position > 0 { text += "Last event:  \(head.recordedAt.iso8601)\n" }
                text += "Size:        \(VND(Int64(fileBytes)).grouped) bytes on disk, \(VND(Int64(usedBytes)).grouped) in use\n"
                switch ledger.format {
                case .namesInClear:
                    text += "Names:       in the clear (store format 1); migrate: ansinh migrate --from \(store.storePath) --to NEW-FOLDER\n"
                case .sealedNames:
                    text += "Names:       sealed under each person's key (store format 2)"
                    if current {
                        let people = try ledger.people(view: .public)
                        text += "; \(people.count) people, \(people.filter { $0.erased != nil }.count) erased"
                    }
                    text += "\n"
                }
                if ledger.readModelsOutdated {
                    text += "Read models: kept in an earlier version's layout; opening the store for writing refolds them\n"
                    output.print(text)
                } else if behind.isEmpty {
                    text += "Read models: \(status.readModels.count), at position \(checkpoint) (up to date)\n\n"
                    output.print(text + types.table)
                } else {
                    text += "Read models: rebuilding: read models at position \(checkpoint) of \(status.head) "
                        + "(\(behind.map(\.name).joined(separator: ", ")))\n"
                    output.print(text)
                }
            }
        }
    }
}
