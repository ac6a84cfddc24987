import Foundation
import LedgerTools
import Logging

/// Writes each log event as one JSON object on a line of standard error: `time`,
/// `level`, `label`, `message`, then its metadata (the request's method, path, status,
/// duration, user). Journald, or any log shipper, reads one event per line.
public struct JSONLogHandler: LogHandler {
    public var metadata: Logger.Metadata = [:]
    public var logLevel: Logger.Level
    public var metadataProvider: Logger.MetadataProvider?
    private let label: String
    private static let output = LockedOutput()

    public init(label: String, level: Logger.Level) {
        self.label = label
        self.logLevel = level
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { metadata[key] }
        set { metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged = metadata
        if let provided = metadataProvider?.get() { merged.merge(provided) { $1 } }
        if let own = event.metadata { merged.merge(own) { $1 } }
        var fields: [(String, JSONOut)] = [
            ("time", .string(Date().formatted(.iso8601.year().month().day().time(includingFractionalSeconds: true)))),
            ("level", .string(event.level.rawValue)), ("label", .string(label)), ("message", .string(event.message.description)),
        ]
        for key in merged.keys.sorted() { fields.append((key, Self.json(merged[key]!))) }
        Self.output.write(JSONOut.object(fields).compact() + "\n")
    }

    private static func json(_ value: Logger.Metadata.Value) -> JSONOut {
        switch value {
        case .string(let text): return .string(text)
        case .stringConvertible(let value): return .string(value.description)
        case .array(let values): return .array(values.map(json))
        case .dictionary(let values): return .object(values.keys.sorted().map { ($0, json(values[$0]!)) })
        }
    }
}

/// Standard error, one line at a time from any thread.
private final class LockedOutput: @unchecked Sendable {
    private let lock = NSLock()
    func write(_ line: String) {
        lock.withLock { FileHandle.standardError.write(Data(line.utf8)) }
    }
}
