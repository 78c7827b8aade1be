import Reactor
import WebSocket
import WireProtocol

extension Connection {
    /// Runs bytes through the WebSocket state machine and carries out its actions in order.
    func receiveWebSocket(_ bytes: UnsafeRawBufferPointer) {
        guard webSocket != nil else { return }
        pingOutstanding = false
        // The loop's action list is borrowed (taken out, so a re-entrant receive cannot share
        // it) and given back emptied, keeping its capacity unless a burst made it large.
        var actions: [WebSocketAction] = []
        swap(&actions, &context.actions)
        webSocket!.receive(bytes, into: &actions)
        perform(actions)
        actions.removeAll(keepingCapacity: actions.capacity <= 64)
        context.actions = actions
    }

    func perform(_ actions: [WebSocketAction]) {
        for action in actions {
            switch action {
            case .message(let opcode, let payload):
                if let chat {
                    if opcode == .text {
                        chat.receive(payload)
                    } else {
                        closeWebSocket(code: RallyCloseCode.protocolViolation, reason: "rally.v1 uses text frames")
                    }
                } else if pubsubTopics != nil {
                    pubsub(opcode, payload)
                } else if context.routes.echo {
                    echo(opcode, payload)
                }
            case .sendFrame(let opcode, let payload):
                sendFrame(opcode, payload, compressed: false)
            case .sendClose(let code, let reason):
                sendClose(code: code, reason: reason)
            case .closeTransport:
                closeTransport()
            }
        }
    }

    /// Starts the closing handshake from our side (going away, slow consumer, idle).
    ///
    /// The close frame of a Rally code carries that code's reason name from `codes.json`
    /// (`auth_failed`, `slow_consumer`, ...), never free text (protocol §10): clients may match
    /// on it, and the human-readable `detail` goes to the log and to the error reply that
    /// precedes a connection-level close. Other codes (1001, 1008) carry `detail`.
    func closeWebSocket(code: UInt16, reason detail: String) {
        guard webSocket != nil else { return }
        if RallyCloseCode.reason(code) != nil {
            context.logger.debug("closing a WebSocket", metadata: ["code": "\(code)", "detail": "\(detail)"])
        }
        let actions = webSocket!.initiateClose(code: code, reason: RallyCloseCode.reason(code) ?? detail)
        perform(actions)
        // Wait for the peer's close frame, but not forever.
        channel.setDeadline(after: context.loop.configuration.lingerNanoseconds)
    }

    /// Sends one text message (a reply or a push to this connection alone). Small messages go
    /// uncompressed: for them zlib costs more than the bytes it saves.
    func sendText(_ payload: [UInt8]) {
        guard webSocket?.state == .open else { return }
        sendFrame(.text, payload, compressed: deflate != nil && payload.count >= 512)
    }

    /// Bytes queued for this connection, TLS plaintext included.
    var queuedBytes: Int { channel.outboundBytes + pendingPlaintext.count }

    /// Queues an already framed message.
    func sendRawFrame(_ frame: [UInt8]) {
        guard webSocket?.state == .open else { return }
        send(frame)
    }

    /// Queues a frame shared by many connections (an event push), uncopied where possible.
    func sendShared(_ chunk: ByteChunk) {
        guard webSocket?.state == .open else { return }
        if tls == nil {
            channel.write(shared: chunk)
        } else {
            send(chunk.bytes)
        }
    }

    /// The benchmark pub/sub protocol (../shared/bench): `SUB topic` joins, `PUB topic ...`
    /// sends the whole frame to the topic's subscribers on this loop — framed once, one shared
    /// chunk queued on every subscriber, as room events are; anything else is echoed.
    private func pubsub(_ opcode: WebSocketOpcode, _ payload: [UInt8]) {
        if opcode == .text, let topic = Self.command("SUB ", in: payload) {
            pubsubTopics?.append(topic)
            context.pubsub.add(self, to: topic)
        } else if opcode == .text, let topic = Self.command("PUB ", in: payload) {
            let chunk = ByteChunk(sharing: WebSocketFrames.text(payload))
            for subscriber in context.pubsub.subscribers(of: topic) { subscriber.sendShared(chunk) }
        } else {
            echo(opcode, payload)
        }
    }

    /// The topic of `PREFIX topic[ rest]`, if `payload` starts with `prefix`.
    private static func command(_ prefix: StaticString, in payload: [UInt8]) -> String? {
        let count = prefix.utf8CodeUnitCount
        guard payload.count > count else { return nil }
        let matches = prefix.withUTF8Buffer { Array($0) == Array(payload[0..<count]) }
        guard matches else { return nil }
        let rest = payload[count...]
        let end = rest.firstIndex(of: UInt8(ascii: " ")) ?? rest.endIndex
        return String(decoding: rest[rest.startIndex..<end], as: UTF8.self)
    }

    private func echo(_ opcode: WebSocketOpcode, _ payload: [UInt8]) {
        sendFrame(opcode, payload, compressed: deflate != nil)
    }

    private func sendClose(code: UInt16?, reason: String) {
        sendFrame(.close, FrameEncoder.closePayload(code: code, reason: reason), compressed: false)
    }

    /// Frames `payload` (compressing it when asked and negotiated) and queues it.
    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], compressed: Bool) {
        if compressed, let deflate {
            let body = payload.withUnsafeBytes { deflate.compress($0) }
            writeFrame(opcode, body, rsv1: true)
        } else {
            writeFrame(opcode, payload, rsv1: false)
        }
    }

    private func writeFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8], rsv1: Bool) {
        withUnsafeTemporaryAllocation(byteCount: 14, alignment: 1) { header in
            let n = FrameEncoder.encodeHeader(into: header, opcode: opcode, payloadLength: payload.count,
                                              fin: true, rsv1: rsv1, maskingKey: nil)
            send(UnsafeRawBufferPointer(rebasing: header[0..<n]))
        }
        payload.withUnsafeBytes { send($0) }
    }
}
