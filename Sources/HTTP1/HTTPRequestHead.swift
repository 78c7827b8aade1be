/// The request line and header section of one HTTP/1.x request.
public struct HTTPRequestHead: Equatable, Sendable {
    /// The method token, case-sensitive as received (`GET`, `POST`, …).
    public var method: String
    /// The request target as received (`/chat?room=1`, `*`, or `http://host/path`).
    public var target: String
    /// The path part of the target: everything before `?` (for absolute-form, the path after the
    /// authority, `/` when empty; `*` for asterisk-form). Not percent-decoded.
    public var path: String
    /// The query after the first `?`, without the `?`; nil when the target has no `?`.
    public var query: String?
    /// The minor HTTP version: 0 for HTTP/1.0, 1 for HTTP/1.1 (and for any later HTTP/1.x, which
    /// RFC 9110 §2.5 says to treat as the highest minor version implemented).
    public var versionMinor: Int
    /// The header fields in the order received.
    public var headers: HTTPHeaders

    /// A request head from its parts; the parser fills `path` and `query` from `target`.
    public init(
        method: String,
        target: String,
        path: String,
        query: String?,
        versionMinor: Int,
        headers: HTTPHeaders
    ) {
        self.method = method
        self.target = target
        self.path = path
        self.query = query
        self.versionMinor = versionMinor
        self.headers = headers
    }

    /// Whether the connection may carry another request after this one (RFC 9112 §9.3):
    /// HTTP/1.1 persists unless `Connection` lists `close`; HTTP/1.0 persists only when
    /// `Connection` lists `keep-alive` (and `close` is not also listed).
    public var keepAlive: Bool {
        if headers.containsToken("Connection", "close") { return false }
        if versionMinor >= 1 { return true }
        return headers.containsToken("Connection", "keep-alive")
    }
}
