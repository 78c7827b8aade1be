@testable import HTTP1
import Testing

/// Limits: the right status, the exact boundary, and failure as soon as a limit is crossed.
@Suite("Request parser: limits")
struct ParserLimitsTests {
    static let small = HTTPParserLimits(maxRequestLineBytes: 32, maxHeaderCount: 4, maxHeaderBytes: 64, maxBodyBytes: 16)

    // MARK: 414

    @Test func requestLineAtTheLimitIsAccepted() {
        let line = "GET /" + String(repeating: "a", count: 32 - 14) + " HTTP/1.1"
        #expect(line.utf8.count == 32)
        let outcome = parseEverySplit(bytes(line + "\r\nHost: h\r\n\r\n"), limits: Self.small)
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 2)
    }

    @Test func requestLineOverTheLimitIs414() {
        let line = "GET /" + String(repeating: "a", count: 32 - 13) + " HTTP/1.1"
        expectFailure(bytes(line + "\r\nHost: h\r\n\r\n"), status: 414, exactly: .uriTooLong, limits: Self.small)
    }

    @Test func requestLineOverTheLimitFailsWithoutWaitingForCRLF() throws {
        var parser = HTTPRequestParser(limits: Self.small)
        parser.feed(bytes("GET /" + String(repeating: "a", count: 27)))  // exactly 32: still allowed
        #expect(try parser.next() == nil)
        parser.feed(bytes("a"))  // 33 bytes, no CRLF
        #expect(throws: HTTPParseError.uriTooLong) { try parser.next() }
        #expect(parser.bufferedByteCount == 0)
    }

    @Test func defaultRequestLineLimitFailsImmediately() {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET /" + String(repeating: "x", count: 8200)))
        #expect(throws: HTTPParseError.uriTooLong) { try parser.next() }
    }

    @Test func pendingCRDoesNotCountAsContent() throws {
        // 32 bytes of line plus the CR of its CRLF: not over the limit yet.
        var parser = HTTPRequestParser(limits: Self.small)
        parser.feed(bytes("GET /" + String(repeating: "a", count: 18) + " HTTP/1.1\r"))
        #expect(try parser.next() == nil)
    }

    // MARK: 431

    @Test func headerCountAtTheLimitIsAccepted() {
        let outcome = parseEverySplit(bytes("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n\r\n"), limits: Self.small)
        #expect(outcome.error == nil)
    }

    @Test func tooManyHeadersIs431() {
        expectFailure(bytes("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\nD: 4\r\n\r\n"),
                      status: 431, exactly: .headersTooLarge, limits: Self.small)
    }

    @Test func oneHeaderTooManyFailsOnItsFirstByte() throws {
        var parser = HTTPRequestParser(limits: Self.small)
        parser.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nA: 1\r\nB: 2\r\nC: 3\r\n"))
        #expect(try parser.next() == nil)
        parser.feed(bytes("\r"))  // could still be the end of the section
        #expect(try parser.next() == nil)
        var other = parser
        parser.feed(bytes("\n"))
        #expect(try parser.next() != nil)
        other.feed(bytes("X"))  // a fifth field has begun
        #expect(throws: HTTPParseError.headersTooLarge) { try other.next() }
    }

    @Test func headerBytesAtTheLimitAreAccepted() {
        // Field lines are counted without CRLF: 8 + 56 = 64 bytes.
        let input = "GET / HTTP/1.1\r\nHost: hh\r\nX: " + String(repeating: "v", count: 53) + "\r\n\r\n"
        let outcome = parseEverySplit(bytes(input), limits: Self.small)
        #expect(outcome.error == nil)
    }

    @Test func headerBytesOverTheLimitAre431() {
        let input = "GET / HTTP/1.1\r\nHost: hh\r\nX: " + String(repeating: "v", count: 54) + "\r\n\r\n"
        expectFailure(bytes(input), status: 431, exactly: .headersTooLarge, limits: Self.small)
    }

    @Test func headerBytesOverTheLimitFailWithoutWaitingForCRLF() {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nX-Big: " + String(repeating: "v", count: 17 * 1024)))
        #expect(throws: HTTPParseError.headersTooLarge) { try parser.next() }
    }

    @Test func trailersCountAgainstTheHeaderLimits() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n0\r\nT1: a\r\nT2: b\r\nT3: c\r\n\r\n"
        expectFailure(bytes(input), status: 431, exactly: .headersTooLarge, headFirst: true, limits: Self.small)
    }

    // MARK: 413

    @Test func contentLengthAtTheLimitIsAccepted() {
        let body = String(repeating: "b", count: 16)
        let outcome = parseEverySplit(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 16\r\n\r\n" + body), limits: Self.small)
        #expect(outcome.error == nil)
        #expect(outcome.events.dropFirst().first == .body(bytes(body)))
    }

    @Test(arguments: ["17", "99999999999999999999999999999"])
    func contentLengthOverTheLimitIs413AtTheHead(_ length: String) {
        // No body bytes are sent: the verdict comes from the head alone.
        expectFailure(bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: \(length)\r\n\r\n"),
                      status: 413, exactly: .payloadTooLarge, limits: Self.small)
    }

    @Test func chunkedTotalOverTheLimitIs413WhenTheSizeIsAnnounced() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n9\r\n"
        let outcome = parseEverySplit(bytes(input), limits: Self.small)
        #expect(outcome.error == .payloadTooLarge)
        #expect(outcome.events.last == .body(bytes("12345678")))
    }

    @Test func chunkedTotalAtTheLimitIsAccepted() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n8\r\n12345678\r\n8\r\nabcdefgh\r\n0\r\n\r\n"
        let outcome = parseEverySplit(bytes(input), limits: Self.small)
        #expect(outcome.error == nil)
        #expect(outcome.events.dropFirst().first == .body(bytes("12345678abcdefgh")))
    }

    @Test func hugeChunkSizeIs413() {
        let input = "POST / HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\nFFFFFFFFFFFFFFFFFFFFFFFF\r\n"
        expectFailure(bytes(input), status: 413, exactly: .payloadTooLarge, headFirst: true)
    }
}
