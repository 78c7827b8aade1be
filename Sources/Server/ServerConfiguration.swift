import Auth
import Embedded
import HTTP1
import Reactor
import WebSocket
import WireProtocol

/// Everything a server instance is configured with. Defaults are the documented ones.
public struct ServerConfiguration {
    /// Addresses to listen on. With port 0 the first loop's listener picks a port and the other
    /// loops bind the same one.
    public var listen: [SocketAddress] = []
    /// Listeners for the HTTP API alone (plain HTTP). When set, the public listeners do not
    /// serve `/api/`, so a load balancer in front of them never exposes it.
    public var apiListen: [SocketAddress] = []
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
    /// A WebSocket message (its frames) must arrive whole within this time once begun (else
    /// close 1008): a peer trickling a large message cannot pin its buffer forever. Default 60 s.
    public var messageTimeout: UInt64 = 60_000_000_000
    /// An HTTP connection must finish its request head within this time. Default 10 s.
    public var handshakeTimeout: UInt64 = 10_000_000_000
    /// permessage-deflate: on by default, with no context takeover in both directions.
    public var deflate = PerMessageDeflateConfig()
    public var httpLimits = HTTPParserLimits.default
    public var loop = LoopConfiguration()
    /// The chat service (`/ws`, `/api/`); nil serves only `/healthz` (and `/echo` if asked).
    public var chat: ChatConfiguration?

    public init() {}
}

/// The chat service's settings.
public struct ChatConfiguration {
    /// Verifies the tokens of `connect` and `refresh`.
    public var verifier: JWTVerifier
    /// Development mode: `GET /dev/token?user=NAME` issues tokens signed with `devSecret`,
    /// and demo rooms are created. Never on a public address.
    public var devSecret: [UInt8]?
    /// API keys for `/api/` (constant-time comparison). Empty: the API is closed.
    public var apiKeys: [String] = []
    /// Limits told to clients in `connect` and enforced.
    public var limits = Limits.default
    /// A connection must `connect` within this time (else close 4004). Default 5 s.
    public var connectTimeout: UInt64 = 5_000_000_000
    /// Clock skew allowed around `exp` (the verifier's leeway): an open connection is closed
    /// with 4101 once `exp` + leeway has passed, as a new `connect` would be refused.
    public var tokenLeewaySeconds: Int64 = 30
    /// Sessions one user may have open on this instance; a `connect` beyond gets 4006
    /// `too_many_sessions` (the newest is refused). The command rate in `limits` holds per
    /// connection and also per user across all of the user's sessions. Default 16.
    public var sessionsPerUser = 16
    /// Largest chat frame (else close 1009). Default 64 KiB.
    public var maxFrame = 64 << 10

    public init(verifier: JWTVerifier) {
        self.verifier = verifier
    }
}
