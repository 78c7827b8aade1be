import Broker
import Glibc
import HTTP1
import WireProtocol

/// One API request, decoded into what to do. Pure: path, method and JSON body in; an
/// operation (or the reason there is none) out.
struct APIRequest {
    enum Operation {
        case broker(AdminOperation, status: Int)
        case disconnect(user: String)
        case invalid(String)
    }

    let head: HTTPRequestHead
    let body: [UInt8]
    /// The server's limits (text length, history page).
    var limits = Limits.default
    /// Path segments after `/api/`, percent-decoded.
    let parts: [String]
    private(set) var methodMismatch = false
    /// The methods the path takes, for the `Allow` header of a 405.
    private(set) var allowed = ""

    private(set) var problem: String?

    init(head: HTTPRequestHead, body: [UInt8], parts: [String]) {
        self.head = head
        self.body = body
        self.parts = parts
    }

    /// The operation, or nil for an unknown path (404) or method (405, `methodMismatch`).
    mutating func operation() -> Operation? {
        let method = head.method
        switch (parts.count, parts.first) {
        case (1, "stats"):
            return expect("GET", method) ? .broker(.stats, status: 200) : nil
        case (1, "rooms"):
            guard expect("POST", method) else { return nil }
            return withBody { json in
                guard let id = json["id"]?.stringValue else { return .invalid("id is required") }
                guard let kindText = json["kind"]?.stringValue, let kind = RoomKind(rawValue: kindText), kind != .direct else {
                    return .invalid("kind must be group or announcement")
                }
                let name = json["name"]?.stringValue
                if let name, name.unicodeScalars.count > 200 { return .invalid("name is at most 200 characters") }
                return .broker(.createRoom(id: id, kind: kind, name: name), status: 201)
            }
        case (2, "rooms"):
            let room = parts[1]
            switch method {
            case "PATCH":
                return withBody { json in
                    let name = json["name"]?.stringValue
                    if let name, name.unicodeScalars.count > 200 { return .invalid("name is at most 200 characters") }
                    return .broker(.updateRoom(id: room, name: name), status: 200)
                }
            case "DELETE":
                return .broker(.deleteRoom(id: room), status: 200)
            default:
                methodMismatch = true
                allowed = "PATCH, DELETE"
                return nil
            }
        case (3, "rooms") where parts[2] == "members":
            let room = parts[1]
            switch method {
            case "PUT":
                return withBody { json in
                    guard let list = json["members"]?.arrayValue else { return .invalid("members: [{user, role}] is required") }
                    var members: [(user: String, role: Role)] = []
                    for item in list {
                        guard let user = item["user"]?.stringValue, let role = item["role"]?.stringValue.flatMap(Role.init(rawValue:)) else {
                            return .invalid("each member needs user and role (follower, member, moderator, owner)")
                        }
                        members.append((user, role))
                    }
                    return .broker(.putMembers(room: room, members: members), status: 200)
                }
            case "DELETE":
                return withBody { json in
                    guard let list = json["users"]?.arrayValue else { return .invalid("users: [user ids] is required") }
                    let users = list.compactMap(\.stringValue)
                    guard users.count == list.count else { return .invalid("users must be strings") }
                    return .broker(.removeMembers(room: room, users: users), status: 200)
                }
            default:
                methodMismatch = true
                allowed = "PUT, DELETE"
                return nil
            }
        case (3, "rooms") where parts[2] == "messages":
            guard expect("POST", method) else { return nil }
            let room = parts[1]
            return withBody { json in
                guard let text = json["text"]?.stringValue else { return .invalid("text is required") }
                guard let cmid = json["cmid"]?.stringValue, Identifier.isOpaqueID(cmid) else {
                    return .invalid("cmid (1-64 printable characters) is required: it makes the post idempotent")
                }
                if let problem = limits.text.violation(in: text, field: "text") { return .invalid(problem.message) }
                let author = json["author"]?.stringValue
                if let author, !Identifier.isUserID(author) { return .invalid("author is not a user id") }
                return .broker(.post(room: room, author: author, text: text, cmid: cmid), status: 201)
            }
        case (3, "rooms") where parts[2] == "history":
            guard expect("GET", method) else { return nil }
            let limitText = Self.queryItem("limit", in: head.query)
            let limit = limitText.map { Int($0) ?? 0 } ?? HistoryCommand.defaultLimit
            guard (1...Limits.default.historyMax).contains(limit) else { return .invalid("limit must be an integer 1-\(Limits.default.historyMax)") }
            let before = Self.queryItem("before", in: head.query)
            let after = Self.queryItem("after", in: head.query)
            if before != nil && after != nil { return .invalid("before and after exclude each other") }
            let anchor: HistoryCommand.Anchor = before.map { .before($0) } ?? after.map { .after($0) } ?? .latest
            return .broker(.history(room: parts[1], anchor: anchor, limit: limit), status: 200)
        case (3, "users") where parts[2] == "ban":
            let user = parts[1]
            guard Identifier.isUserID(user), user != "system" else { return .invalid("not a user id") }
            switch method {
            case "PUT":
                return withBody(optional: true) { json in
                    switch json["until"] {
                    case nil, .null?:
                        return .broker(.setAccess(user: user, .ban(until: nil)), status: 200)
                    case .int(let value)? where value > 0 && value < 253_402_300_799_000:
                        return .broker(.setAccess(user: user, .ban(until: value)), status: 200)
                    default:
                        return .invalid("until must be a time in milliseconds since the Unix epoch, or absent (until lifted)")
                    }
                }
            case "DELETE":
                return .broker(.setAccess(user: user, .unban), status: 200)
            default:
                methodMismatch = true
                allowed = "PUT, DELETE"
                return nil
            }
        case (3, "users") where parts[2] == "revoke-tokens":
            guard expect("POST", method) else { return nil }
            let user = parts[1]
            guard Identifier.isUserID(user), user != "system" else { return .invalid("not a user id") }
            return withBody(optional: true) { json in
                switch json["before"] {
                case nil, .null?:
                    return .broker(.setAccess(user: user, .revokeTokens(before: Self.unixNow())), status: 200)
                case .int(let value)? where value > 0 && value < 253_402_300_799:
                    return .broker(.setAccess(user: user, .revokeTokens(before: value)), status: 200)
                default:
                    return .invalid("before must be a time in seconds since the Unix epoch, or absent (now)")
                }
            }
        case (3, "users") where parts[2] == "disconnect":
            guard expect("POST", method) else { return nil }
            guard Identifier.isUserID(parts[1]) else { return .invalid("not a user id") }
            return .disconnect(user: parts[1])
        default:
            return nil
        }
    }

