/// The error of an error reply: what went wrong, as the client sees it.
///
/// The module's one error type for protocol-level failures: the command decoder produces it,
/// the server's chat layer produces it, `WireEncoder.errorReply` writes it and
/// `WireDecoder.decodeServerFrame` reads it back.
public struct ProtocolError: Error, Equatable, Sendable {
    /// The code (its range tells the client what to do).
    public var code: ErrorCode
    /// Human-readable English text for logs and developers; never parsed by clients.
    public var message: String
    /// The argument at fault (`"text"`, `"positions[2].epoch"`), for 1xxx errors about one.
    public var field: String?
    /// For 3xxx errors: how long to wait before retrying, in milliseconds.
    public var retryAfterMs: Int64?

    /// Creates an error.
    public init(_ code: ErrorCode, _ message: String, field: String? = nil, retryAfterMs: Int64? = nil) {
        self.code = code
        self.message = message
        self.field = field
        self.retryAfterMs = retryAfterMs
    }

    /// 1000: the frame is not a command envelope.
    public static func malformed(_ message: String, field: String? = nil) -> ProtocolError {
        ProtocolError(.malformed, message, field: field)
    }

    /// 1002: the argument `field` is missing, unknown, or of the wrong type or form.
    public static func invalidArgument(_ field: String, _ message: String) -> ProtocolError {
        ProtocolError(.invalidArgument, message, field: field)
    }

    /// 3000: rate limited; retry after `retryAfterMs`.
    public static func rateLimited(retryAfterMs: Int64) -> ProtocolError {
        ProtocolError(.rateLimited, "too many commands", retryAfterMs: retryAfterMs)
    }
}

/// Why `WireDecoder.decodeCommand` refused a frame, with the command's id when it could be
/// read (the error reply echoes it; nil becomes `"id": null`).
public struct CommandDecodeError: Error, Equatable, Sendable {
    /// The command's id, when the frame had a valid one.
    public var id: String?
    /// What to answer.
    public var error: ProtocolError

    /// Creates a decode error.
    public init(id: String?, error: ProtocolError) {
        self.id = id
        self.error = error
    }
}
