@testable import HTTP1
import Testing

@Suite("Request parser: valid input, fed split at every point")
struct RequestParserTests {
    @Test func simpleGet() {
        let input = bytes("GET /chat?room=1 HTTP/1.1\r\nHost: example.com\r\nUser-Agent: test/1.0\r\n\r\n")
        let outcome = parseEverySplit(input)
        let head = expectedHead("GET", "/chat?room=1", [("Host", "example.com"), ("User-Agent", "test/1.0")])
        #expect(outcome == ParseOutcome(events: [.head(head), .end]))
        #expect(head.path == "/chat")
        #expect(head.query == "room=1")
    }

    @Test func getWithManyHeaders() {
        var fields: [(String, String)] = [("Host", "rally.example")]
        for index in 0..<60 {
            fields.append(("X-Header-\(index)", "value \(index); with, punctuation"))
        }
        fields.append(("Accept-Language", "en-GB,en;q=0.9"))
        var text = "GET /api/rooms HTTP/1.1\r\n"
        for (name, value) in fields { text += "\(name): \(value)\r\n" }
        text += "\r\n"
        let outcome = parseEverySplit(bytes(text))
        #expect(outcome == ParseOutcome(events: [.head(expectedHead("GET", "/api/rooms", fields)), .end]))
    }

    @Test func pipelinedPair() {
        let input = bytes(
            "GET /a HTTP/1.1\r\nHost: h\r\n\r\n"
                + "POST /b?x HTTP/1.1\r\nHost: h\r\nContent-Length: 3\r\nConnection: close\r\n\r\nxyz"
        )
        let outcome = parseEverySplit(input)
        let first = expectedHead("GET", "/a", [("Host", "h")])
        let second = expectedHead("POST", "/b?x", [("Host", "h"), ("Content-Length", "3"), ("Connection", "close")])
        #expect(outcome == ParseOutcome(events: [.head(first), .end, .head(second), .body(bytes("xyz")), .end]))
        #expect(first.keepAlive)
        #expect(!second.keepAlive)
    }

    @Test func contentLengthPost() {
        let body = "{\"text\":\"hello, world\"}"
        let input = bytes("POST /api/messages HTTP/1.1\r\nHost: h\r\nContent-Length: \(body.utf8.count)\r\n"
            + "Content-Type: application/json\r\n\r\n\(body)")
        let outcome = parseEverySplit(input)
        let head = expectedHead("POST", "/api/messages", [
            ("Host", "h"), ("Content-Length", "\(body.utf8.count)"), ("Content-Type", "application/json"),
        ])
        #expect(outcome == ParseOutcome(events: [.head(head), .body(bytes(body)), .end]))
    }

