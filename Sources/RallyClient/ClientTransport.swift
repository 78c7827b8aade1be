import HTTP1
import Reactor
import WebSocket

/// The client side of one WebSocket connection on a loop: sends the upgrade request, checks
/// the 101 answer (status, `Sec-WebSocket-Accept`, subprotocol), then frames messages (masked,
/// as RFC 6455 requires of clients) and hands complete messages up.
final class ClientTransport: ChannelHandler {
    enum Event {
        case open
        case message([UInt8])
        case closed(code: UInt16?, reason: String)
    }

    private let key: String
    private var head: [UInt8] = []
    private var socket: WebSocketConnection?
    private var actions: [WebSocketAction] = []
    private var closeCode: UInt16?
    private var closeReason = ""
    private var finished = false
    let onEvent: (Event) -> Void
    weak var channel: Channel?

    init(channel: Channel, host: String, path: String, subprotocol: String, onEvent: @escaping (Event) -> Void) {
        self.channel = channel
        self.onEvent = onEvent
        var generator = SystemRandomNumberGenerator()
        key = Base64.encode((0..<16).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let request = "GET \(path) HTTP/1.1\r\nHost: \(host)\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: \(key)\r\nSec-WebSocket-Version: 13\r\nSec-WebSocket-Protocol: \(subprotocol)\r\n\r\n"
        channel.write(Array(request.utf8))
    }

    /// Sends a text message (masked).
    func send(_ payload: [UInt8]) {
        guard socket?.state == .open, let channel else { return }
        channel.write(FrameEncoder.encode(opcode: .text, payload: payload, maskingKey: Self.maskingKey()))
    }

    /// Starts the closing handshake.
    func close(code: UInt16 = 1000, reason: String = "") {
        guard socket != nil, let channel else {
            channel?.close()
            return
        }
        let closing = socket!.initiateClose(code: code, reason: reason)
        perform(closing, on: channel)
    }

    private static func maskingKey() -> (UInt8, UInt8, UInt8, UInt8) {
        var generator = SystemRandomNumberGenerator()
        let value = generator.next() as UInt32
        return (UInt8(truncatingIfNeeded: value), UInt8(truncatingIfNeeded: value >> 8),
                UInt8(truncatingIfNeeded: value >> 16), UInt8(truncatingIfNeeded: value >> 24))
    }

    // MARK: ChannelHandler

    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) {
        if socket == nil {
            head.append(contentsOf: bytes)
            guard let end = Self.headEnd(head) else {
                if head.count > 16 << 10 { fail(channel, "response head too large") }
                return
            }
            let text = String(decoding: head[..<end], as: UTF8.self)
            let rest = Array(head[(end + 4)...])
            head = []
            guard accept(text) else { return fail(channel, "handshake refused: \(text.split(separator: "\r\n").first ?? "")") }
            socket = WebSocketConnection(configuration: WebSocketConfiguration(maxMessageSize: 16 << 20, maxFramePayload: 16 << 20, role: .client))
            onEvent(.open)
            if !rest.isEmpty { rest.withUnsafeBytes { receive($0, channel) } }
        } else {
            receive(bytes, channel)
        }
    }

    private func receive(_ bytes: UnsafeRawBufferPointer, _ channel: Channel) {
        actions.removeAll(keepingCapacity: true)
        socket?.receive(bytes, into: &actions)
        perform(actions, on: channel)
    }

    private func perform(_ actions: [WebSocketAction], on channel: Channel) {
        for action in actions {
            switch action {
            case .message(_, let payload):
                onEvent(.message(payload))
            case .sendFrame(let opcode, let payload):
                channel.write(FrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: Self.maskingKey()))
            case .sendClose(let code, let reason):
                if closeCode == nil { closeCode = code; closeReason = reason }
                channel.write(FrameEncoder.encodeClose(code: code, reason: reason, maskingKey: Self.maskingKey()))
            case .closeTransport:
                channel.closeAfterFlush()
            }
        }
    }

    private func accept(_ head: String) -> Bool {
        let lines = head.split(separator: "\r\n")
        guard let status = lines.first, status.hasPrefix("HTTP/1.1 101") else { return false }
        var accepted = false
        for line in lines.dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            guard parts.count == 2 else { continue }
            let name = parts[0].lowercased()
            let value = parts[1].trimmingCharacters(in: " ")
            if name == "sec-websocket-accept" { accepted = value == WebSocketUpgrade.acceptValue(forKey: key) }
        }
        return accepted
    }

    private func fail(_ channel: Channel, _ reason: String) {
        closeReason = reason
        channel.close()
    }

    private static func headEnd(_ bytes: [UInt8]) -> Int? {
        guard bytes.count >= 4 else { return nil }
        for i in 0...(bytes.count - 4) where bytes[i] == 13 && bytes[i + 1] == 10 && bytes[i + 2] == 13 && bytes[i + 3] == 10 {
            return i
        }
        return nil
    }

    func channelOutboundOverflow(_ channel: Channel) {}

    func channelClosed(_ channel: Channel) {
        guard !finished else { return }
        finished = true
        // When the server closed, the state machine echoed its code: `closeCode` is it.
        onEvent(.closed(code: closeCode, reason: closeReason))
    }
}

private extension Substring {
    func trimmingCharacters(in set: Character) -> String {
        var text = self
        while text.first == set { text = text.dropFirst() }
        while text.last == set { text = text.dropLast() }
        return String(text)
    }
}
