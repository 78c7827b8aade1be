/// An incremental, strict HTTP/1.1 request parser (RFC 9110/9112) that never touches a socket.
///
/// Feed it bytes as they arrive and pull events until it returns nil:
///
/// ```swift
/// parser.feed(bytes)
/// while let event = try parser.next() { … }
/// ```
///
/// Each request yields `.head`, zero or more `.body` chunks and `.end`; pipelined requests follow.
/// Bytes are consumed only as far as the events returned, so when the connection switches away
/// from HTTP after the `.head` of a request (a WebSocket upgrade), `takeRemainingBytes()` returns
/// exactly the bytes that followed that head.
///
/// Contract:
/// - Any error is final: the parser discards its input and every later `next()` throws the same
///   error. The caller answers with `error.status` and closes the connection.
/// - Limits (`HTTPParserLimits`) are enforced as soon as they are crossed, even mid-line: the
///   parser never needs more than one limit's worth of a line to decide. It does not cap what
///   is fed and not yet pulled (pipelined requests wait in the buffer): the caller bounds that by
///   pausing reads while `bufferedByteCount` is high.
/// - An idle parser (all input consumed) holds no heap memory.
/// - Lines must end in CRLF. A bare LF is refused with 400 rather than accepted: RFC 9112 §2.2
///   allows either, and refusing keeps Rally from reading a message differently from a proxy
///   in front of it that splits lines only at CRLF (a request-smuggling vector).
public struct HTTPRequestParser: Sendable {
    /// Where the parser is in the request stream.
    enum State: Sendable {
        /// Expecting a request line; empty lines before it are skipped up to a small count.
        case requestLine(skippedEmptyLines: Int)
        /// Reading header field lines of the request in `requestLine`.
        case headerLines
        /// The current request is complete; `.end` is due.
        case endOfMessage
        /// Reading a `Content-Length` body.
        case fixedBody(remaining: Int)
        /// Expecting a chunk-size line; `received` counts chunk data so far (for the body limit).
        case chunkSize(received: Int)
        /// Reading chunk data.
        case chunkData(remaining: Int, received: Int)
        /// Expecting the CRLF that ends chunk data.
        case chunkDataEnd(received: Int)
        /// Reading the trailer section after the last chunk (trailers are checked and ignored).
        case trailerLines
    }

    /// Empty lines accepted before a request line (RFC 9112 §2.2 asks for at least one, for
    /// clients that send a stray CRLF after a body).
    static let maxLeadingEmptyLines = 8

    /// The limits this parser enforces.
    public let limits: HTTPParserLimits

    var input = ByteQueue()
    var state = State.requestLine(skippedEmptyLines: 0)
    /// The request line of the request being read. Kept outside `State` so that matching on the
    /// state for every header line does not copy (retain and release) its strings.
    var requestLine: RequestLine?
    /// Headers of the request being read; moved into its head when complete so the emitted head
    /// owns its storage uniquely.
    var headers = HTTPHeaders()
    /// Field lines and their bytes in the current request's header and trailer sections.
    var fieldCount = 0
    var fieldBytes = 0
    var failure: HTTPParseError?

    /// A parser with the given limits.
    public init(limits: HTTPParserLimits = .default) {
        self.limits = limits
    }

