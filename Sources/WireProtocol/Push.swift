/// A frame the server sends on its own: `{"push": "<kind>", ...}`, never with an id.
public enum Push: Equatable, Sendable {
    /// `"event"`: an event appended to one of the user's rooms (also the replay after a
    /// recovering `connect`). Fields flat next to `push`.
    case event(Event)
    /// `"room.joined"`: the user is now in a room (`{"room": RoomState}`); events of the room
    /// after `last` follow as `event` pushes.
    case roomJoined(RoomState)
    /// `"room.left"`: the user is no longer in the room (`{"room": "<id>"}`); no more pushes
    /// come for it.
    case roomLeft(room: String)
    /// A push kind this version does not know (from a later minor revision); ignore it.
    case unknown(kind: String)

    /// The kind on the wire.
    public var kind: String {
        switch self {
        case .event: return PushKind.event
        case .roomJoined: return PushKind.roomJoined
        case .roomLeft: return PushKind.roomLeft
        case .unknown(let kind): return kind
        }
    }
}

/// The push kinds of protocol v1, as written on the wire.
public enum PushKind {
    /// `"event"`.
    public static let event = "event"
    /// `"room.joined"`.
    public static let roomJoined = "room.joined"
    /// `"room.left"`.
    public static let roomLeft = "room.left"

    /// All v1 kinds.
    public static let all = [event, roomJoined, roomLeft]
}
