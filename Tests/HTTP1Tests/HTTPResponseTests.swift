import HTTP1
import Testing

@Suite("HTTPResponse")
struct HTTPResponseTests {
    private func text(_ response: HTTPResponse) -> String {
        String(decoding: response.serialize(), as: UTF8.self)
    }

    @Test func serializesStatusHeadersLengthAndBody() {
        let response = HTTPResponse(status: 200, headers: ["Content-Type": "text/plain", "X-A": "1"], body: bytes("hello"))
        #expect(response.serialize() == bytes("HTTP/1.1 200 OK\r\nContent-Type: text/plain\r\nX-A: 1\r\nContent-Length: 5\r\n\r\nhello"))
    }

    @Test func emptyBodyGetsContentLengthZero() {
        #expect(text(HTTPResponse(status: 404)) == "HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\n\r\n")
    }

    @Test func existingContentLengthIsNotRepeated() {
        let response = HTTPResponse(status: 200, headers: ["content-length": "3"], body: bytes("abc"))
        #expect(text(response) == "HTTP/1.1 200 OK\r\ncontent-length: 3\r\n\r\nabc")
    }

    @Test(arguments: [101, 204, 304])
    func statusesWithoutBodyGetNoLengthAndNoBody(_ status: Int) {
        let response = HTTPResponse(status: status, headers: ["X": "y"], body: bytes("ignored"))
        let phrase = HTTPResponse.reasonPhrase(status)
        #expect(text(response) == "HTTP/1.1 \(status) \(phrase)\r\nX: y\r\n\r\n")
    }

    @Test func lineBreaksInFieldsCannotSplitTheResponse() {
        let response = HTTPResponse(status: 200, headers: ["X-User": "evil\r\nSet-Cookie: x=1", "X\nY": "v\u{0}"])
        #expect(text(response) == "HTTP/1.1 200 OK\r\nX-User: evil  Set-Cookie: x=1\r\nX Y: v \r\nContent-Length: 0\r\n\r\n")
    }

    @Test func reasonPhrases() {
        let expected: [Int: String] = [
            100: "Continue", 101: "Switching Protocols", 200: "OK", 204: "No Content",
            400: "Bad Request", 401: "Unauthorized", 403: "Forbidden", 404: "Not Found",
            405: "Method Not Allowed", 413: "Content Too Large", 414: "URI Too Long",
            426: "Upgrade Required", 429: "Too Many Requests", 431: "Request Header Fields Too Large",
            500: "Internal Server Error", 501: "Not Implemented", 503: "Service Unavailable",
            505: "HTTP Version Not Supported",
        ]
        for (status, phrase) in expected {
            #expect(HTTPResponse.reasonPhrase(status) == phrase, "\(status)")
        }
        #expect(HTTPResponse.reasonPhrase(418) == "Client Error")
        #expect(HTTPResponse.reasonPhrase(299) == "Success")
        #expect(HTTPResponse.reasonPhrase(599) == "Server Error")
    }

    @Test func errorResponseExactBytes() {
        let response = HTTPResponse.error(429, message: "slow down", extraHeaders: ["Retry-After": "5"])
        let body = #"{"error":{"status":429,"code":"too_many_requests","message":"slow down"}}"#
        #expect(text(response) == "HTTP/1.1 429 Too Many Requests\r\nContent-Type: application/json\r\nConnection: close\r\n"
            + "Retry-After: 5\r\nContent-Length: \(body.utf8.count)\r\n\r\n\(body)")
    }

    @Test func errorMessageIsEscapedAsJSON() {
        let message = "a \"quoted\" \\ back\nline\r\t\u{8}\u{c}\u{1}\u{1f} caf\u{e9} /"
        let response = HTTPResponse.error(400, message: message)
        let expected = #"{"error":{"status":400,"code":"bad_request","message":"a \"quoted\" \\ back\nline\r\t\b\f\u0001\u001f café /"}}"#
        #expect(String(decoding: response.body, as: UTF8.self) == expected)
    }

    @Test func errorHeadersCanBeOverridden() {
        let response = HTTPResponse.error(400, message: "x", extraHeaders: ["Connection": "Upgrade, close"])
        #expect(response.headers.values("Connection") == ["Upgrade, close"])
        #expect(response.headers["Content-Type"] == "application/json")
    }

    @Test func errorFromParseError() {
        let response = HTTPResponse.error(HTTPParseError.headersTooLarge)
        #expect(response.status == 431)
        #expect(String(decoding: response.body, as: UTF8.self)
            == #"{"error":{"status":431,"code":"headers_too_large","message":"request header fields too large"}}"#)
    }

    @Test func parseErrorStatuses() {
        #expect(HTTPParseError.badRequest("x").status == 400)
        #expect(HTTPParseError.badRequest("x").reason == "x")
        #expect(HTTPParseError.uriTooLong.status == 414)
        #expect(HTTPParseError.headersTooLarge.status == 431)
        #expect(HTTPParseError.payloadTooLarge.status == 413)
        #expect(HTTPParseError.versionNotSupported.status == 505)
        #expect(HTTPParseError.notImplemented("gzip").status == 501)
    }
}
