/// An HTTP/1.1 response to serialize onto a connection.
public struct HTTPResponse: Equatable, Sendable {
    /// The status code.
    public var status: Int
    /// Header fields, written in order.
    public var headers: HTTPHeaders
    /// The body bytes.
    public var body: [UInt8]

    /// A response with the given parts.
    public init(status: Int, headers: HTTPHeaders = HTTPHeaders(), body: [UInt8] = []) {
        self.status = status
        self.headers = headers
        self.body = body
    }

    /// Whether responses with `status` carry no body and no `Content-Length` (RFC 9110 §6.4.1,
    /// §8.6): 1xx, 204 and 304.
    static func forbidsBody(_ status: Int) -> Bool {
        (100...199).contains(status) || status == 204 || status == 304
    }

    /// The wire bytes: status line, headers, `Content-Length` (added unless present or the status
    /// forbids a body), the empty line, and the body.
    ///
    /// Invariants the output keeps whatever the fields hold:
    /// - the body of a 1xx/204/304 response is not written (after a 101 the peer would read it as
    ///   the new protocol's bytes);
    /// - CR, LF and NUL in header names or values are written as SP, so a value taken from
    ///   untrusted input cannot inject a header or split the response.
    public func serialize() -> [UInt8] {
        let writesBody = !Self.forbidsBody(status)
        var out: [UInt8] = []
        out.reserveCapacity(64 + headers.count * 32 + (writesBody ? body.count : 0))
        out.append(contentsOf: "HTTP/1.1 \(status) \(Self.reasonPhrase(status))\r\n".utf8)
        for field in headers {
            Self.appendSanitized(field.name, to: &out)
            out.append(contentsOf: ": ".utf8)
            Self.appendSanitized(field.value, to: &out)
            out.append(contentsOf: "\r\n".utf8)
        }
        if writesBody, !headers.contains("Content-Length") {
            out.append(contentsOf: "Content-Length: \(body.count)\r\n".utf8)
        }
        out.append(contentsOf: "\r\n".utf8)
        if writesBody {
            out.append(contentsOf: body)
        }
        return out
    }

    private static func appendSanitized(_ text: String, to out: inout [UInt8]) {
        let unsafe = { (byte: UInt8) in byte == ASCII.cr || byte == ASCII.lf || byte == ASCII.nul }
        guard text.utf8.contains(where: unsafe) else {
            out.append(contentsOf: text.utf8)
            return
        }
        for byte in text.utf8 {
            out.append(unsafe(byte) ? ASCII.space : byte)
        }
    }

    /// The reason phrase for `status`: the RFC 9110 phrase for common statuses, otherwise a
    /// phrase for its class ("Client Error" for an unlisted 4xx). Clients ignore the phrase;
    /// it is for people reading traces.
    public static func reasonPhrase(_ status: Int) -> String {
        switch status {
        case 100: return "Continue"
        case 101: return "Switching Protocols"
        case 200: return "OK"
        case 201: return "Created"
        case 202: return "Accepted"
        case 204: return "No Content"
        case 301: return "Moved Permanently"
        case 302: return "Found"
        case 304: return "Not Modified"
        case 400: return "Bad Request"
        case 401: return "Unauthorized"
        case 403: return "Forbidden"
        case 404: return "Not Found"
        case 405: return "Method Not Allowed"
        case 408: return "Request Timeout"
        case 409: return "Conflict"
        case 413: return "Content Too Large"
        case 414: return "URI Too Long"
        case 415: return "Unsupported Media Type"
        case 426: return "Upgrade Required"
        case 429: return "Too Many Requests"
        case 431: return "Request Header Fields Too Large"
        case 500: return "Internal Server Error"
        case 501: return "Not Implemented"
        case 502: return "Bad Gateway"
        case 503: return "Service Unavailable"
        case 504: return "Gateway Timeout"
        case 505: return "HTTP Version Not Supported"
        case 100...199: return "Informational"
        case 200...299: return "Success"
        case 300...399: return "Redirection"
        case 400...499: return "Client Error"
        default: return "Server Error"
        }
    }
}
