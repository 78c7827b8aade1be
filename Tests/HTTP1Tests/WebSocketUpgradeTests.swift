import HTTP1
import Testing

/// The handshake of RFC 6455 §1.3, as fields.
private let rfcFields: [(String, String)] = [
    ("Host", "server.example.com"),
    ("Upgrade", "websocket"),
    ("Connection", "Upgrade"),
    ("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ=="),
    ("Origin", "http://example.com"),
    ("Sec-WebSocket-Protocol", "chat, superchat"),
    ("Sec-WebSocket-Version", "13"),
]

/// `rfcFields` with every field named `name` replaced by one field per value (none: removed).
private func fields(replacing name: String, with values: [String]) -> [(String, String)] {
    var result = rfcFields.filter { $0.0.lowercased() != name.lowercased() }
    for value in values { result.append((name, value)) }
    return result
}

/// A head produced by the real parser from a request with these parts.
private func parsedHead(method: String = "GET", version: String = "1.1", _ fields: [(String, String)] = rfcFields) throws -> HTTPRequestHead {
    var text = "\(method) /chat HTTP/\(version)\r\n"
    for (name, value) in fields { text += "\(name): \(value)\r\n" }
    var parser = HTTPRequestParser()
    parser.feed(bytes(text + "\r\n"))
    guard case .head(let head)? = try parser.next() else {
        throw HTTPParseError.badRequest("test request did not parse")
    }
    return head
}

/// The refusal `validate` gives, or nil when it accepts.
private func refusal(_ head: HTTPRequestHead, allowedOrigins: [String] = []) -> HTTPResponse? {
    if case .failure(let response) = WebSocketUpgrade.validate(head, allowedOrigins: allowedOrigins) {
        return response
    }
    return nil
}

