/// Server policy for permessage-deflate (RFC 7692).
public struct PerMessageDeflateConfig: Sendable, Equatable {
    /// Reset the server's compressor after every message. With both no-context-takeover
    /// flags set, one `DeflateCodec` per event loop can serve every connection.
    public var serverNoContextTakeover: Bool
    /// Ask clients to reset their compressor after every message.
    public var clientNoContextTakeover: Bool
    /// Largest compression window the server will use (8...15; values outside are clamped).
    public var serverMaxWindowBits: Int
    /// Largest window the server asks clients to use (8...15) when they support the parameter.
    public var clientMaxWindowBits: Int
    /// Upper bound on an inflated message; the connection uses the smaller of this and
    /// its `maxMessageSize`.
    public var maxDecompressedSize: Int
    /// When false, `negotiate` declines every offer.
    public var enabled: Bool

    /// Creates a configuration; the defaults answer every offer without context takeover.
    public init(
        serverNoContextTakeover: Bool = true,
        clientNoContextTakeover: Bool = true,
        serverMaxWindowBits: Int = 15,
        clientMaxWindowBits: Int = 15,
        maxDecompressedSize: Int = 16 << 20,
        enabled: Bool = true
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.maxDecompressedSize = maxDecompressedSize
        self.enabled = enabled
    }
}

/// The parameters both ends agreed on.
public struct NegotiatedDeflate: Sendable, Equatable {
    /// The server resets its compressor after each message.
    public var serverNoContextTakeover: Bool
    /// The client resets its compressor after each message.
    public var clientNoContextTakeover: Bool
    /// Window bits of server-to-client compression (8...15).
    public var serverMaxWindowBits: Int
    /// Window bits of client-to-server compression (8...15; 15 when unconstrained).
    public var clientMaxWindowBits: Int
    /// Limit on an inflated message.
    public var maxDecompressedSize: Int
    /// The `Sec-WebSocket-Extensions` value: the server's response (server side) or the
    /// response that was accepted (client side).
    public var responseHeaderValue: String

    /// Creates a value directly (mainly for tests and clients).
    public init(
        serverNoContextTakeover: Bool, clientNoContextTakeover: Bool,
        serverMaxWindowBits: Int, clientMaxWindowBits: Int,
        maxDecompressedSize: Int, responseHeaderValue: String
    ) {
        self.serverNoContextTakeover = serverNoContextTakeover
        self.clientNoContextTakeover = clientNoContextTakeover
        self.serverMaxWindowBits = serverMaxWindowBits
        self.clientMaxWindowBits = clientMaxWindowBits
        self.maxDecompressedSize = maxDecompressedSize
        self.responseHeaderValue = responseHeaderValue
    }

    /// True when neither direction keeps context between messages, so the connection
    /// needs no zlib state of its own between messages.
    public var isStateless: Bool { serverNoContextTakeover && clientNoContextTakeover }

    /// True when either direction keeps its LZ77 window across messages.
    public var usesContextTakeover: Bool { !isStateless }

    /// Server side: true when a codec shared by the event loop
    /// (`DeflateCodec(parameters: .noContextTakeover)`) cannot serve this connection,
    /// either because context is kept or because the client limited the server's window
    /// below 15 bits (a shared 15-bit compressor would exceed it). Such a connection needs
    /// `DeflateCodec(negotiated:)` of its own, also for what the server sends.
    public var requiresPrivateCodec: Bool { usesContextTakeover || serverMaxWindowBits < 15 }
}

/// permessage-deflate negotiation (RFC 7692 §5, §7.1).
public enum PerMessageDeflate {
    /// The extension token.
    public static let extensionName = "permessage-deflate"

    /// What a client sends: deflate with context takeover allowed both ways, and
    /// willingness to accept a `client_max_window_bits` limit from the server.
    public static let clientOffer = "permessage-deflate; client_max_window_bits"