    private mutating func expect(_ wanted: String, _ method: String) -> Bool {
        if method != wanted {
            methodMismatch = true
            allowed = wanted
        }
        return method == wanted
    }

    /// `optional`: an empty body counts as `{}`.
    private func withBody(optional: Bool = false, _ body: (JSONValue) -> Operation) -> Operation {
        if optional && self.body.isEmpty { return body(.object([])) }
        guard let json = try? JSONParser.parse(self.body, limits: JSONLimits(maxBytes: 1 << 20, maxDepth: 8,
                                                                              maxStringBytes: 64 << 10,
                                                                              maxArrayCount: 100_000, maxObjectCount: 100)),
              json.objectMembers != nil else {
            return .invalid("the body must be a JSON object")
        }
        return body(json)
    }

    static func unixNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }

    /// The first value of `name` in a query string, percent-decoded.
    static func queryItem(_ name: String, in query: String?) -> String? {
        guard let query else { return nil }
        for pair in query.split(separator: "&") {
            let parts = pair.split(separator: "=", maxSplits: 1)
            if parts.first.map(String.init) == name { return percentDecoded(parts.count > 1 ? String(parts[1]) : "") }
        }
        return nil
    }

    /// Percent-decoding (and `+` as space in queries is not used by this API).
    static func percentDecoded(_ text: String) -> String {
        guard text.contains("%") else { return text }
        var bytes: [UInt8] = []
        var iterator = Array(text.utf8).makeIterator()
        while let byte = iterator.next() {
            if byte == UInt8(ascii: "%"), let high = iterator.next(), let low = iterator.next(),
               let value = UInt8(String(decoding: [high, low], as: UTF8.self), radix: 16) {
                bytes.append(value)
            } else {
                bytes.append(byte)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
