/// Why a request could not be parsed; each case maps to the status of the error response.
///
/// This is the module's one error type: the caller answers with
/// `HTTPResponse.error(error.status, message: error.reason)` and closes the connection, since
/// after a framing error the position of the next request is unknown.
public enum HTTPParseError: Error, Equatable, Sendable {
    /// Malformed syntax; the text says what was wrong. → 400
    case badRequest(String)
    /// The request line is longer than `maxRequestLineBytes`. → 414
    case uriTooLong
    /// Too many header fields or too many header bytes. → 431
    case headersTooLarge
    /// The body is larger than `maxBodyBytes`. → 413
    case payloadTooLarge
    /// An HTTP major version other than 1. → 505
    case versionNotSupported
    /// A feature the parser does not implement, such as a transfer coding other than chunked. → 501
    case notImplemented(String)

    /// The HTTP status code to answer with.
    public var status: Int {
        switch self {
        case .badRequest: return 400
        case .uriTooLong: return 414
        case .headersTooLarge: return 431
        case .payloadTooLarge: return 413
        case .versionNotSupported: return 505
        case .notImplemented: return 501
        }
    }

    /// A short human-readable explanation for the response body.
    public var reason: String {
        switch self {
        case .badRequest(let detail): return detail
        case .uriTooLong: return "request line too long"
        case .headersTooLarge: return "request header fields too large"
        case .payloadTooLarge: return "request body too large"
        case .versionNotSupported: return "HTTP version not supported"
        case .notImplemented(let detail): return detail
        }
    }
}
