import EventLog
import Foundation
import Hummingbird
import Ledger
import LedgerTools
import NIOCore
import ServiceLifecycle

/// One client's live stream of events (`GET /v1/events/stream`), as Server-Sent Events:
/// `id` is the event's position, `event` is `event`, `data` one JSON line
/// (``line(_:wholeRecord:in:)``).
///
/// It sends what is stored from the position asked for, page by page, then waits for
/// the head to move: woken at once by the server's own recordings, and looking every
/// ``ServerConfiguration/feedPollInterval`` for those of other processes. A quiet
/// stream gets a comment now and then, which keeps proxies from closing it. It ends
/// when the client goes, when its user's token is revoked, or when the server stops
/// gracefully.
struct LiveFeed: Sendable {
    let ledger: Ledger
    let signal: HeadSignal
    let configuration: ServerConfiguration
    /// Whether the client reads stored records whole (a user who reads everything), or
    /// their public part.
    let wholeRecords: Bool
    /// The user's token, checked again while the stream lasts: a revoked user's stream ends.
    let token: String?
    /// The ward's signing key (raw Ed25519), which signs each page of public lines
    /// (``PublicEntries/attestation(of:from:through:key:)``); none for whole records.
    let signingKey: [UInt8]?

    /// One event of the feed as a JSON line (without its newline). Users who read
    /// everything get the stored record, as `ansinh log --format json` prints it. Others
    /// get its public form (``PublicEntries``): what places the event in the log (the
    /// hashes that chain it and make its leaf of the Merkle tree, which the signed
    /// checkpoint covers) and the public view of its data: no clerk, no name the public
    /// view would not show, no free text that may name people.
    static func line(_ event: RecordedEventView, wholeRecord: Bool, in snapshot: LedgerSnapshot) throws -> String {
        guard wholeRecord else { return try PublicEntries.line(event, in: snapshot) }
        var bytes: [UInt8] = []
        try event.appendJSONLine(to: &bytes)
        return String(decoding: bytes.dropLast(), as: UTF8.self)
    }

    func send(from start: UInt64, to writer: inout any ResponseBodyWriter) async throws {
        let stopping = StopFlag()
        try await writer.write(ByteBuffer(string: "retry: 2000\n\n"))
        var next = start
        var quietSince = ContinuousClock.now
        try await withGracefulShutdownHandler {
            while !stopping.isSet, !Task.isCancelled {
                if let token, try Users.user(holding: token, in: ledger) == nil { break }
                let (text, last) = try await page(from: next)
                if let last {
                    try await writer.write(ByteBuffer(string: text))
                    next = last + 1
                    quietSince = .now
                    continue
                }
                if quietSince.duration(to: .now) >= configuration.feedKeepAliveInterval {
                    try await writer.write(ByteBuffer(string: ": keep-alive\n\n"))
                    quietSince = .now
                }
                await signal.wait(after: next - 1, timeout: configuration.feedPollInterval)
            }
        } onGracefulShutdown: {
            stopping.set()
            signal.stop()
        }
        try await writer.finish(nil)
    }

    /// The events from `position` on, at most a page, as Server-Sent Events, with the last position sent.
    private func page(from position: UInt64) async throws -> (String, UInt64?) {
        let ledger = self.ledger
        let countMax = configuration.feedPageEventCountMax
        let wholeRecords = self.wholeRecords
        let signingKey = self.signingKey
        return try await Reads.run {
            var text = ""
            var last: UInt64?
            var lines: [String] = []
            try ledger.snapshot { snapshot in
                try snapshot.log.forEachEvent(from: position, limit: countMax) { event in
                    let line = try Self.line(event, wholeRecord: wholeRecords, in: snapshot)
                    text += "id: \(event.position)\nevent: event\ndata: " + line + "\n\n"
                    if signingKey != nil { lines.append(line) }
                    last = event.position
                }
            }
            // The page's public lines, signed by the ward: what a province checks before it loads them.
            if let signingKey, let last {
                let attestation = try PublicEntries.attestation(of: lines, from: position, through: last, key: signingKey)
                text += "event: attestation\ndata: " + attestation.compact() + "\n\n"
            }
            return (text, last)
        }
    }
}

/// Set once, read from any thread.
final class StopFlag: @unchecked Sendable {
    private let lock = NSLock()
    private var value = false
    var isSet: Bool { lock.withLock { value } }
    func set() { lock.withLock { value = true } }
}
