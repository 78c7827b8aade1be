/// Parsing of a chunk-size line of a chunked body (RFC 9112 §7.1):
/// `1*HEXDIG [ chunk-ext ] CRLF`.
enum ChunkSizeLine {
    /// Longest chunk-size line accepted, extensions included. Real clients send a few hex digits;
    /// the bound keeps a peer from making the parser buffer an endless line.
    static let maxBytes = 4096

    /// The chunk size announced by `line` (without its CRLF), saturating at `Int.max`.
    ///
    /// Extensions are ignored: after the size only `BWS ";" ...` is accepted, and the extension
    /// text is only checked to hold no control characters (a deliberate simplification of the
    /// `chunk-ext` grammar — nothing in Rally reads extensions).
    static func parse(_ line: UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> Int {
        var size = 0
        var index = 0
        while index < line.count, let digit = ASCII.hexValue(line[index]) {
            let (times16, overflow1) = size.multipliedReportingOverflow(by: 16)
            let (sum, overflow2) = times16.addingReportingOverflow(digit)
            size = (overflow1 || overflow2) ? Int.max : sum
            index += 1
        }
        guard index > 0 else {
            throw .badRequest("invalid chunk size")
        }
        guard index < line.count else { return size }
        // Whitespace may only precede an extension's ";" (BWS), never end the line.
        while index < line.count, ASCII.isWhitespace(line[index]) { index += 1 }
        guard index < line.count, line[index] == ASCII.semicolon else {
            throw .badRequest("invalid chunk size")
        }
        for byte in line.slice(index..<line.count) where !ASCII.isFieldValueChar(byte) {
            throw .badRequest("invalid chunk extension")
        }
        return size
    }
}
