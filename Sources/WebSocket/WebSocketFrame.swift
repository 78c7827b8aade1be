/// A WebSocket frame opcode (RFC 6455 §5.2). Values 3–7 and 11–15 are reserved
/// and have no case: the decoder rejects them before a frame is built.
public enum WebSocketOpcode: UInt8, Sendable {
    /// Continues a fragmented message.
    case continuation = 0
    /// Starts a UTF-8 text message.
    case text = 1
    /// Starts a binary message.
    case binary = 2
    /// Close handshake.
    case close = 8
    /// Keep-alive request; answered with a pong carrying the same payload.
    case ping = 9
    /// Keep-alive answer (or unsolicited heartbeat).
    case pong = 10

    /// Control frames (close, ping, pong) have the high opcode bit set (§5.5).
    @inlinable
    public var isControl: Bool { rawValue & 0x8 != 0 }
}

/// One decoded frame: header flags plus the already unmasked payload.
public struct WebSocketFrame: Equatable, Sendable {
    /// FIN bit: this is the final fragment of a message.
    public var fin: Bool
    /// RSV1 bit: with permessage-deflate, marks the first frame of a compressed message.
    public var rsv1: Bool
    /// The frame opcode.
    public var opcode: WebSocketOpcode
    /// The unmasked application payload.
    public var payload: [UInt8]

    /// Creates a frame value.
    public init(fin: Bool = true, rsv1: Bool = false, opcode: WebSocketOpcode, payload: [UInt8]) {
        self.fin = fin
        self.rsv1 = rsv1
        self.opcode = opcode
        self.payload = payload
    }
}

/// Which end of the connection this code plays; it decides the masking rule
/// (clients mask, servers don't, RFC 6455 §5.1) and which permessage-deflate
/// parameters apply to each direction.
public enum WebSocketRole: Sendable, Equatable {
    /// Receives masked frames, sends unmasked ones.
    case server
    /// Receives unmasked frames, sends masked ones.
    case client
}
