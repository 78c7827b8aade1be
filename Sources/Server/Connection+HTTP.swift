import HTTP1
import WebSocket
import WireProtocol

extension Connection {
    /// Answers every complete request the parser has; stops at an upgrade or an error.
    /// Requests to the API are answered at their end (they have bodies); the others at their
    /// head (a body they carry is read and dropped).
    func serveHTTP() {
        while let exchange = http, !exchange.awaiting {
            let event: HTTPRequestEvent?
            do {
                event = try exchange.parser.next()
            } catch {
                respond(.error(error.status, message: error.reason, extraHeaders: HTTPHeaders()), close: true)
                return
            }
            guard let event else { return }
            switch event {
            case .head(let head):
                // The time-out counts from the start of each request on a kept-alive
                // connection (a connection in use is never cut), and bounds its idle time.
                exchange.startedAt = context.loop.now
                if head.path.hasPrefix("/api/") && context.hub != nil && (apiOnly || context.configuration.apiListen.isEmpty) {
                    exchange.pending = head
                    exchange.body = []
                    if head.headers["Expect"]?.lowercased() == "100-continue" {
                        send(Array("HTTP/1.1 100 Continue\r\n\r\n".utf8))
                    }
                } else {
                    route(head)
                }
            case .body(let bytes):
                if exchange.pending != nil { exchange.body.append(contentsOf: bytes) }
            case .end:
                if let head = exchange.pending {
                    exchange.pending = nil
                    serveAPI(head, body: exchange.body)
                    exchange.body = []
                }
            }
        }
    }

    private func route(_ head: HTTPRequestHead) {
        if apiOnly && head.path != "/healthz" {
            return respond(.error(404, message: "this listener serves /api/ and /healthz only", extraHeaders: HTTPHeaders()), close: true)
        }
        switch head.path {
        case "/healthz":
            guard head.method == "GET" || head.method == "HEAD" else { return methodNotAllowed() }
            respond(json: Array(#"{"status":"ok"}"#.utf8), status: 200, head: head)
        case "/echo" where context.routes.echo:
            upgrade(head, chat: false)
        case "/pubsub" where context.routes.echo:
            upgrade(head, chat: false)
            if webSocket != nil && pubsubTopics == nil { pubsubTopics = [] }
        case "/ws" where context.hub != nil:
            upgrade(head, chat: true)
        case "/" where context.hub != nil && context.configuration.chat?.devSecret != nil:
            serveAsset(StaticAssets.indexHTML, type: "text/html; charset=utf-8", head: head)
        case "/rally.js" where context.hub != nil:
            serveAsset(StaticAssets.rallyJS, type: "text/javascript; charset=utf-8", head: head)
        case "/dev/token" where context.configuration.chat?.devSecret != nil:
            serveDevToken(head)
        default:
            respond(.error(404, message: "no such endpoint: \(head.path)", extraHeaders: HTTPHeaders()), close: true)
        }
    }

    func methodNotAllowed(_ allow: String = "GET, HEAD") {
        var headers = HTTPHeaders()
        headers.add("Allow", allow)
        respond(.error(405, message: "method not allowed", extraHeaders: headers), close: true)
    }

    private func serveAsset(_ text: String, type: String, head: HTTPRequestHead) {
        guard head.method == "GET" || head.method == "HEAD" else { return methodNotAllowed() }
        var headers = HTTPHeaders()
        headers.add("Content-Type", type)
        headers.add("Cache-Control", "no-cache")
        headers.add("X-Content-Type-Options", "nosniff")
        respond(HTTPResponse(status: 200, headers: headers, body: Array(text.utf8)).forMethod(head.method), close: !head.keepAlive)
    }

    /// A 200 JSON response, kept alive when the client asked.
    func respond(json: [UInt8], status: Int, head: HTTPRequestHead) {
        var headers = HTTPHeaders()
        headers.add("Content-Type", "application/json")
        headers.add("Cache-Control", "no-store")
        respond(HTTPResponse(status: status, headers: headers, body: json).forMethod(head.method), close: !head.keepAlive)
    }

    /// RFC 6455 §4.2: validate, negotiate the subprotocol and permessage-deflate, answer 101,
    /// and hand any bytes that followed the request head (the first frames) to the WebSocket.
    private func upgrade(_ head: HTTPRequestHead, chat: Bool) {
        let request: WebSocketUpgradeRequest
        switch WebSocketUpgrade.validate(head, allowedOrigins: context.configuration.allowedOrigins) {
        case .failure(let response):
            respond(response, close: true)
            return
        case .success(let valid):
            request = valid
        }
        var extra = HTTPHeaders()
        if chat && !request.protocols.isEmpty {
            // A client that offers subprotocols must be offered one it named.
            guard request.protocols.contains("rally.v1") else {
                respond(.error(400, message: "unsupported subprotocol: this server speaks rally.v1", extraHeaders: HTTPHeaders()), close: true)
                return
            }
            extra.add("Sec-WebSocket-Protocol", "rally.v1")
        }
        let negotiated = PerMessageDeflate.negotiate(offers: request.extensionOffers, config: context.configuration.deflate)
        if let negotiated {
            extra.add("Sec-WebSocket-Extensions", negotiated.responseHeaderValue)
            deflate = negotiated.requiresPrivateCodec ? DeflateCodec(negotiated: negotiated) : context.sharedDeflate
        }
        send(WebSocketUpgrade.acceptResponse(for: request, extraHeaders: extra).serialize())
        let leftover = http?.parser.takeRemainingBytes() ?? []
        http = nil
        var configuration = WebSocketConfiguration()
        // A compressed frame of incompressible data is slightly larger than the message it
        // carries (stored deflate blocks: 5 bytes per 64 KiB); the message limit itself is
        // enforced on the payload, or on the inflated output.
        let size = chat ? (context.configuration.chat?.maxFrame ?? 65_536) : context.configuration.maxMessageSize
        configuration.maxMessageSize = size
        configuration.maxFramePayload = size + size / 256 + 1024
        webSocket = WebSocketConnection(configuration: configuration, deflate: negotiated, codec: deflate)
        if chat, let hub = context.hub { self.chat = ChatSession(connection: self, hub: hub) }
        if !leftover.isEmpty { leftover.withUnsafeBytes { receiveWebSocket($0) } }
    }

    /// Sends a response; with `close` the connection ends once it is written.
    func respond(_ response: HTTPResponse, close: Bool) {
        send(response.serialize())
        if close {
            http = nil
            closeTransport()
        }
    }
}

extension HTTPResponse {
    /// The response to a HEAD request has the GET's headers, `Content-Length` included, and
    /// no body.
    func forMethod(_ method: String) -> HTTPResponse {
        guard method == "HEAD" else { return self }
        var headers = self.headers
        if !headers.contains("Content-Length") { headers.add("Content-Length", String(body.count)) }
        return HTTPResponse(status: status, headers: headers, body: [])
    }
}
