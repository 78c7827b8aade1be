/// A frame from the server, as a client decodes it.
public enum ServerFrame: Equatable, Sendable {
    /// A reply to the command with this id (nil: the server could not read the command's id).
    /// Success carries the raw result; failure the decoded error.
    case reply(id: String?, Result<ReplyPayload, ProtocolError>)
    /// A push.
    case push(Push)
}

/// The result members of a success reply, kept raw because a reply does not say which
/// command it answers: the client knows from the id, and asks for the shape it expects.
public struct ReplyPayload: Equatable, Sendable {
    /// The reply's members without `id` and `ok`, in wire order (an `.object`).
    public let fields: JSONValue

    /// Wraps result members.
    public init(members: [(String, JSONValue)]) {
        fields = .object(members)
    }

    /// One result member, or nil.
    public subscript(key: String) -> JSONValue? { fields[key] }

    private var reader: FrameReader { FrameReader(members: fields.objectMembers ?? []) }

    /// The result of `connect`.
    public func connected() throws(ProtocolError) -> ConnectedResult {
        let reader = self.reader
        return ConnectedResult(
            user: try reader.string("user"), session: try reader.string("session"),
            serverTime: try reader.int("serverTime"), rooms: try reader.roomStates("rooms"),
            limits: try reader.object("limits").limits())
    }

    /// The result of `refresh`: when the new token expires.
    public func expiresAt() throws(ProtocolError) -> Int64 {
        try reader.int("expiresAt")
    }

    /// The result of `send`, `dm`, `edit` and `delete`.
    public func appended() throws(ProtocolError) -> AppendResult {
        let reader = self.reader
        return AppendResult(
            room: try reader.optionalString("room"), id: try reader.string("event"),
            seq: try reader.int("seq"), at: try reader.int("at"))
    }

    /// The result of `history`.
    public func history() throws(ProtocolError) -> HistoryPage {
        let reader = self.reader
        var events: [Event] = []
        for (index, element) in try reader.array("events").enumerated() {
            events.append(try FrameReader(element, path: "events[\(index)]").event())
        }
        return HistoryPage(
            room: try reader.string("room"), epoch: try reader.string("epoch"), events: events,
            more: try reader.bool("more"))
    }

    /// The result of `read`: the unread count.
    public func unread() throws(ProtocolError) -> Int64 {
        try reader.int("unread")
    }

    /// The result of `rooms`.
    public func rooms() throws(ProtocolError) -> [RoomState] {
        try reader.roomStates("rooms")
    }

    /// The typed result for a reply to `command`.
    public func result(for command: CommandName) throws(ProtocolError) -> ReplyResult {
        switch command {
        case .connect: return .connected(try connected())
        case .refresh: return .refreshed(expiresAt: try expiresAt())
        case .send, .dm, .edit, .delete: return .appended(try appended())
        case .history: return .history(try history())
        case .read: return .read(unread: try unread())
        case .rooms: return .rooms(try rooms())
        case .block, .unblock, .hide: return .empty
        }
    }
}