    /// Picks the first acceptable permessage-deflate offer from the client's
    /// `Sec-WebSocket-Extensions` header values, or nil to run without compression.
    ///
    /// An offer with an unknown or duplicated parameter, a missing or out-of-range window
    /// value, or a value on a valueless parameter is declined and the next one is tried
    /// (RFC 7692 §5.1, §7.1). Context takeover is kept only where both the configuration
    /// and the client allow it. `server_max_window_bits` and `client_max_window_bits` are
    /// answered only when offered (§7.1.2), never above the offered value.
    public static func negotiate(offers: [String], config: PerMessageDeflateConfig) -> NegotiatedDeflate? {
        guard config.enabled else { return nil }
        let serverLimit = clampWindowBits(config.serverMaxWindowBits)
        let clientLimit = clampWindowBits(config.clientMaxWindowBits)
        for header in offers {
            for element in ExtensionHeader.parse(header) {
                guard let element, element.name == extensionName,
                      let offer = DeflateParameters(element.parameters, isResponse: false)
                else { continue }

                let serverNoTakeover = config.serverNoContextTakeover || offer.serverNoContextTakeover
                let clientNoTakeover = config.clientNoContextTakeover || offer.clientNoContextTakeover
                var response = extensionName
                if serverNoTakeover { response += "; server_no_context_takeover" }
                if clientNoTakeover { response += "; client_no_context_takeover" }

                // Without the parameter the client accepts any window, so a smaller
                // configured window is used silently rather than announced.
                var serverBits = serverLimit
                if let requested = offer.serverMaxWindowBits {
                    serverBits = min(serverLimit, requested)
                    response += "; server_max_window_bits=\(serverBits)"
                }
                // Without the parameter the client may use 15 bits and must not be told
                // otherwise (§7.1.2.2); inflating with a 15-bit window handles any size.
                var clientBits = 15
                switch offer.clientMaxWindowBits {
                case .absent:
                    break
                case .supported:
                    clientBits = clientLimit
                    response += "; client_max_window_bits=\(clientBits)"
                case .limit(let hint):
                    clientBits = min(clientLimit, hint)
                    response += "; client_max_window_bits=\(clientBits)"
                }
                return NegotiatedDeflate(
                    serverNoContextTakeover: serverNoTakeover, clientNoContextTakeover: clientNoTakeover,
                    serverMaxWindowBits: serverBits, clientMaxWindowBits: clientBits,
                    maxDecompressedSize: config.maxDecompressedSize, responseHeaderValue: response)
            }
        }
        return nil
    }

    /// Client side: validates the server's `Sec-WebSocket-Extensions` response to
    /// `clientOffer`. Returns nil (the client should then fail the handshake) unless it is
    /// exactly one well-formed permessage-deflate element.
    public static func acceptServerResponse(_ value: String, maxDecompressedSize: Int = 16 << 20) -> NegotiatedDeflate? {
        let elements = ExtensionHeader.parse(value)
        guard elements.count == 1, let element = elements[0], element.name == extensionName,
              let response = DeflateParameters(element.parameters, isResponse: true)
        else { return nil }
        var clientBits = 15
        if case .limit(let bits) = response.clientMaxWindowBits { clientBits = bits }
        return NegotiatedDeflate(
            serverNoContextTakeover: response.serverNoContextTakeover,
            clientNoContextTakeover: response.clientNoContextTakeover,
            serverMaxWindowBits: response.serverMaxWindowBits ?? 15,
            clientMaxWindowBits: clientBits,
            maxDecompressedSize: maxDecompressedSize, responseHeaderValue: value)
    }

    static func clampWindowBits(_ bits: Int) -> Int { min(max(bits, 8), 15) }
}

/// The four RFC 7692 parameters of one offer or response, strictly parsed.
struct DeflateParameters: Equatable, Sendable {
    enum ClientWindowBits: Equatable, Sendable {
        case absent
        /// Offered without a value: the client supports the parameter (offer only).
        case supported
        case limit(Int)
    }

    var serverNoContextTakeover = false
    var clientNoContextTakeover = false
    var serverMaxWindowBits: Int? = nil
    var clientMaxWindowBits = ClientWindowBits.absent

    /// Nil for an unknown or repeated parameter, a value where none is allowed, or a bad
    /// window value. A response must give `client_max_window_bits` a value; an offer may not.
    init?(_ parameters: [(name: String, value: String?)], isResponse: Bool) {
        var seen: Set<String> = []
        for (name, value) in parameters {
            guard seen.insert(name).inserted else { return nil }
            switch name {
            case "server_no_context_takeover":
                guard value == nil else { return nil }
                serverNoContextTakeover = true
            case "client_no_context_takeover":
                guard value == nil else { return nil }
                clientNoContextTakeover = true
            case "server_max_window_bits":
                guard let value, let bits = Self.windowBits(value) else { return nil }
                serverMaxWindowBits = bits
            case "client_max_window_bits":
                if let value {
                    guard let bits = Self.windowBits(value) else { return nil }
                    clientMaxWindowBits = .limit(bits)
                } else {
                    guard !isResponse else { return nil }
                    clientMaxWindowBits = .supported
                }
            default:
                return nil
            }
        }
    }

    /// Decimal 8...15 with no sign, spaces or leading zeros (RFC 7692 §7.1.2 ABNF).
    static func windowBits(_ text: String) -> Int? {
        switch text {
        case "8": return 8
        case "9": return 9
        case "10": return 10
        case "11": return 11
        case "12": return 12
        case "13": return 13
        case "14": return 14
        case "15": return 15
        default: return nil
        }
    }
}
