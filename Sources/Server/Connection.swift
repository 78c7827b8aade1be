import HTTP1
import Logging
import Reactor
import TLS
import WebSocket
import WireProtocol

/// One client connection: an HTTP/1.1 exchange that may become a WebSocket, optionally over TLS.
///
/// The pure layers decide (HTTP1's parser and upgrade validation, WebSocket's state machine);
/// this class only moves bytes between them and the channel and carries out their actions.
final class Connection: ChannelHandler {
    let context: LoopContext
    let channel: Channel
    /// The HTTP phase: set until the request is answered or upgraded. Boxed, so that a
    /// connection that became a WebSocket does not carry the parser's inline storage.
    var http: HTTPExchange?
    /// The WebSocket phase: set from the upgrade on.
    var webSocket: WebSocketConnection?
    /// The compressor for this connection's messages when permessage-deflate was negotiated:
    /// the loop's shared codec (no context takeover) or one of its own.
    var deflate: DeflateCodec?
    /// Present on TLS listeners. Plaintext written during an iteration waits in `pendingPlaintext`
    /// and is encrypted in one go when the loop flushes (corking through TLS).
    let tls: TLSSession?
    var pendingPlaintext: [UInt8] = []
    var pingOutstanding = false
    /// Since when an incomplete message has held buffers (0: none).
    var partialSince: UInt64 = 0
    /// The chat protocol, on `/ws` connections.
    var chat: ChatSession?
    /// Topics of a `/pubsub` connection (benchmarks), nil on other connections.
    var pubsubTopics: [String]?

    /// Accepted on an `--api-listen` listener: only the API and `/healthz` are served.
    let apiOnly: Bool

    init(context: LoopContext, channel: Channel, tls: TLSSession?, apiOnly: Bool = false) {
        self.apiOnly = apiOnly
        self.context = context
        self.channel = channel
        self.tls = tls
        self.http = HTTPExchange(limits: context.configuration.httpLimits, startedAt: context.loop.now, channel: channel)
        channel.wantsWillFlush = tls != nil
    }

    // MARK: Input

    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) {
        if tls != nil {
            receiveTLS(bytes)
        } else {
            receivePlaintext(bytes)
        }
    }

    func receivePlaintext(_ bytes: UnsafeRawBufferPointer) {
        if webSocket != nil {
            receiveWebSocket(bytes)
        } else if http != nil {
            http!.parser.feed(bytes)
            serveHTTP()
        }
    }

    // MARK: Output

    /// Queues bytes for the peer: on the channel directly, or as plaintext for the next TLS
    /// flush (encrypted early once a record's worth is waiting, so plaintext stays bounded).
    func send(_ bytes: UnsafeRawBufferPointer) {
        guard tls != nil else {
            channel.write(bytes)
            return
        }
        guard !channel.isClosed else { return }
        pendingPlaintext.append(contentsOf: bytes)
        if pendingPlaintext.count >= 16 << 10 {
            flushTLS()
        } else {
            context.loop.markDirty(channel)
        }
    }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { send($0) }
    }

    func channelWillFlush(_ channel: Channel) {
        flushTLS()
    }

    /// Ends the connection once what is queued is written (with a TLS close_notify first).
    func closeTransport() {
        if let tls {
            flushTLS()       // what was sent must be encrypted before the close_notify
            tls.shutdown()
            drainTLS()
        }
        channel.closeAfterFlush()
    }

    // MARK: Limits and lifecycle

    /// The peer does not read fast enough: a 4001 close frame follows what is queued (frames
    /// cannot be cut out of a byte stream, nor records out of a TLS stream), and the
    /// connection closes once that is written, or at the linger deadline.
    func channelOutboundOverflow(_ channel: Channel) {
        context.logger.info("slow consumer disconnected", metadata: ["queued": "\(channel.outboundBytes)"])
        closeWebSocket(code: RallyCloseCode.slowConsumer, reason: "slow consumer, reconnect")
        closeTransport()
    }

    func channelClosed(_ channel: Channel) {
        if let chat {
            chat.detached = true
            context.hub?.remove(chat)
        }
        for topic in pubsubTopics ?? [] { context.pubsub.remove(self, from: topic) }
        pubsubTopics = nil
        chat = nil
        http = nil
        webSocket = nil
        deflate = nil
        pendingPlaintext = []
    }

    /// Called once a second by the loop's sweep.
    func sweep(now: UInt64) {
        let configuration = context.configuration
        if let http {
            // A slow or silent client may not hold a connection open without finishing its
            // request (slowloris): the head must be complete within the handshake time-out.
            if now &- http.startedAt > configuration.handshakeTimeout { channel.close() }
            return
        }
        guard webSocket?.state == .open, channel.isOpen else { return }
        if webSocket?.holdsHeapStorage == true {
            if partialSince == 0 {
                partialSince = now
            } else if now &- partialSince > configuration.messageTimeout {
                return closeWebSocket(code: 1008, reason: "message incomplete for too long")
            }
        } else {
            partialSince = 0
        }
        chat?.sweep(now: now)
        let quiet = now &- channel.lastReadAt
        if configuration.idleTimeout > 0 && quiet > configuration.idleTimeout {
            closeWebSocket(code: RallyCloseCode.idleTimeout, reason: "idle timeout")
        } else if configuration.pingInterval > 0 && quiet > configuration.pingInterval {
            if !pingOutstanding {
                pingOutstanding = true
                sendFrame(.ping, [], compressed: false)
            }
        } else {
            pingOutstanding = false
        }
    }

    /// The server is stopping: WebSockets get 1001, HTTP connections are closed.
    func goAway() {
        if webSocket != nil {
            closeWebSocket(code: 1001, reason: "server shutting down")
        } else {
            http = nil
            closeTransport()
        }
    }
}

/// The state of a connection's HTTP phase.
final class HTTPExchange {
    var parser: HTTPRequestParser
    /// An API request whose body is being read.
    var pending: HTTPRequestHead?
    /// A request is being answered asynchronously: later pipelined requests wait (and the
    /// socket is not read meanwhile), so responses leave in request order.
    var awaiting = false {
        didSet { awaiting ? channel.pauseReading() : channel.resumeReading() }
    }
    unowned let channel: Channel
    var body: [UInt8] = []
    /// When the current request started (the connection's acceptance, then each request
    /// head): a request head must be complete in time, and an idle kept-alive connection ends.
    var startedAt: UInt64

    init(limits: HTTPParserLimits, startedAt: UInt64, channel: Channel) {
        parser = HTTPRequestParser(limits: limits)
        self.startedAt = startedAt
        self.channel = channel
    }
}
