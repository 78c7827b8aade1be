/// Encoders of Rally frames. Every function is deterministic: equal inputs give equal
/// bytes, with keys in the spec's order and optional members left out when absent.
public enum WireEncoder {
    /// A success reply: `{"id": ..., "ok": true, ...result}`.
    public static func reply(id: String, result: ReplyResult) -> [UInt8] {
        var out = JSONWriter(capacity: estimatedSize(of: result))
        out.beginObject()
        out.field("id", id)
        out.field("ok", true)
        switch result {
        case .connected(let connected):
            out.field("user", connected.user)
            out.field("session", connected.session)
            out.field("serverTime", connected.serverTime)
            out.key("rooms")
            out.roomStates(connected.rooms)
            out.key("limits")
            out.limits(connected.limits)
        case .refreshed(let expiresAt):
            out.field("expiresAt", expiresAt)
        case .appended(let appended):
            out.optionalField("room", appended.room)
            out.field("event", appended.id)
            out.field("seq", appended.seq)
            out.field("at", appended.at)
        case .history(let page):
            out.field("room", page.room)
            out.field("epoch", page.epoch)
            out.key("events")
            out.beginArray()
            for event in page.events { out.event(event) }
            out.endArray()
            out.field("more", page.more)
        case .read(let unread):
            out.field("unread", unread)
        case .rooms(let rooms):
            out.key("rooms")
            out.roomStates(rooms)
        case .empty:
            break
        }
        out.endObject()
        return out.bytes
    }

    /// A failure reply: `{"id": ... | null, "ok": false, "error": {...}}`.
    ///
    /// `retryAfterMs` and `field` are written when set; callers set `retryAfterMs` only on
    /// 3xxx errors and `field` only on errors about one argument.
    public static func errorReply(id: String?, _ error: ProtocolError) -> [UInt8] {
        var out = JSONWriter(capacity: 128 + error.message.utf8.count)
        out.beginObject()
        out.nullableField("id", id)
        out.field("ok", false)
        out.key("error")
        out.beginObject()
        out.field("code", error.code.value)
        out.field("reason", error.code.reason)
        out.field("message", error.message)
        if let retryAfterMs = error.retryAfterMs { out.field("retryAfterMs", retryAfterMs) }
        out.optionalField("field", error.field)
        out.endObject()
        out.endObject()
        return out.bytes
    }

    /// A push: `{"push": "<kind>", ...}`.
    ///
    /// An event push is the same bytes for every recipient: encode it once and fan the bytes
    /// out.
    public static func push(_ push: Push) -> [UInt8] {
        switch push {
        case .event(let event):
            var out = JSONWriter(capacity: 192 + eventTextSize(event))
            out.beginObject()
            out.field("push", PushKind.event)
            out.eventMembers(event)
            out.endObject()
            return out.bytes
        case .roomJoined(let state):
            var out = JSONWriter(capacity: 256)
            out.beginObject()
            out.field("push", PushKind.roomJoined)
            out.key("room")
            out.roomState(state)
            out.endObject()
            return out.bytes
        case .roomLeft(let room):
            var out = JSONWriter(capacity: 64 + room.utf8.count)
            out.beginObject()
            out.field("push", PushKind.roomLeft)
            out.field("room", room)
            out.endObject()
            return out.bytes
        case .unknown(let kind):
            var out = JSONWriter(capacity: 32 + kind.utf8.count)
            out.beginObject()
            out.field("push", kind)
            out.endObject()
            return out.bytes
        }
    }

    // MARK: - Capacity estimates (one allocation for the common frame)

    private static func eventTextSize(_ event: Event) -> Int {
        switch event.body {
        case .message(_, let text, _, _), .edit(_, _, let text): return text.utf8.count + text.utf8.count / 8
        default: return 0
        }
    }

    private static func estimatedSize(of result: ReplyResult) -> Int {
        switch result {
        case .connected(let connected): return 256 + 224 * connected.rooms.count
        case .history(let page): return 128 + page.events.reduce(0) { $0 + 192 + eventTextSize($1) }
        case .rooms(let rooms): return 64 + 224 * rooms.count
        default: return 128
        }
    }
}
