/// Limits and role of a `WebSocketConnection`.
public struct WebSocketConfiguration: Sendable, Equatable {
    /// Largest message (after decompression) accepted; larger ones fail with 1009.
    public var maxMessageSize: Int
    /// Largest single frame payload accepted; larger ones fail with 1009.
    public var maxFramePayload: Int
    /// Server (requires masked frames) or client (rejects masked frames).
    public var role: WebSocketRole

    /// Creates a configuration; defaults fit a server with 16 MiB messages.
    public init(maxMessageSize: Int = 16 << 20, maxFramePayload: Int = 16 << 20, role: WebSocketRole = .server) {
        self.maxMessageSize = maxMessageSize
        self.maxFramePayload = maxFramePayload
        self.role = role
    }
}
