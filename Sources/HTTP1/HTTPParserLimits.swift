/// Size limits the request parser enforces; crossing one fails the request with a 4xx error.
///
/// Every limit is checked as soon as it is crossed, before the rest of the offending element
/// has arrived, so a peer cannot make the parser buffer more than the limit.
public struct HTTPParserLimits: Equatable, Sendable {
    /// Longest request line, excluding its CRLF. Longer → 414 URI Too Long.
    public var maxRequestLineBytes: Int
    /// Most header fields in one request (trailer fields of a chunked body count too).
    /// More → 431 Request Header Fields Too Large.
    public var maxHeaderCount: Int
    /// Most bytes of all header field lines together (each line counted without its CRLF;
    /// trailer lines count too). More → 431 Request Header Fields Too Large.
    public var maxHeaderBytes: Int
    /// Largest request body (for chunked bodies: the sum of all chunk data).
    /// Larger → 413 Content Too Large.
    public var maxBodyBytes: Int

    /// Limits for a chat server's handshakes and small API calls.
    public init(
        maxRequestLineBytes: Int = 8192,
        maxHeaderCount: Int = 100,
        maxHeaderBytes: Int = 16 * 1024,
        maxBodyBytes: Int = 1024 * 1024
    ) {
        self.maxRequestLineBytes = maxRequestLineBytes
        self.maxHeaderCount = maxHeaderCount
        self.maxHeaderBytes = maxHeaderBytes
        self.maxBodyBytes = maxBodyBytes
    }

    /// 8192-byte request line, 100 headers, 16 KiB of header lines, 1 MiB body.
    public static let `default` = HTTPParserLimits()
}
