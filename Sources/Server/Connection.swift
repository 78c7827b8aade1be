import HTTP1
import Logging
import Reactor
import TLS
import WebSocket

/// One client connection: an HTTP/1.1 exchange that may become a WebSocket, optionally over TLS.
///
/// The pure layers decide (HTTP1's parser and upgrade validation, WebSocket's state machine);
/// this class only moves bytes between them and the channel and carries out their actions.
final class Connection: ChannelHandler {
    // unowned(unsafe): checked unowned references cost an atomic increment and decrement on
    // every use, on the hottest path. Safe here: the channel owns this connection (its
    // handler) and the server keeps every loop context alive longer than any connection.
    unowned(unsafe) let context: LoopContext
    unowned(unsafe) let channel: Channel
    /// The HTTP phase: set until the request is answered or upgraded. Boxed, so that a
    /// connection that became a WebSocket does not carry the parser's inline storage.
    var http: HTTPExchange?
    /// The WebSocket phase: set from the upgrade on.
    var webSocket: WebSocketConnection?
    /// The compressor for this connection's messages when permessage-deflate was negotiated:
    /// the loop's shared codec (no context takeover) or one of its own.
    var deflate: DeflateCodec?
    /// Present on TLS listeners. Plaintext written during an iteration waits in `pendingPlaintext`
    /// and is encrypted in one `SSL_write` when the loop flushes (corking through TLS).
    let tls: TLSSession?
    var pendingPlaintext: [UInt8] = []
    var pingOutstanding = false

    init(context: LoopContext, channel: Channel, tls: TLSSession?) {
        self.context = context
        self.channel = channel
        self.tls = tls
        self.http = HTTPExchange(limits: context.configuration.httpLimits, startedAt: context.loop.now)
        channel.wantsWillFlush = tls != nil
    }

    // MARK: Input

    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) {
        guard let tls else {
            receivePlaintext(bytes)
            return
        }
        do {
            try tls.receive(bytes, scratch: context.tlsScratch) { plaintext in
                receivePlaintext(plaintext)
            }
        } catch {
            context.logger.debug("TLS failure", metadata: ["error": "\(error)"])
            flushTLS()
            channel.closeAfterFlush()
            return
        }
        if tls.peerClosed { channel.closeAfterFlush() }
        flushTLS()
    }

    private func receivePlaintext(_ bytes: UnsafeRawBufferPointer) {
        if webSocket != nil {
            receiveWebSocket(bytes)
        } else if http != nil {
            http!.parser.feed(bytes)
            serveHTTP()
        }
    }

    // MARK: Output

    /// Queues bytes for the peer: on the channel directly, or as plaintext for the next TLS flush.
    func send(_ bytes: UnsafeRawBufferPointer) {
        if tls != nil {
            pendingPlaintext.append(contentsOf: bytes)
            context.loop.markDirty(channel)
        } else {
            channel.write(bytes)
        }
    }

    func send(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { send($0) }
    }

    func channelWillFlush(_ channel: Channel) {
        flushTLS()
    }

    /// Encrypts everything sent since the last flush in one `SSL_write`, then moves the records
    /// (and whatever a read produced: handshake messages, tickets, alerts) to the channel.
    func flushTLS() {
        guard let tls else { return }
        if !pendingPlaintext.isEmpty {
            let plaintext = pendingPlaintext
            pendingPlaintext = []
            do {
                try plaintext.withUnsafeBytes { try tls.send($0) }
            } catch {
                context.logger.debug("TLS write failure", metadata: ["error": "\(error)"])
                channel.close()
                return
            }
        }
        tls.drainCiphertext(scratch: context.tlsScratch) { channel.write($0) }
    }

    // MARK: Limits and lifecycle

    /// The peer does not read fast enough: a 4001 close frame follows what is queued (frames
    /// cannot be cut out of a byte stream, nor records out of a TLS stream), and the
    /// connection closes once that is written, or at the linger deadline.
    func channelOutboundOverflow(_ channel: Channel) {
        context.logger.info("slow consumer disconnected", metadata: ["queued": "\(channel.outboundBytes)"])
        closeWebSocket(code: RallyCloseCode.slowConsumer, reason: "slow consumer, reconnect")
        flushTLS()
        channel.closeAfterFlush()
    }

    func channelClosed(_ channel: Channel) {
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
        guard webSocket != nil else { return }
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
            channel.closeAfterFlush()
        }
    }
}

/// The state of a connection's HTTP phase.
final class HTTPExchange {
    var parser: HTTPRequestParser
    /// When the connection was accepted: its request head must be complete in time.
    let startedAt: UInt64

    init(limits: HTTPParserLimits, startedAt: UInt64) {
        parser = HTTPRequestParser(limits: limits)
        self.startedAt = startedAt
    }
}
