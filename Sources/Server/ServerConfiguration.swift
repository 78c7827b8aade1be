import HTTP1
import Reactor
import WebSocket

/// Everything a server instance is configured with. Defaults are the documented ones.
public struct ServerConfiguration {
    /// Addresses to listen on. With port 0 the first loop's listener picks a port and the other
    /// loops bind the same one.
    public var listen: [SocketAddress] = []
    /// Event loops (threads). Default: the CPUs this process may use.
    public var loops = availableProcessorCount()
    /// Serve `/echo` (conformance and benchmarks). Off by default.
    public var echo = false
    /// PEM certificate chain and key: when both are set every listener speaks TLS (wss://).
    public var tlsCertificate: String?
    public var tlsKey: String?
    /// When non-empty, a WebSocket upgrade must carry one of these `Origin`s (else 403).
    public var allowedOrigins: [String] = []
    /// Largest message accepted, after decompression (close 1009 beyond). Default 16 MiB.
    public var maxMessageSize = 16 << 20
    /// Sends a ping after this long without input; 0 disables. Default 30 s.
    public var pingInterval: UInt64 = 30_000_000_000
    /// Closes a connection (4002) after this long without input, pongs included. Default 75 s.
    public var idleTimeout: UInt64 = 75_000_000_000
    /// An HTTP connection must finish its request head within this time. Default 10 s.
    public var handshakeTimeout: UInt64 = 10_000_000_000
    /// permessage-deflate: on by default, with no context takeover in both directions.
    public var deflate = PerMessageDeflateConfig()
    public var httpLimits = HTTPParserLimits.default
    public var loop = LoopConfiguration()

    public init() {}
}

/// Close codes Rally uses beyond RFC 6455's. 4000–4099: transient; the client should reconnect
/// (with jittered backoff) and recover what it missed.
public enum RallyCloseCode {
    /// The connection's outbound queue passed its limit: reconnect and recover.
    public static let slowConsumer: UInt16 = 4001
    /// No input (not even a pong) within the idle time-out.
    public static let idleTimeout: UInt16 = 4002
}
