extension HTTPResponse {
    /// An error response with the JSON body `{"error":{"status":N,"code":"...","message":"..."}}`
    /// (`code` is a stable snake_case name of the status, see `errorCode`),
    /// `Content-Type: application/json` and `Connection: close`, then `extraHeaders`.
    ///
    /// `Content-Type` and `Connection` are left out when `extraHeaders` already holds them, so a
    /// caller can override them without sending a field twice.
    public static func error(
        _ status: Int,
        message: String,
        extraHeaders: HTTPHeaders = HTTPHeaders()
    ) -> HTTPResponse {
        var headers = HTTPHeaders()
        if !extraHeaders.contains("Content-Type") {
            headers.add("Content-Type", "application/json")
        }
        if !extraHeaders.contains("Connection") {
            headers.add("Connection", "close")
        }
        for field in extraHeaders {
            headers.add(field.name, field.value)
        }
        var body: [UInt8] = []
        body.append(contentsOf: "{\"error\":{\"status\":\(status),\"code\":\"\(errorCode(status))\",\"message\":".utf8)
        JSONString.append(message, to: &body)
        body.append(contentsOf: "}}".utf8)
        return HTTPResponse(status: status, headers: headers, body: body)
    }

    /// The stable name of an error status, for clients that branch on it.
    public static func errorCode(_ status: Int) -> String {
        switch status {
        case 400: return "bad_request"
        case 401: return "unauthorized"
        case 403: return "forbidden"
        case 404: return "not_found"
        case 405: return "method_not_allowed"
        case 408: return "request_timeout"
        case 409: return "conflict"
        case 413: return "payload_too_large"
        case 414: return "uri_too_long"
        case 426: return "upgrade_required"
        case 429: return "too_many_requests"
        case 431: return "headers_too_large"
        case 501: return "not_implemented"
        case 503: return "unavailable"
        case 505: return "version_not_supported"
        default: return status >= 500 ? "server_error" : "client_error"
        }
    }

    /// The error response for a parse failure: its status and reason.
    public static func error(_ parseError: HTTPParseError) -> HTTPResponse {
        error(parseError.status, message: parseError.reason)
    }
}

/// JSON string encoding (RFC 8259 §7), enough for error messages.
enum JSONString {
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// Appends `text` as a quoted JSON string: `"` and `\` are escaped, control characters
    /// (U+0000–U+001F) use their short escape or `\u00XX`, everything else is copied as UTF-8.
    static func append(_ text: String, to out: inout [UInt8]) {
        out.append(ASCII.quote)
        for byte in text.utf8 {
            switch byte {
            case ASCII.quote: out.append(contentsOf: "\\\"".utf8)
            case ASCII.backslash: out.append(contentsOf: "\\\\".utf8)
            case 0x08: out.append(contentsOf: "\\b".utf8)
            case 0x0C: out.append(contentsOf: "\\f".utf8)
            case ASCII.lf: out.append(contentsOf: "\\n".utf8)
            case ASCII.cr: out.append(contentsOf: "\\r".utf8)
            case ASCII.tab: out.append(contentsOf: "\\t".utf8)
            case 0x00..<0x20:
                out.append(contentsOf: "\\u00".utf8)
                out.append(hexDigits[Int(byte >> 4)])
                out.append(hexDigits[Int(byte & 0x0F)])
            default:
                out.append(byte)
            }
        }
        out.append(ASCII.quote)
    }
}

/// A response can be the failure of a `Result`: `WebSocketUpgrade.validate` returns the refusal
/// to send as `Result<WebSocketUpgradeRequest, HTTPResponse>`, which requires `Error`.
extension HTTPResponse: Error {}
