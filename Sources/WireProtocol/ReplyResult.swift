/// The result of a successful command, written flat next to `"id"` and `"ok": true`.
public enum ReplyResult: Equatable, Sendable {
    /// `connect`.
    case connected(ConnectedResult)
    /// `refresh`: when the new token expires, in ms since the Unix epoch.
    case refreshed(expiresAt: Int64)
    /// `send`, `dm`, `edit`, `delete`: the appended event.
    case appended(AppendResult)
    /// `history`.
    case history(HistoryPage)
    /// `read`: messages after the (new) read position.
    case read(unread: Int64)
    /// `rooms`.
    case rooms([RoomState])
    /// `block`, `unblock`: nothing but `ok`.
    case empty
}

/// The result of `connect`.
public struct ConnectedResult: Equatable, Sendable {
    /// The user id the token names.
    public var user: String
    /// This session's id (opaque; for support and logs).
    public var session: String
    /// The server's clock, in ms since the Unix epoch, to correct `at` displays.
    public var serverTime: Int64
    /// Every room of the user; those the client gave a position for carry `recovered`.
    public var rooms: [RoomState]
    /// The limits that apply to this session.
    public var limits: Limits

    /// Creates the result.
    public init(user: String, session: String, serverTime: Int64, rooms: [RoomState], limits: Limits) {
        self.user = user
        self.session = session
        self.serverTime = serverTime
        self.rooms = rooms
        self.limits = limits
    }
}

/// The result of a command that appended an event (`send`, `dm`, `edit`, `delete`).
///
/// A reply can overtake the event's push and earlier pushes: clients must not advance their
/// position from it.
public struct AppendResult: Equatable, Sendable {
    /// `dm` only: the direct room the message went to.
    public var room: String?
    /// The appended event's id (the `event` member on the wire: `id` is the command's).
    public var id: String
    /// Its seq.
    public var seq: Int64
    /// When it was appended, in ms since the Unix epoch.
    public var at: Int64

    /// Creates the result.
    public init(room: String? = nil, id: String, seq: Int64, at: Int64) {
        self.room = room
        self.id = id
        self.seq = seq
        self.at = at
    }
}

/// The result of `history`: consecutive events of one room, oldest first.
public struct HistoryPage: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The room log's current epoch (if it differs from the client's, its ids are void).
    public var epoch: String
    /// The events, oldest first; message events show their current state.
    public var events: [Event]
    /// Whether more events exist beyond the page in the direction of paging (older for a
    /// `before`/latest page, newer for an `after` page).
    public var more: Bool

    /// Creates the page.
    public init(room: String, epoch: String, events: [Event], more: Bool) {
        self.room = room
        self.epoch = epoch
        self.events = events
        self.more = more
    }
}
