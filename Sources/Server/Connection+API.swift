import Auth
import Broker
import Glibc
import HTTP1
import WireProtocol

/// The platform's HTTP API under `/api/` (protocol/http-api.yaml), authorised by API keys.
extension Connection {
    func serveAPI(_ head: HTTPRequestHead, body: [UInt8]) {
        guard let chat = context.configuration.chat, let hub = context.hub else { return }
        guard authorised(head, keys: chat.apiKeys) else {
            var headers = HTTPHeaders()
            headers.add("WWW-Authenticate", "Bearer")
            return apiError(401, code: "unauthorized", message: "an API key is required (Authorization: Bearer KEY)", head: head, headers: headers)
        }
        let parts = head.path.split(separator: "/", omittingEmptySubsequences: false).dropFirst(2).map { APIRequest.percentDecoded(String($0)) }
        var request = APIRequest(head: head, body: body, parts: Array(parts))
        request.limits = chat.limits
        guard let operation = request.operation() else {
            if request.methodMismatch {
                var headers = HTTPHeaders()
                headers.add("Allow", request.allowed)
                return apiError(405, code: "method_not_allowed", message: "\(head.path) takes \(request.allowed)", head: head, headers: headers)
            }
            return apiError(404, code: "not_found", message: "no such endpoint: \(head.method) \(head.path)", head: head)
        }
        switch operation {
        case .invalid(let message):
            apiError(400, code: "invalid_request", message: message, head: head)
        case .disconnect(let user):
            for sibling in hub.directory.hubs {
                _ = sibling.submit { sibling.disconnect(user: user) }
            }
            respond(json: APIJSON.object { $0.key("user"); $0.string(user); $0.key("disconnecting"); $0.bool(true) }, status: 202, head: head)
        case .broker(let admin, let status):
            http?.awaiting = true
            hub.broker.admin(admin, loop: hub.loopIndex) { [weak self] result in
                guard let self, self.channel.isOpen else { return }
                self.http?.awaiting = false
                switch result {
                case .success(let value): self.respond(json: APIJSON.encode(value), status: status, head: head)
                case .failure(let error): self.apiError(error, head: head)
                }
                self.serveHTTP()
            }
        }
    }

    /// Constant-time comparison of the presented key with each configured key.
    private func authorised(_ head: HTTPRequestHead, keys: [String]) -> Bool {
        var presented = head.headers["X-Api-Key"]
        if let authorization = head.headers["Authorization"], authorization.lowercased().hasPrefix("bearer ") {
            presented = String(authorization.dropFirst(7)).trimmingSpaces()
        }
        guard let presented, !keys.isEmpty else { return false }
        var match = false
        for key in keys where APIKeys.equal(Array(presented.utf8), Array(key.utf8)) { match = true }
        return match
    }

    func apiError(_ error: ProtocolError, head: HTTPRequestHead) {
        let status: Int
        switch error.code.value {
        case 2000: status = 404
        case 2006: status = 409
        case 2001...2999: status = 403
        case 3000...3999: status = 503
        default: status = error.message.hasSuffix("already exists") ? 409 : 400
        }
        // A full room quota has its own code (http-api.yaml); other 409s are conflicts.
        let code = status == 409 && error.code != .tooManyRooms ? "conflict" : error.code.reason
        var headers = HTTPHeaders()
        if let retry = error.retryAfterMs { headers.add("Retry-After", String(max(1, (retry + 999) / 1_000))) }
        apiError(status, code: code, message: error.message, head: head, headers: headers)
    }

    func apiError(_ status: Int, code: String, message: String, head: HTTPRequestHead, headers: HTTPHeaders = HTTPHeaders()) {
        var headers = headers
        headers.add("Content-Type", "application/json")
        headers.add("Cache-Control", "no-store")
        let body = APIJSON.object { writer in
            writer.key("error")
            writer.beginObject()
            writer.key("status"); writer.int(Int64(status))
            writer.key("code"); writer.string(code)
            writer.key("message"); writer.string(message)
            writer.endObject()
        }
        respond(HTTPResponse(status: status, headers: headers, body: body).forMethod(head.method), close: !head.keepAlive)
    }

    /// `GET /dev/token?user=NAME` (only with --dev): a one-hour token, and membership of the
    /// demo rooms so a fresh server has somewhere to talk.
    func serveDevToken(_ head: HTTPRequestHead) {
        guard head.method == "GET" else { return methodNotAllowed("GET") }
        guard let secret = context.configuration.chat?.devSecret, let hub = context.hub else { return }
        let user = APIRequest.queryItem("user", in: head.query) ?? ""
        guard Identifier.isUserID(user), user != "system" else {
            return apiError(400, code: "invalid_request", message: "user must be 1-128 of [A-Za-z0-9_.@-]", head: head)
        }
        let claims = Claims(subject: user, expiresAt: ChatSession.unixNow() + 3_600)
        let token = JWTSigner.hs256(claims: claims, secret: secret, kid: "dev")
        http?.awaiting = true
        hub.broker.admin(.putMembers(room: DevRooms.lobby, members: [(user: user, role: .member)]), loop: hub.loopIndex) { [weak self] _ in
            hub.broker.admin(.putMembers(room: DevRooms.news, members: [(user: user, role: user.hasPrefix("mod") ? .moderator : .follower)]),
                             loop: hub.loopIndex) { _ in
                guard let self, self.channel.isOpen else { return }
                self.http?.awaiting = false
                self.respond(json: APIJSON.object { $0.key("token"); $0.string(token); $0.key("user"); $0.string(user) }, status: 200, head: head)
                self.serveHTTP()
            }
        }
    }
}

/// The rooms a development server creates.
public enum DevRooms {
    public static let lobby = "demo:lobby"
    public static let news = "demo:news"
}

enum APIKeys {
    /// Compares in time independent of where the inputs differ.
    static func equal(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        var difference = UInt8(a.count == b.count ? 0 : 1)
        for i in 0..<max(a.count, b.count) {
            difference |= (i < a.count ? a[i] : 0) ^ (i < b.count ? b[i] : 0)
        }
        return difference == 0
    }
}

extension String {
    func trimmingSpaces() -> String {
        var text = Substring(self)
        while text.first == " " { text = text.dropFirst() }
        while text.last == " " { text = text.dropLast() }
        return String(text)
    }
}
