@testable import HTTP1
import Testing

/// Each malformed input, fed split at every point, fails with the right status.
@Suite("Request parser: errors")
struct RequestParserErrorTests {
    @Test(arguments: [
        "GET /\r\n\r\n",
        "GET  / HTTP/1.1\r\n",
        " GET / HTTP/1.1\r\n",
        "GET / HTTP/1.1 \r\n",
        "GET /  HTTP/1.1\r\n",
        "G@T / HTTP/1.1\r\n",
        "GET / http/1.1\r\n",
        "GET / HTTP/1\r\n",
        "GET / HTTP/1.11\r\n",
        "GET / HTTP/x.1\r\n",
        "GET / HTTP/11.1\r\n",
        "GET index.html HTTP/1.1\r\n",
        "GET * HTTP/1.1\r\n",
        "GET http:///path HTTP/1.1\r\n",
        "CONNECT example.com:443 HTTP/1.1\r\n",
        "GET /a#fragment HTTP/1.1\r\n",
        "GET /caf\u{e9} HTTP/1.1\r\n",
        "GET /a\u{7f} HTTP/1.1\r\n",
        "GET /\r HTTP/1.1\r\n",
        "GET / HTTP/1.1\n",
        "GET / HTTP/1.1\rX\r\n",
        "\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\n\r\nGET / HTTP/1.1\r\n",
        "\nGET / HTTP/1.1\r\n",
    ])
    func malformedRequestLine(_ line: String) {
        expectFailure(bytes(line + "Host: h\r\n\r\n"), status: 400)
    }

    @Test(arguments: ["HTTP/2.0", "HTTP/0.9", "HTTP/3.0", "HTTP/9.9"])
    func unsupportedVersion(_ version: String) {
        expectFailure(bytes("GET / \(version)\r\nHost: h\r\n\r\n"), status: 505, exactly: .versionNotSupported)
    }

    @Test(arguments: [
        ("Host: h\r\n X-Folded: continuation\r\n", "obsolete line folding in header section"),
        ("\tX-Folded: first\r\nHost: h\r\n", "obsolete line folding in header section"),
        ("Host : h\r\n", "whitespace before colon in header line"),
        ("Host\t: h\r\n", "whitespace before colon in header line"),
        ("Host: h\r\nNoColon\r\n", "header line without colon"),
        ("Host: h\r\n: empty-name\r\n", "empty header name"),
        ("Host: h\r\nBad[Name]: v\r\n", "invalid character in header name"),
        ("Host: h\r\nX-A: a\rb\r\n", "invalid character in header value"),
        ("Host: h\r\nX-A: a\r\r\n", "invalid character in header value"),
        ("Host: h\r\nX-A: a\u{0}b\r\n", "invalid character in header value"),
        ("Host: h\r\nX-A: a\u{1b}b\r\n", "invalid character in header value"),
        ("Host: h\r\nX-A: a\u{7f}\r\n", "invalid character in header value"),
        ("Host: h\r\nX-A: bare\n", "line not terminated by CRLF"),
        ("Host: h\n", "line not terminated by CRLF"),
    ])
    func malformedHeaderLine(fields: String, message: String) {
        expectFailure(bytes("GET / HTTP/1.1\r\n\(fields)\r\n"), status: 400, exactly: .badRequest(message))
    }

    @Test func bareLineFeedEndingTheHeaderSection() {
        expectFailure(bytes("GET / HTTP/1.1\r\nHost: h\r\n\n"), status: 400, exactly: .badRequest("line not terminated by CRLF"))
    }

    @Test func missingHost() {
        expectFailure(bytes("GET / HTTP/1.1\r\nUser-Agent: x\r\n\r\n"), status: 400, exactly: .badRequest("missing Host header"))
    }

    @Test(arguments: ["1.1", "1.0"])
    func duplicateHost(version: String) {
        expectFailure(bytes("GET / HTTP/\(version)\r\nHost: a\r\nhost: b\r\n\r\n"), status: 400,
                      exactly: .badRequest("multiple Host headers"))
    }

    @Test func contentLengthWithTransferEncoding() {
        expectFailure(
            bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n"),
            status: 400, exactly: .badRequest("both Content-Length and Transfer-Encoding"))
    }

    @Test(arguments: [
        "Content-Length: abc", "Content-Length: -1", "Content-Length: +5", "Content-Length: 1 2",
        "Content-Length: 0x10", "Content-Length:", "Content-Length: 5,", "Content-Length: 5, 6",
        "Content-Length: 5\r\nContent-Length: 6", "Content-Length: 1.0", "Content-Length: 6, 5",
        "Content-Length: 6\r\nContent-Length: 5",
    ])
    func badContentLength(_ field: String) {
        let outcome = parseEverySplit(bytes("POST / HTTP/1.1\r\nHost: h\r\n\(field)\r\n\r\n"))
        #expect(outcome.error?.status == 400)
        #expect(outcome.events.isEmpty)
    }

    @Test(arguments: ["gzip", "chunked, gzip", "gzip, chunked", "identity", "chunked;q=1"])
    func unsupportedTransferCoding(_ coding: String) {
        let outcome = parseEverySplit(bytes("POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: \(coding)\r\n\r\n"))
        #expect(outcome.error?.status == 501)
        #expect(outcome.events.isEmpty)
    }

    @Test(arguments: [
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked, chunked\r\n\r\n",
        "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: ,\r\n\r\n",
        "POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n",
    ])
    func malformedTransferEncoding(_ request: String) {
        expectFailure(bytes(request), status: 400)
    }

    @Test(arguments: [
        ("zz\r\n", "invalid chunk size"),
        ("\r\n", "invalid chunk size"),
        ("5 \r\nhello\r\n", "invalid chunk size"),
        ("5x\r\nhello\r\n", "invalid chunk size"),
        ("5;a\u{1}b\r\nhello\r\n", "invalid chunk extension"),
        ("5\nhello\r\n", "line not terminated by CRLF"),
        ("5\r\nhelloXY", "chunk data not followed by CRLF"),
        ("5\r\nhello\n0\r\n\r\n", "chunk data not followed by CRLF"),
        ("0\r\nBad Trailer: x\r\n\r\n", "invalid character in header name"),
        ("0\r\n folded\r\n\r\n", "obsolete line folding in header section"),
    ])
    func malformedChunkedBody(body: String, message: String) {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        expectFailure(bytes(head + body), status: 400, exactly: .badRequest(message), headFirst: true)
    }

    @Test func chunkSizeLineTooLong() {
        let head = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
        let line = "1;" + String(repeating: "e", count: ChunkSizeLine.maxBytes)
        let outcome = parse([bytes(head + line)])
        #expect(outcome.error == .badRequest("chunk size line too long"))
    }
}