    @Test func chunkedPostWithExtensionsAndTrailers() {
        let input = bytes(
            "POST /upload HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n"
                + "5;name=value\r\nhello\r\n"
                + "7 ; ext=\"quoted\"\r\n, world\r\n"
                + "A\r\n0123456789\r\n"
                + "0;last\r\nX-Checksum: abc\r\nX-Other: 1\r\n\r\n"
                + "GET /next HTTP/1.1\r\nHost: h\r\n\r\n"
        )
        let outcome = parseEverySplit(input)
        let head = expectedHead("POST", "/upload", [("Host", "h"), ("Transfer-Encoding", "chunked")])
        #expect(outcome == ParseOutcome(events: [
            .head(head), .body(bytes("hello, world0123456789")), .end,
            .head(expectedHead("GET", "/next", [("Host", "h")])), .end,
        ]))
    }

    @Test func upgradeRequestFollowedByFrameBytes() {
        let frames: [UInt8] = [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58, 0x88, 0x80, 0x00, 0x00, 0x00, 0x00]
        let head = "GET /ws HTTP/1.1\r\nHost: server.example.com\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n"
        let outcome = parseEverySplit(bytes(head) + frames)
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 1)
        #expect(outcome.upgradedBytes == frames)
        guard case .head(let parsed)? = outcome.events.first else {
            Issue.record("no head")
            return
        }
        #expect(parsed.path == "/ws")
        #expect(parsed.headers["sec-websocket-key"] == "dGhlIHNhbXBsZSBub25jZQ==")
    }

    @Test func takeRemainingBytesAfterHeadReturnsExactlyTheFollowingBytes() throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes("GET / HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\n\r\nABC"))
        guard case .head = try parser.next() else {
            Issue.record("expected head")
            return
        }
        #expect(parser.bufferedByteCount == 3)
        #expect(parser.takeRemainingBytes() == bytes("ABC"))
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.bufferCapacity == 0)
    }

    @Test func leadingEmptyLinesAreSkipped() {
        let outcome = parseEverySplit(bytes("\r\n\r\nGET / HTTP/1.1\r\nHost: h\r\n\r\n"))
        #expect(outcome == ParseOutcome(events: [.head(expectedHead("GET", "/", [("Host", "h")])), .end]))
    }

    @Test func whitespaceAroundValuesIsTrimmedAndEmptyValuesKept() {
        let outcome = parseEverySplit(bytes("GET / HTTP/1.1\r\nHost:h\r\nX-A: \t spaced value \t\r\nX-Empty:\r\nX-Obs: caf\u{e9}\r\n\r\n"))
        let head = expectedHead("GET", "/", [("Host", "h"), ("X-A", "spaced value"), ("X-Empty", ""), ("X-Obs", "caf\u{e9}")])
        #expect(outcome == ParseOutcome(events: [.head(head), .end]))
    }

    @Test func http10WithoutHostIsAccepted() {
        let outcome = parseEverySplit(bytes("GET /old HTTP/1.0\r\n\r\n"))
        #expect(outcome == ParseOutcome(events: [.head(expectedHead("GET", "/old", versionMinor: 0, [])), .end]))
    }

    @Test func laterHTTP1MinorVersionIsServedAs11() {
        let outcome = parseEverySplit(bytes("GET / HTTP/1.7\r\nHost: h\r\n\r\n"))
        #expect(outcome == ParseOutcome(events: [.head(expectedHead("GET", "/", versionMinor: 1, [("Host", "h")])), .end]))
    }

    @Test func absoluteFormAndAsteriskFormTargets() {
        let outcome = parseEverySplit(bytes(
            "GET http://Example.com:8080/path/x?q=1&r HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "GET HTTPS://example.com HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "OPTIONS * HTTP/1.1\r\nHost: example.com\r\n\r\n"
                + "GET /empty? HTTP/1.1\r\nHost: example.com\r\n\r\n"
        ))
        let heads: [HTTPRequestHead] = outcome.events.compactMap { if case .head(let h) = $0 { h } else { nil } }
        #expect(outcome.error == nil)
        #expect(heads.map(\.path) == ["/path/x", "/", "*", "/empty"])
        #expect(heads.map(\.query) == ["q=1&r", nil, nil, ""])
        #expect(heads.map(\.target) == ["http://Example.com:8080/path/x?q=1&r", "HTTPS://example.com", "*", "/empty?"])
    }

    @Test func contentLengthZeroAndRepeatedEqualLengths() {
        let outcome = parseEverySplit(bytes(
            "POST /a HTTP/1.1\r\nHost: h\r\nContent-Length: 0\r\n\r\n"
                + "POST /b HTTP/1.1\r\nHost: h\r\nContent-Length: 2, 2\r\nContent-Length: 02\r\n\r\nok"
        ))
        #expect(outcome.error == nil)
        #expect(outcome.events.count == 5)
        #expect(outcome.events[1] == .end)
        #expect(outcome.events[3] == .body(bytes("ok")))
    }

    @Test(arguments: [
        ("GET / HTTP/1.1\r\nHost: h\r\n\r\n", true),
        ("GET / HTTP/1.1\r\nHost: h\r\nConnection: close\r\n\r\n", false),
        ("GET / HTTP/1.1\r\nHost: h\r\nConnection: Upgrade, CLOSE\r\n\r\n", false),
        ("GET / HTTP/1.0\r\n\r\n", false),
        ("GET / HTTP/1.0\r\nConnection: Keep-Alive\r\n\r\n", true),
        ("GET / HTTP/1.0\r\nConnection: keep-alive, close\r\n\r\n", false),
    ])
    func keepAlive(request: String, expected: Bool) throws {
        var parser = HTTPRequestParser()
        parser.feed(bytes(request))
        guard case .head(let head) = try parser.next() else {
            Issue.record("expected head")
            return
        }
        #expect(head.keepAlive == expected)
    }

    @Test func feedFromRawBufferAndBufferAccounting() throws {
        var parser = HTTPRequestParser()
        let input = bytes("POST / HTTP/1.1\r\nHost: h\r\nContent-Length: 4\r\n\r\nab")
        input.withUnsafeBytes { parser.feed($0) }
        #expect(parser.bufferedByteCount == input.count)
        guard case .head = try parser.next() else {
            Issue.record("expected head")
            return
        }
        #expect(parser.bufferedByteCount == 2)
        #expect(try parser.next() == .body(bytes("ab")))
        #expect(try parser.next() == nil)
        #expect(parser.bufferCapacity == 0)
        bytes("cd").withUnsafeBytes { parser.feed($0) }
        #expect(try parser.next() == .body(bytes("cd")))
        #expect(try parser.next() == .end)
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.bufferCapacity == 0)
    }

    @Test func idleParserBeforeAnyInput() throws {
        var parser = HTTPRequestParser()
        #expect(try parser.next() == nil)
        #expect(parser.bufferedByteCount == 0)
        #expect(parser.bufferCapacity == 0)
    }
}
