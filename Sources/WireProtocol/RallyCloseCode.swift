/// Rally's WebSocket close codes (the private-use range 4000–4999 of RFC 6455 §7.4.2), as
/// plain `UInt16` constants like the WebSocket module's `CloseCode`.
///
/// - 4000–4099: transient. Reconnect with jittered exponential backoff and recover with the
///   positions you hold.
/// - 4100–4199: do not reconnect until something is fixed (4101: get a new token first).
///
/// RFC 6455 codes keep their meaning (1001 going away, 1009 message too big, ...).
public enum RallyCloseCode {
    /// 4000: the server is restarting or draining; reconnect (to another instance).
    public static let serverRestart: UInt16 = 4000
    /// 4001: the client read too slowly and its outbound backlog passed the limit.
    public static let slowConsumer: UInt16 = 4001
    /// 4002: nothing was heard from the client for too long.
    public static let idleTimeout: UInt16 = 4002
    /// 4003: the server lost events it needed to deliver in order (a trimmed gap); reconnect
    /// and recover, or page history.
    public static let insufficientState: UInt16 = 4003
    /// 4004: no `connect` command within the connect time-out (5 s by default).
    public static let connectTimeout: UInt16 = 4004
    /// 4005: the server sheds connections under load.
    public static let overloaded: UInt16 = 4005
    /// 4006: the user has the most sessions allowed open already; reconnect later, with a long
    /// backoff (another of the user's sessions must end first).
    public static let tooManySessions: UInt16 = 4006

    /// 4100: the token was refused.
    public static let authFailed: UInt16 = 4100
    /// 4101: the token expired; obtain a new one, then reconnect.
    public static let tokenExpired: UInt16 = 4101
    /// 4102: the platform ended this user's sessions (e.g. the account was suspended).
    public static let disconnectedByPlatform: UInt16 = 4102
    /// 4103: the client broke the protocol (e.g. sent a binary frame).
    public static let protocolViolation: UInt16 = 4103

    /// Whether a client should reconnect on its own after this close code: Rally's transient
    /// range, and the RFC 6455 codes that mean "the connection, not the client, failed"
    /// (1001 going away, 1006 abnormal closure, 1011 internal error, 1012 service restart,
    /// 1013 try again later, 1014 bad gateway).
    public static func shouldReconnect(_ code: UInt16) -> Bool {
        switch code {
        case 4000...4099, 1001, 1006, 1011, 1012, 1013, 1014: return true
        default: return false
        }
    }

    /// The close reason Rally sends with one of its codes (snake_case, ASCII, well under the
    /// 123-byte limit of a close frame), or nil for a code it does not define.
    public static func reason(_ code: UInt16) -> String? {
        switch code {
        case serverRestart: return "server_restart"
        case slowConsumer: return "slow_consumer"
        case idleTimeout: return "idle_timeout"
        case insufficientState: return "insufficient_state"
        case connectTimeout: return "connect_timeout"
        case overloaded: return "overloaded"
        case tooManySessions: return "too_many_sessions"
        case authFailed: return "auth_failed"
        case tokenExpired: return "token_expired"
        case disconnectedByPlatform: return "disconnected_by_platform"
        case protocolViolation: return "protocol_violation"
        default: return nil
        }
    }

    /// Every code this version defines, in numeric order.
    public static let all: [UInt16] = [
        serverRestart, slowConsumer, idleTimeout, insufficientState, connectTimeout, overloaded, tooManySessions,
        authFailed, tokenExpired, disconnectedByPlatform, protocolViolation,
    ]
}
