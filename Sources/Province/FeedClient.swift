import Foundation
import NIOCore
import NIOHTTP1
import NIOPosix
import NIOSSL

/// A small HTTP/1.1 client for a ward's feed: GET a document, or follow a stream of
/// Server-Sent Events line by line. TLS for https:// with the system's trusted roots.
struct FeedClient: Sendable {
    let base: URL
    /// How long to wait for the ward to answer, or for the next bytes of a stream.
    var timeout: TimeAmount = .seconds(30)

    /// The status and body of `GET path`.
    func get(_ path: String) async throws -> (Int, String) {
        var status = 0
        var body = ByteBuffer()
        try await exchange(path, accept: "application/json, text/plain") { part in
            switch part {
            case .head(let head): status = Int(head.status.code)
            case .body(var bytes): body.writeBuffer(&bytes)
            case .end: return false  // the whole answer is in
            }
            return true
        }
        return (status, String(buffer: body))
    }

    /// Reads `GET path` as a text stream, calling `line` with each line (without its end)
    /// until it returns false or the stream ends.
    func stream(_ path: String, _ line: (Substring) async throws -> Bool) async throws {
        // Bytes until a whole line is in: a character split between two reads stays whole.
        var pending: [UInt8] = []
        var status = 0
        try await exchange(path, accept: "text/event-stream") { part in
            switch part {
            case .head(let head):
                status = Int(head.status.code)
                guard status == 200 else { throw ProvinceError.source("the feed \(base.absoluteString)\(path) answered \(status)") }
                return true
            case .body(let bytes):
                pending += bytes.readableBytesView
                var start = 0
                defer { pending.removeFirst(start) }
                while let end = pending[start...].firstIndex(of: 0x0A) {
                    let text = Substring(decoding: pending[start..<(end > start && pending[end - 1] == 0x0D ? end - 1 : end)], as: UTF8.self)
                    start = end + 1
                    if try await !line(text) { return false }
                }
                return true
            case .end:
                return false
            }
        }
    }

    /// Sends `GET path` and hands each part of the answer to `body`, which returns
    /// false to stop reading (the connection is then closed).
    private func exchange(_ path: String, accept: String, _ body: (HTTPClientResponsePart) async throws -> Bool) async throws {
        guard let host = base.host else { throw ProvinceError.source("the feed \(base.absoluteString) has no host") }
        let secure = base.scheme == "https"
        let port = base.port ?? (secure ? 443 : 80)
        let sslContext = secure ? try NIOSSLContext(configuration: .makeClientConfiguration()) : nil
        let channel: NIOAsyncChannel<HTTPClientResponsePart, HTTPPart<HTTPRequestHead, IOData>>
        do {
            channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
                .connectTimeout(timeout)
                .connect(host: host, port: port) { channel in
                    channel.eventLoop.makeCompletedFuture {
                        if let sslContext {
                            try channel.pipeline.syncOperations.addHandler(try NIOSSLClientHandler(context: sslContext, serverHostname: host))
                        }
                        try channel.pipeline.syncOperations.addHTTPClientHandlers()
                        // A ward that sends nothing for `timeout` (its streams send a comment every 15 s) is left.
                        try channel.pipeline.syncOperations.addHandler(IdleStateHandler(readTimeout: timeout))
                        try channel.pipeline.syncOperations.addHandler(CloseWhenIdle())
                        return try NIOAsyncChannel(wrappingChannelSynchronously: channel)
                    }
                }
        } catch {
            throw ProvinceError.source("cannot reach the feed \(base.absoluteString): \(error)")
        }
        let prefix = base.path.hasSuffix("/") ? String(base.path.dropLast()) : base.path
        var head = HTTPRequestHead(version: .http1_1, method: .GET, uri: prefix + path)
        head.headers.add(name: "Host", value: base.port.map { "\(host):\($0)" } ?? host)
        head.headers.add(name: "Accept", value: accept)
        head.headers.add(name: "User-Agent", value: "ansinh-province")
        head.headers.add(name: "Connection", value: "close")
        var stopped = false
        do {
            try await channel.executeThenClose { inbound, outbound in
                // The whole request in one write: a server that answers and closes at once cannot cut it in two.
                try await outbound.write(contentsOf: [.head(head), .end(nil)])
                for try await part in inbound {
                    guard try await body(part) else {
                        stopped = true
                        break
                    }
                }
            }
        } catch let error as ChannelError where stopped && (error == .ioOnClosedChannel || error == .alreadyClosed) {
            return  // closed on purpose, once all that was wanted was read
        } catch let error as ChannelError {
            throw ProvinceError.source("the feed \(base.absoluteString) closed the connection: \(error)")
        }
    }
}

/// Closes a connection on which nothing was read for the idle handler's time.
private final class CloseWhenIdle: ChannelInboundHandler, Sendable {
    typealias InboundIn = HTTPClientResponsePart
    typealias InboundOut = HTTPClientResponsePart

    func channelRead(context: ChannelHandlerContext, data: NIOAny) { context.fireChannelRead(data) }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if event is IdleStateHandler.IdleStateEvent {
            context.close(promise: nil)
        } else {
            context.fireUserInboundEventTriggered(event)
        }
    }
}
