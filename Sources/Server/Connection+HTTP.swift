import HTTP1
import WebSocket

extension Connection {
    /// Answers every complete request head the parser has; stops at an upgrade or an error.
    func serveHTTP() {
        while http != nil {
            let event: HTTPRequestEvent?
            do {
                event = try http!.parser.next()
            } catch {
                respond(.error(error.status, message: error.reason, extraHeaders: HTTPHeaders()), close: true)
                return
            }
            guard let event else { return }
            switch event {
            case .head(let head):
                route(head)
            case .body, .end:
                // No endpoint takes a body yet: the response went out with the head.
                continue
            }
        }
    }

    private func route(_ head: HTTPRequestHead) {
        switch head.path {
        case "/healthz":
            guard head.method == "GET" || head.method == "HEAD" else { return methodNotAllowed() }
            var headers = HTTPHeaders()
            headers.add("Content-Type", "application/json")
            headers.add("Cache-Control", "no-store")
            let body: [UInt8] = head.method == "HEAD" ? [] : Array(#"{"status":"ok"}"#.utf8)
            respond(HTTPResponse(status: 200, headers: headers, body: body), close: !head.keepAlive)
        case "/echo" where context.routes.echo:
            upgrade(head)
        default:
            respond(.error(404, message: "no such endpoint: \(head.path)", extraHeaders: HTTPHeaders()), close: true)
        }
    }

    private func methodNotAllowed() {
        var headers = HTTPHeaders()
        headers.add("Allow", "GET, HEAD")
        respond(.error(405, message: "method not allowed", extraHeaders: headers), close: true)
    }

    /// RFC 6455 §4.2: validate, negotiate permessage-deflate, answer 101, and hand any bytes
    /// that followed the request head (the client's first frames) to the WebSocket phase.
    private func upgrade(_ head: HTTPRequestHead) {
        let request: WebSocketUpgradeRequest
        switch WebSocketUpgrade.validate(head, allowedOrigins: context.configuration.allowedOrigins) {
        case .failure(let response):
            respond(response, close: true)
            return
        case .success(let valid):
            request = valid
        }
        var extra = HTTPHeaders()
        let negotiated = PerMessageDeflate.negotiate(offers: request.extensionOffers, config: context.configuration.deflate)
        if let negotiated {
            extra.add("Sec-WebSocket-Extensions", negotiated.responseHeaderValue)
            deflate = negotiated.requiresPrivateCodec ? DeflateCodec(negotiated: negotiated) : context.sharedDeflate
        }
        send(WebSocketUpgrade.acceptResponse(for: request, extraHeaders: extra).serialize())
        let leftover = http?.parser.takeRemainingBytes() ?? []
        http = nil
        var configuration = WebSocketConfiguration()
        configuration.maxMessageSize = context.configuration.maxMessageSize
        // A compressed frame of incompressible data is slightly larger than the message it
        // carries (stored deflate blocks: 5 bytes per 64 KiB); the message limit itself is
        // enforced on the payload, or on the inflated output.
        let size = context.configuration.maxMessageSize
        configuration.maxFramePayload = size + size / 256 + 1024
        webSocket = WebSocketConnection(configuration: configuration, deflate: negotiated, codec: deflate)
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
