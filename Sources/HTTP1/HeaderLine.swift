/// Parsing of one header (or trailer) field line: `field-name ":" OWS field-value OWS`
/// (RFC 9112 §5).
enum HeaderLine {
    /// Parses a non-empty field line (without its CRLF) into a name and a trimmed value.
    ///
    /// Refused with 400, each for a reason the RFC gives:
    /// - a line starting with SP/HTAB: obs-fold (RFC 9112 §5.2), which Rally does not unfold;
    /// - whitespace between the name and the colon (RFC 9112 §5.1: it has enabled request
    ///   smuggling);
    /// - a name that is not a token, or a value holding CR, NUL or another control character
    ///   (RFC 9110 §5.5). LF cannot occur: lines are split at LF.
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> (name: String, value: String) {
        let (nameRange, valueRange) = try split(line)
        return (ASCII.string(line.slice(nameRange)), ASCII.string(line.slice(valueRange)))
    }

    /// Checks a field line the way `parse` does, without building strings (for trailers,
    /// which are ignored).
    static func validate(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) {
        _ = try split(line)
    }

    private static func split(
        _ line: UnsafeBufferPointer<UInt8>
    ) throws(HTTPParseError) -> (name: Range<Int>, value: Range<Int>) {
        if ASCII.isWhitespace(line[0]) {
            throw .badRequest("obsolete line folding in header section")
        }
        guard let colon = line.firstIndex(of: ASCII.colon, from: 0) else {
            throw .badRequest("header line without colon")
        }
        guard colon > 0 else {
            throw .badRequest("empty header name")
        }
        if ASCII.isWhitespace(line[colon - 1]) {
            throw .badRequest("whitespace before colon in header line")
        }
        for index in 0..<colon where !ASCII.isTokenChar(line[index]) {
            throw .badRequest("invalid character in header name")
        }
        let value = line.trimmingWhitespace((colon + 1)..<line.count)
        for index in value where !ASCII.isFieldValueChar(line[index]) {
            throw .badRequest("invalid character in header value")
        }
        return (0..<colon, value)
    }
}
