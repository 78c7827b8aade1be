/// What the owner of a connection must do next, produced by `WebSocketConnection` in order.
public enum WebSocketAction: Equatable, Sendable {
    /// A complete message: `.text` (valid UTF-8) or `.binary`, already decompressed.
    case message(WebSocketOpcode, [UInt8])
    /// A control frame to send, e.g. a pong carrying the ping's payload.
    case sendFrame(WebSocketOpcode, [UInt8])
    /// A close frame to send. A nil `code` means an empty payload (the answer to a peer's
    /// empty close, RFC 6455 §5.5.1); `reason` is then empty too.
    case sendClose(code: UInt16?, reason: String)
    /// Close the TCP connection once everything queued before it is written.
    case closeTransport

    /// The bytes to write for `.sendFrame` and `.sendClose` (nil for the others). Servers
    /// pass no key; clients must pass a fresh random masking key per frame.
    public func encodedFrame(maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil) -> [UInt8]? {
        switch self {
        case .sendFrame(let opcode, let payload):
            return FrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: maskingKey)
        case .sendClose(let code, let reason):
            return FrameEncoder.encodeClose(code: code, reason: reason, maskingKey: maskingKey)
        case .message, .closeTransport:
            return nil
        }
    }
}
