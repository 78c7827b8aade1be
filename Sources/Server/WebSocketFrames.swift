import WebSocket

/// Server frames built once for many connections.
enum WebSocketFrames {
    /// An unmasked, final, uncompressed text frame carrying `payload`.
    static func text(_ payload: [UInt8]) -> [UInt8] {
        FrameEncoder.encode(opcode: .text, payload: payload)
    }
}
