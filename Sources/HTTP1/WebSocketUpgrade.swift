/// A WebSocket opening handshake that passed validation (RFC 6455 §4.2.1).
public struct WebSocketUpgradeRequest: Equatable, Sendable {
    /// The `Sec-WebSocket-Key` value as sent (Base64 of 16 bytes).
    public var key: String
    /// The `Sec-WebSocket-Accept` value answering `key`.
    public var acceptValue: String
    /// The `Origin` header, if sent.
    public var origin: String?
    /// The `Sec-WebSocket-Protocol` list elements of every such header, in order, case kept
    /// (subprotocol names are case-sensitive).
    public var protocols: [String]
    /// The raw value of every `Sec-WebSocket-Extensions` header, in order, for the extension
    /// negotiator to parse.
    public var extensionOffers: [String]

    /// A request from its parts.
    public init(key: String, acceptValue: String, origin: String?, protocols: [String], extensionOffers: [String]) {
        self.key = key
        self.acceptValue = acceptValue
        self.origin = origin
        self.protocols = protocols
        self.extensionOffers = extensionOffers
    }
}

/// Validation of WebSocket opening handshakes and the server's answer (RFC 6455 §4.2).
public enum WebSocketUpgrade {
    /// The GUID RFC 6455 §1.3 appends to the key before hashing.
    static let acceptGUID = "258EAFA5-E914-47DA-95CA-C5AB0DC85B11"

    /// Whether `head` asks for a WebSocket: its `Upgrade` header lists the token `websocket`
    /// (case-insensitive). Such a request is then checked with `validate`.
    public static func isUpgradeRequest(_ head: HTTPRequestHead) -> Bool {
        head.headers.containsToken("Upgrade", "websocket")
    }

    /// `base64(SHA-1(key + GUID))` (RFC 6455 §4.2.2 item 5.4).
    public static func acceptValue(forKey key: String) -> String {
        Base64.encode(SHA1.hash(Array((key + acceptGUID).utf8)))
    }

    /// Checks `head` against RFC 6455 §4.2.1 and, when `allowedOrigins` is not empty, against the
    /// origin allow-list. On failure the result is the response to send (always with
    /// `Connection: close`); the checks run in this order and the first failure answers:
    ///
    /// 1. method not GET → 405 with `Allow: GET`. RFC 6455 only says the method MUST be GET;
    ///    405 is the HTTP status for "this resource does not support that method" and tells the
    ///    client which one it does, which 400 would not.
    /// 2. HTTP/1.0 → 400 (the handshake requires HTTP/1.1 or higher).
    /// 3. `Upgrade` lacking the token `websocket` → 400.
    /// 4. `Connection` lacking the token `upgrade` → 400.
    /// 5. `Sec-WebSocket-Version` not exactly one `13` → 426 with `Sec-WebSocket-Version: 13`
    ///    (RFC 6455 §4.4). A missing version gets the same answer: a client that sends none speaks
    ///    an old draft (hixie-76 and earlier), and 426 with the version tells it what to speak,
    ///    where 400 would tell it nothing. RFC 9110 §15.5.22 requires an `Upgrade` field on 426,
    ///    so the response also has `Upgrade: websocket` and `Connection: Upgrade, close`.
    /// 6. `Sec-WebSocket-Key` missing, repeated, or not canonical Base64 of 16 bytes → 400.
    /// 7. `allowedOrigins` not empty and `Origin` absent, repeated, or not in the list (ASCII
    ///    case-insensitive, exact otherwise) → 403.
    /// 8. a body announced (`Transfer-Encoding`, or a non-zero `Content-Length`) → 400: the
    ///    bytes after the head are handed to the WebSocket, which would read a body as frames.
    ///    (RFC 6455 does not mention bodies; this check is Rally's, and runs last so the order
    ///    above is unchanged.)
    public static func validate(
        _ head: HTTPRequestHead,
        allowedOrigins: [String]
    ) -> Result<WebSocketUpgradeRequest, HTTPResponse> {
        let headers = head.headers
        guard head.method == "GET" else {
            return .failure(HTTPResponse.error(405, message: "WebSocket handshake must use GET", extraHeaders: ["Allow": "GET"]))
        }
        guard head.versionMinor >= 1 else {
            return .failure(HTTPResponse.error(400, message: "WebSocket handshake requires HTTP/1.1"))
        }
        guard headers.containsToken("Upgrade", "websocket") else {
            return .failure(HTTPResponse.error(400, message: "missing Upgrade: websocket"))
        }
        guard headers.containsToken("Connection", "upgrade") else {
            return .failure(HTTPResponse.error(400, message: "missing Connection: Upgrade"))
        }
        guard headers.count(named: "Sec-WebSocket-Version") == 1, headers["Sec-WebSocket-Version"] == "13" else {
            return .failure(unsupportedVersion())
        }
        guard headers.count(named: "Sec-WebSocket-Key") == 1, let key = headers["Sec-WebSocket-Key"],
              Base64.decode(key)?.count == 16
        else {
            return .failure(HTTPResponse.error(400, message: "invalid Sec-WebSocket-Key"))
        }
        let origin = headers["Origin"]
        if !allowedOrigins.isEmpty {
            guard headers.count(named: "Origin") == 1, let origin,
                  allowedOrigins.contains(where: { ASCII.equalsIgnoringCase($0, origin) })
            else {
                return .failure(HTTPResponse.error(403, message: "origin not allowed"))
            }
        }
        // Framing as the parser decides it; a head whose framing is invalid counts as having a body.
        if (try? BodyFraming.decide(for: head, limits: .default)) != BodyFraming.none {
            return .failure(HTTPResponse.error(400, message: "WebSocket handshake must not have a body"))
        }
        return .success(WebSocketUpgradeRequest(
            key: key,
            acceptValue: acceptValue(forKey: key),
            origin: origin,
            protocols: headers.listElements("Sec-WebSocket-Protocol"),
            extensionOffers: headers.values("Sec-WebSocket-Extensions")
        ))
    }

    /// The `101 Switching Protocols` answer to a validated request: `Upgrade: websocket`,
    /// `Connection: Upgrade`, `Sec-WebSocket-Accept`, then `extraHeaders` (where the caller puts
    /// the `Sec-WebSocket-Protocol` and `Sec-WebSocket-Extensions` it chose). No body and no
    /// `Content-Length`: the bytes after the head belong to the WebSocket.
    public static func acceptResponse(
        for request: WebSocketUpgradeRequest,
        extraHeaders: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var headers: HTTPHeaders = [
            "Upgrade": "websocket",
            "Connection": "Upgrade",
            "Sec-WebSocket-Accept": request.acceptValue,
        ]
        for field in extraHeaders {
            headers.add(field.name, field.value)
        }
        return HTTPResponse(status: 101, headers: headers)
    }

    private static func unsupportedVersion() -> HTTPResponse {
        HTTPResponse.error(426, message: "unsupported Sec-WebSocket-Version; use 13", extraHeaders: [
            "Sec-WebSocket-Version": "13",
            "Upgrade": "websocket",
            "Connection": "Upgrade, close",
        ])
    }
}
