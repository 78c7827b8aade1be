/// A room as one user sees it: in the `connect` and `rooms` results and the `room.joined`
/// push.
///
/// `epoch`, `last` and `seq` are the room log's tip when the state was taken; a client that
/// has nothing for the room takes (`epoch`, `last`) as its position, after which pushes
/// continue from there.
public struct RoomState: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The room's kind.
    public var kind: RoomKind
    /// Display name; absent for direct rooms (clients show the peer).
    public var name: String?
    /// Direct rooms only: the other user.
    public var peer: String?
    /// The user's role here.
    public var role: Role
    /// The room log's epoch.
    public var epoch: String
    /// The id of the newest event, nil when the log is empty.
    public var last: String?
    /// The newest event's seq (0 when the log is empty).
    public var seq: Int64
    /// Messages after the user's read position, when known.
    public var unread: Int64?
    /// Only in a `connect` result, only for rooms the client gave a position for: true when
    /// the events it missed follow as `event` pushes, false when it must page history
    /// (nothing is replayed for that room).
    public var recovered: Bool?

    /// Creates a room state.
    public init(
        room: String, kind: RoomKind, name: String? = nil, peer: String? = nil, role: Role,
        epoch: String, last: String?, seq: Int64, unread: Int64? = nil, recovered: Bool? = nil
    ) {
        self.room = room
        self.kind = kind
        self.name = name
        self.peer = peer
        self.role = role
        self.epoch = epoch
        self.last = last
        self.seq = seq
        self.unread = unread
        self.recovered = recovered
    }
}