    /// Appends received bytes. Ignored once the parser has failed.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard failure == nil else { return }
        input.append(bytes)
    }

    /// Appends received bytes. Ignored once the parser has failed.
    public mutating func feed(_ bytes: [UInt8]) {
        guard failure == nil else { return }
        input.append(bytes)
    }

    /// The number of fed bytes not yet consumed by an event.
    public var bufferedByteCount: Int { input.count }

    /// Removes and returns every fed byte not yet consumed by an event — after the `.head` of an
    /// upgrade request, the first bytes of the new protocol. The caller then stops using the
    /// parser for that connection (the request's `.end` is still pending and is never needed).
    public mutating func takeRemainingBytes() -> [UInt8] {
        input.readAll()
    }

    /// Heap capacity held by the input buffer (tests check it is 0 when idle).
    var bufferCapacity: Int { input.capacity }

    /// The next event, or nil when more bytes are needed.
    /// - Throws: the request's `HTTPParseError`; once thrown, every later call throws it again.
    public mutating func next() throws(HTTPParseError) -> HTTPRequestEvent? {
        if let failure { throw failure }
        do throws(HTTPParseError) {
            return try advance()
        } catch {
            failure = error
            input.releaseStorage()
            headers = HTTPHeaders()
            requestLine = nil
            throw error
        }
    }

    /// Runs the state machine until it produces an event or needs bytes.
    private mutating func advance() throws(HTTPParseError) -> HTTPRequestEvent? {
        while true {
            switch state {
            case .requestLine(let skipped):
                guard try readRequestLine(skippedEmptyLines: skipped) else { return nil }
            case .headerLines:
                guard let line = try nextFieldLine() else { return nil }
                if line.content.isEmpty {
                    input.consume(line.length)
                    return .head(try finishHead())
                }
                let field = try input.withBytes(line.content, HeaderLine.parse)
                input.consume(line.length)
                // One allocation for a typical request's fields instead of regrowing from 1.
                if headers.count == 0 { headers.reserveCapacity(16) }
                headers.add(field.name, field.value)
                fieldCount += 1
                fieldBytes += line.content.count
            case .endOfMessage:
                state = .requestLine(skippedEmptyLines: 0)
                fieldCount = 0
                fieldBytes = 0
                return .end
            case .fixedBody, .chunkSize, .chunkData, .chunkDataEnd, .trailerLines:
                switch try advanceBody() {
                case .emit(let event): return event
                case .needMoreBytes: return nil
                case .continueParsing: continue
                }
            }
        }
    }

    /// Consumes one line in `.requestLine` state. Returns false when more bytes are needed.
    private mutating func readRequestLine(skippedEmptyLines: Int) throws(HTTPParseError) -> Bool {
        switch input.nextLine() {
        case .incomplete(let contentSoFar, _):
            // 414 as soon as the line is longer than allowed, without waiting for its end.
            if contentSoFar > limits.maxRequestLineBytes { throw .uriTooLong }
            return false
        case .complete(let content, let terminatedByCRLF, let length):
            if content.count > limits.maxRequestLineBytes { throw .uriTooLong }
            if !terminatedByCRLF { throw Self.bareLineFeed }
            if content.isEmpty {
                guard skippedEmptyLines < Self.maxLeadingEmptyLines else {
                    throw .badRequest("too many empty lines before request line")
                }
                input.consume(length)
                state = .requestLine(skippedEmptyLines: skippedEmptyLines + 1)
                return true
            }
            requestLine = try input.withBytes(content, RequestLine.parse)
            input.consume(length)
            state = .headerLines
            return true
        }
    }

    /// The next line of a header or trailer section (not consumed), or nil when more bytes are
    /// needed; empty content marks the end of the section.
    ///
    /// The checks run in the same order whether the line is complete or not — byte budget, field
    /// count, terminator, syntax — so an input gets the same error however it is split.
    mutating func nextFieldLine() throws(HTTPParseError) -> (content: Range<Int>, length: Int)? {
        let byteBudget = limits.maxHeaderBytes - fieldBytes
        let countExhausted = fieldCount >= limits.maxHeaderCount
        switch input.nextLine() {
        case .incomplete(let contentSoFar, let rawLength):
            if contentSoFar > byteBudget { throw .headersTooLarge }
            // Any pending byte other than a lone CR means this line is a field, not the end of
            // the section: one field too many is known now.
            if countExhausted, contentSoFar > 0 || rawLength > 1 { throw .headersTooLarge }
            return nil
        case .complete(let content, let terminatedByCRLF, let length):
            if content.count > byteBudget { throw .headersTooLarge }
            if countExhausted, !content.isEmpty { throw .headersTooLarge }
            if !terminatedByCRLF { throw Self.bareLineFeed }
            return (content, length)
        }
    }

    /// Builds the head once its empty line has arrived, checks `Host` (RFC 9112 §3.2) and decides
    /// how the body is framed.
    private mutating func finishHead() throws(HTTPParseError) -> HTTPRequestHead {
        guard let line = requestLine else {
            // Unreachable: `.headerLines` is entered only after storing the request line.
            throw .badRequest("malformed request line")
        }
        requestLine = nil
        let hostCount = headers.count(named: "Host")
        if hostCount > 1 { throw .badRequest("multiple Host headers") }
        if hostCount == 0, line.versionMinor >= 1 { throw .badRequest("missing Host header") }
        let head = HTTPRequestHead(
            method: line.method,
            target: line.target,
            path: line.path,
            query: line.query,
            versionMinor: line.versionMinor,
            headers: headers
        )
        headers = HTTPHeaders()
        switch try BodyFraming.decide(for: head, limits: limits) {
        case .none: state = .endOfMessage
        case .length(let length): state = .fixedBody(remaining: length)
        case .chunked: state = .chunkSize(received: 0)
        }
        return head
    }

    static let bareLineFeed = HTTPParseError.badRequest("line not terminated by CRLF")
}
