/// How the body of a request is delimited (RFC 9112 §6.3), decided once the head is complete.
enum BodyFraming: Equatable, Sendable {
    /// No body: neither `Content-Length` nor `Transfer-Encoding` is present (or the length is 0).
    case none
    /// Exactly this many bytes follow the head.
    case length(Int)
    /// A chunked body follows.
    case chunked

    /// Decides the framing of `head`, refusing every combination that could be read two ways.
    ///
    /// Order of checks: `Transfer-Encoding` with `Content-Length` (400, the classic smuggling
    /// vector), `Transfer-Encoding` on HTTP/1.0 (400: RFC 9112 §6.1 says such framing is faulty),
    /// the transfer codings, then the length.
    static func decide(for head: HTTPRequestHead, limits: HTTPParserLimits) throws(HTTPParseError) -> BodyFraming {
        let hasLength = head.headers.contains("Content-Length")
        if head.headers.contains("Transfer-Encoding") {
            if hasLength {
                throw .badRequest("both Content-Length and Transfer-Encoding")
            }
            if head.versionMinor == 0 {
                throw .badRequest("Transfer-Encoding in an HTTP/1.0 request")
            }
            return try transferCoding(head.headers.tokens("Transfer-Encoding"))
        }
        guard hasLength else { return .none }
        let length = try contentLength(head.headers.values("Content-Length"))
        guard length <= limits.maxBodyBytes else { throw .payloadTooLarge }
        return length == 0 ? .none : .length(length)
    }

    /// Only a single `chunked` is understood. Any other coding is 501 (RFC 9112 §6.1: "not
    /// understood"); an empty list or a repeated `chunked` is malformed, 400.
    private static func transferCoding(_ codings: [String]) throws(HTTPParseError) -> BodyFraming {
        if codings == ["chunked"] { return .chunked }
        if let unknown = codings.first(where: { $0 != "chunked" }) {
            throw .notImplemented("unsupported transfer coding: \(unknown)")
        }
        throw .badRequest("invalid Transfer-Encoding")
    }

    /// The common value of every `Content-Length` element (several fields, or a comma list, are
    /// allowed only when all agree: RFC 9112 §6.3). Each element must be 1*DIGIT.
    ///
    /// Values are parsed saturating at `Int.max`, which is above any body limit, so two different
    /// absurdly large values compare equal and get 413 rather than 400 — either way refused.
    private static func contentLength(_ values: [String]) throws(HTTPParseError) -> Int {
        var agreed: Int?
        for value in values {
            let elements = value.utf8.split(separator: ASCII.comma, omittingEmptySubsequences: false)
            for element in elements {
                let length = try parseDigits(element)
                if let agreed, agreed != length {
                    throw .badRequest("conflicting Content-Length values")
                }
                agreed = length
            }
        }
        guard let agreed else { throw .badRequest("invalid Content-Length") }
        return agreed
    }

    private static func parseDigits(_ element: Substring.UTF8View) throws(HTTPParseError) -> Int {
        var digits = element[...]
        // OWS may surround list elements, but not sit inside a number.
        while let first = digits.first, ASCII.isWhitespace(first) { digits = digits.dropFirst() }
        while let last = digits.last, ASCII.isWhitespace(last) { digits = digits.dropLast() }
        guard !digits.isEmpty else { throw .badRequest("invalid Content-Length") }
        var value = 0
        for byte in digits {
            guard ASCII.isDigit(byte) else { throw .badRequest("invalid Content-Length") }
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (sum, overflow2) = times10.addingReportingOverflow(Int(byte - ASCII.zero))
            value = (overflow1 || overflow2) ? Int.max : sum
        }
        return value
    }
}
