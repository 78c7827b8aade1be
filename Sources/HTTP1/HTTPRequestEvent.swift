/// One step of a parsed request stream.
///
/// Each request yields `.head`, then zero or more non-empty `.body` chunks, then `.end`;
/// pipelined requests follow one another. How a body is cut into chunks depends on how its
/// bytes arrived; only their concatenation is meaningful.
public enum HTTPRequestEvent: Equatable, Sendable {
    /// The request line and headers, complete and validated.
    case head(HTTPRequestHead)
    /// The next bytes of the body (already de-chunked).
    case body([UInt8])
    /// The request is complete.
    case end
}
