/// A parsed request line (RFC 9112 §3): `method SP request-target SP HTTP-version`.
struct RequestLine: Equatable, Sendable {
    var method: String
    var target: String
    var path: String
    var query: String?
    var versionMinor: Int

    /// Parses the content of a request line (without its CRLF).
    ///
    /// Checks run in a fixed order — method, version, target — so a line with several faults
    /// always gets the same answer. The version is checked before the target because a
    /// non-1.x version means the rest of the line cannot be interpreted (505 rather than 400).
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> RequestLine {
        // Exactly one SP separates the parts: an empty part means a doubled (or leading) SP.
        guard let firstSpace = line.firstIndex(of: ASCII.space, from: 0),
              let secondSpace = line.firstIndex(of: ASCII.space, from: firstSpace + 1)
        else {
            throw .badRequest("malformed request line")
        }
        let methodBytes = line.slice(0..<firstSpace)
        guard !methodBytes.isEmpty, methodBytes.allSatisfy(ASCII.isTokenChar) else {
            throw .badRequest("invalid method")
        }
        let versionMinor = try parseVersion(line.slice((secondSpace + 1)..<line.count))
        let targetBytes = line.slice((firstSpace + 1)..<secondSpace)
        guard !targetBytes.isEmpty else {
            throw .badRequest("malformed request line")
        }
        let method = ASCII.string(methodBytes)
        let (path, query) = try parseTarget(targetBytes, method: method)
        return RequestLine(
            method: method,
            target: ASCII.string(targetBytes),
            path: path,
            query: query,
            versionMinor: versionMinor
        )
    }

    /// `HTTP/` DIGIT `.` DIGIT, case-sensitive (RFC 9112 §2.3). A well-formed version with a major
    /// other than 1 is 505; HTTP/1.x above 1.1 is served as 1.1 (RFC 9110 §2.5).
    private static func parseVersion(_ bytes: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        guard bytes.count == 8,
              bytes[0] == UInt8(ascii: "H"), bytes[1] == UInt8(ascii: "T"),
              bytes[2] == UInt8(ascii: "T"), bytes[3] == UInt8(ascii: "P"),
              bytes[4] == ASCII.slash, ASCII.isDigit(bytes[5]),
              bytes[6] == ASCII.period, ASCII.isDigit(bytes[7])
        else {
            throw .badRequest("malformed HTTP version")
        }
        guard bytes[5] == UInt8(ascii: "1") else {
            throw .versionNotSupported
        }
        return bytes[7] == ASCII.zero ? 0 : 1
    }

    /// Splits the target into path and query, accepting origin-form (`/path?query`),
    /// absolute-form (`http://host/path?query`) and asterisk-form (`*`, OPTIONS only).
    ///
    /// Deliberate simplification: characters are checked against visible ASCII minus `#` (a
    /// fragment is never sent), not the full RFC 3986 grammar; authority-form (CONNECT) is
    /// refused since Rally does not proxy.
    private static func parseTarget(
        _ bytes: UnsafeBufferPointer<UInt8>,
        method: String
    ) throws(HTTPParseError) -> (path: String, query: String?) {
        for byte in bytes where !ASCII.isVisible(byte) || byte == ASCII.hash {
            throw .badRequest("invalid character in request target")
        }
        if bytes[0] == ASCII.slash {
            return splitQuery(bytes, from: 0)
        }
        if bytes.count == 1, bytes[0] == UInt8(ascii: "*") {
            guard method == "OPTIONS" else {
                throw .badRequest("asterisk-form target is only allowed for OPTIONS")
            }
            return ("*", nil)
        }
        if let authorityStart = schemeLength(bytes) {
            var pathStart = authorityStart
            while pathStart < bytes.count,
                  bytes[pathStart] != ASCII.slash, bytes[pathStart] != ASCII.questionMark {
                pathStart += 1
            }
            guard pathStart > authorityStart else {
                throw .badRequest("absolute-form target without authority")
            }
            let (path, query) = splitQuery(bytes, from: pathStart)
            return (path.isEmpty ? "/" : path, query)
        }
        throw .badRequest("unsupported request target form")
    }

    /// The length of a leading `http://` or `https://` (scheme case-insensitive), or nil.
    private static func schemeLength(_ bytes: UnsafeBufferPointer<UInt8>) -> Int? {
        if bytes.count >= 7, ASCII.matchesLowercase(bytes.slice(0..<7), "http://") { return 7 }
        if bytes.count >= 8, ASCII.matchesLowercase(bytes.slice(0..<8), "https://") { return 8 }
        return nil
    }

    private static func splitQuery(
        _ bytes: UnsafeBufferPointer<UInt8>,
        from pathStart: Int
    ) -> (path: String, query: String?) {
        guard let mark = bytes.firstIndex(of: ASCII.questionMark, from: pathStart) else {
            return (ASCII.string(bytes.slice(pathStart..<bytes.count)), nil)
        }
        return (
            ASCII.string(bytes.slice(pathStart..<mark)),
            ASCII.string(bytes.slice((mark + 1)..<bytes.count))
        )
    }
}