@Suite("WebSocket upgrade validation")
struct WebSocketUpgradeTests {
    @Test func rfcExampleIsAcceptedWithTheRightAcceptValue() throws {
        let result = WebSocketUpgrade.validate(try parsedHead(), allowedOrigins: [])
        let request = try result.get()
        #expect(request == WebSocketUpgradeRequest(
            key: "dGhlIHNhbXBsZSBub25jZQ==",
            acceptValue: "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=",
            origin: "http://example.com",
            protocols: ["chat", "superchat"],
            extensionOffers: []
        ))
        #expect(WebSocketUpgrade.acceptValue(forKey: "dGhlIHNhbXBsZSBub25jZQ==") == "s3pPLMBiTxaQ9kYGzzhZRbK+xOo=")
    }

    @Test func acceptResponseExactBytes() throws {
        let request = try WebSocketUpgrade.validate(try parsedHead(), allowedOrigins: []).get()
        let response = WebSocketUpgrade.acceptResponse(for: request, extraHeaders: ["Sec-WebSocket-Protocol": "chat"])
        #expect(response.status == 101)
        #expect(String(decoding: response.serialize(), as: UTF8.self)
            == "HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            + "Sec-WebSocket-Accept: s3pPLMBiTxaQ9kYGzzhZRbK+xOo=\r\nSec-WebSocket-Protocol: chat\r\n\r\n")
    }

    @Test func protocolsAndExtensionOffersAreCollectedInOrder() throws {
        var fields = fields(replacing: "Sec-WebSocket-Protocol", with: ["Chat.V2, json", "msgpack"])
        fields.append(("Sec-WebSocket-Extensions", "permessage-deflate; client_max_window_bits"))
        fields.append(("Sec-WebSocket-Extensions", "x-webkit-deflate-frame"))
        let request = try WebSocketUpgrade.validate(try parsedHead(fields), allowedOrigins: []).get()
        #expect(request.protocols == ["Chat.V2", "json", "msgpack"])
        #expect(request.extensionOffers == ["permessage-deflate; client_max_window_bits", "x-webkit-deflate-frame"])
    }

    @Test func tokenMatchingIsCaseInsensitiveAndListAware() throws {
        var fields = fields(replacing: "Upgrade", with: ["WebSocket"])
        fields = fields.filter { $0.0 != "Connection" } + [("Connection", "keep-alive, UPGRADE")]
        let head = try parsedHead(fields)
        #expect(WebSocketUpgrade.isUpgradeRequest(head))
        #expect(refusal(head) == nil)
    }

    @Test func isUpgradeRequest() throws {
        #expect(WebSocketUpgrade.isUpgradeRequest(try parsedHead()))
        #expect(!WebSocketUpgrade.isUpgradeRequest(try parsedHead(fields(replacing: "Upgrade", with: []))))
        #expect(!WebSocketUpgrade.isUpgradeRequest(try parsedHead(fields(replacing: "Upgrade", with: ["h2c"]))))
    }

    @Test func nonGetIs405WithAllow() throws {
        let response = try #require(refusal(try parsedHead(method: "POST")))
        #expect(response.status == 405)
        #expect(response.headers["Allow"] == "GET")
        #expect(response.headers["Connection"] == "close")
    }

    @Test func http10Is400() throws {
        let response = try #require(refusal(try parsedHead(version: "1.0")))
        #expect(response.status == 400)
        #expect(response.headers["Connection"] == "close")
    }

    @Test(arguments: [[], ["h2c"], ["websocket2"], ["web socket"]])
    func missingUpgradeTokenIs400(_ values: [String]) throws {
        let response = try #require(refusal(try parsedHead(fields(replacing: "Upgrade", with: values))))
        #expect(response.status == 400)
        #expect(response.headers["Connection"] == "close")
    }

    @Test(arguments: [[], ["keep-alive"], ["upgraded"]])
    func missingConnectionUpgradeIs400(_ values: [String]) throws {
        let response = try #require(refusal(try parsedHead(fields(replacing: "Connection", with: values))))
        #expect(response.status == 400)
        #expect(response.headers["Connection"] == "close")
    }

    @Test(arguments: [[], ["12"], ["14"], ["13, 8"], ["8, 13"], ["thirteen"], ["013"], ["13", "13"]])
    func unsupportedVersionIs426WithVersionHeader(_ values: [String]) throws {
        let response = try #require(refusal(try parsedHead(fields(replacing: "Sec-WebSocket-Version", with: values))))
        #expect(response.status == 426)
        #expect(response.headers.values("Sec-WebSocket-Version") == ["13"])
        #expect(response.headers["Upgrade"] == "websocket")
        #expect(response.headers.tokens("Connection").contains("close"))
        #expect(String(decoding: response.serialize(), as: UTF8.self).contains("\r\nSec-WebSocket-Version: 13\r\n"))
    }

    @Test(arguments: [
        [],
        ["dGhlIHNhbXBsZSBub25jZQ==", "dGhlIHNhbXBsZSBub25jZQ=="],
        ["not base64 at all!!!!!!"],
        ["dGhlIHNhbXBsZSBub25jZQ"],
        ["dGhlIHNhbXBsZSBub25j"],
        ["dGhlIHNhbXBsZSBub25jZQ8="],
        ["dGhlIHNhbXBsZSBub25jZR=="],
        [""],
    ])
    func invalidKeyIs400(_ values: [String]) throws {
        let response = try #require(refusal(try parsedHead(fields(replacing: "Sec-WebSocket-Key", with: values))))
        #expect(response.status == 400)
        #expect(response.headers["Connection"] == "close")
    }

    @Test func originAllowList() throws {
        let allowed = ["https://rally.example", "http://example.com"]
        #expect(refusal(try parsedHead(), allowedOrigins: allowed) == nil)
        let upperCase = try parsedHead(fields(replacing: "Origin", with: ["HTTP://EXAMPLE.COM"]))
        #expect(refusal(upperCase, allowedOrigins: allowed) == nil)
        let forbidden: [[String]] = [[], ["https://evil.example"], ["http://example.com:80"], ["null"],
                                     ["http://example.com", "http://example.com"]]
        for origins in forbidden {
            let response = try #require(refusal(try parsedHead(fields(replacing: "Origin", with: origins)), allowedOrigins: allowed))
            #expect(response.status == 403, "\(origins)")
            #expect(response.headers["Connection"] == "close")
        }
        // An empty allow-list accepts any origin, or none.
        #expect(refusal(try parsedHead(fields(replacing: "Origin", with: [])), allowedOrigins: []) == nil)
    }

    @Test(arguments: [[("Content-Length", "5")], [("Transfer-Encoding", "chunked")]])
    func handshakeWithABodyIs400(_ extra: [(String, String)]) throws {
        let response = try #require(refusal(try parsedHead(rfcFields + extra)))
        #expect(response.status == 400)
        #expect(refusal(try parsedHead(rfcFields + [("Content-Length", "0")])) == nil)
        #expect(refusal(try parsedHead(rfcFields + [("Content-Length", "0, 0")])) == nil)
    }

    @Test func checksRunInTheDocumentedOrder() throws {
        // Everything wrong at once: the method answers first, then each later check in turn.
        var fields = fields(replacing: "Upgrade", with: [])
        fields = fields.filter { !["Connection", "Sec-WebSocket-Version", "Sec-WebSocket-Key", "Origin"].contains($0.0) }
        #expect(refusal(try parsedHead(method: "PUT", version: "1.0", fields), allowedOrigins: ["x"])?.status == 405)
        #expect(refusal(try parsedHead(version: "1.0", fields), allowedOrigins: ["x"])?.status == 400)
        let withUpgrade = fields + [("Upgrade", "websocket"), ("Connection", "Upgrade")]
        #expect(refusal(try parsedHead(withUpgrade), allowedOrigins: ["x"])?.status == 426)
        let withVersion = withUpgrade + [("Sec-WebSocket-Version", "13")]
        #expect(refusal(try parsedHead(withVersion), allowedOrigins: ["x"])?.status == 400)
        let withKey = withVersion + [("Sec-WebSocket-Key", "dGhlIHNhbXBsZSBub25jZQ==")]
        #expect(refusal(try parsedHead(withKey), allowedOrigins: ["x"])?.status == 403)
        #expect(refusal(try parsedHead(withKey), allowedOrigins: []) == nil)
    }
}
