/// A client command of protocol v1, decoded and validated.
///
/// Values built by `WireDecoder.decodeCommand` satisfy every syntactic rule of the spec
/// (identifier syntax, text limits, `limit` range). Rules that need state (membership,
/// rights, "connect first") are the server's.
public enum Command: Equatable, Sendable {
    /// Start the session: authenticate and (optionally) recover.
    case connect(ConnectCommand)
    /// Replace the session's token before it expires.
    case refresh(token: String)
    /// Post a message to a room.
    case send(SendCommand)
    /// Post a message to a user's direct room (created on first use).
    case dm(DirectCommand)
    /// Replace the text of one's own message.
    case edit(EditCommand)
    /// Delete a message (one's own, or any with the right). `id` is the message's event id,
    /// the `target` argument on the wire.
    case delete(room: String, id: String)
    /// Page through a room's log.
    case history(HistoryCommand)
    /// Move the read position forward to the event `id` (the `event` argument on the wire).
    case read(room: String, id: String)
    /// List the user's rooms.
    case rooms
    /// Block a user (no DMs either way).
    case block(user: String)
    /// Lift a block.
    case unblock(user: String)
    /// Hide a direct room from one's room list until its next message.
    case hide(room: String)

    /// The command's name, as in `cmd`.
    public var name: CommandName {
        switch self {
        case .connect: return .connect
        case .refresh: return .refresh
        case .send: return .send
        case .dm: return .dm
        case .edit: return .edit
        case .delete: return .delete
        case .history: return .history
        case .read: return .read
        case .rooms: return .rooms
        case .block: return .block
        case .unblock: return .unblock
        case .hide: return .hide
        }
    }
}

/// The `cmd` names of protocol v1.
public enum CommandName: String, Sendable, CaseIterable {
    /// `connect`: authenticate, recover.
    case connect
    /// `refresh`: replace the token.
    case refresh
    /// `send`: post to a room.
    case send
    /// `dm`: post to a user's direct room.
    case dm
    /// `edit`: replace one's own message's text.
    case edit
    /// `delete`: delete a message.
    case delete
    /// `history`: page through a room's log.
    case history
    /// `read`: move the read position.
    case read
    /// `rooms`: list the user's rooms.
    case rooms
    /// `block`: block a user.
    case block
    /// `unblock`: lift a block.
    case unblock
    /// `hide`: hide a direct room until its next message.
    case hide

    /// The argument names the command accepts (besides `id` and `cmd`); anything else is
    /// refused with 1002, because a misspelt optional argument must not be silently ignored.
    ///
    /// `id` is the command's own id, so an argument naming an event is called by its role:
    /// `target` (edit, delete; as in the events they append) or `event` (read).
    public var argumentNames: [String] {
        switch self {
        case .connect: return ["token", "positions", "client"]
        case .refresh: return ["token"]
        case .send: return ["room", "text", "cmid", "replyTo"]
        case .dm: return ["to", "text", "cmid", "replyTo"]
        case .edit: return ["room", "target", "text"]
        case .delete: return ["room", "target"]
        case .history: return ["room", "before", "after", "limit"]
        case .read: return ["room", "event"]
        case .rooms: return []
        case .block, .unblock: return ["user"]
        case .hide: return ["room"]
        }
    }
}

/// A command with the id its reply will echo.
public struct CommandEnvelope: Equatable, Sendable {
    /// The client's id for this command (1–64 printable ASCII characters).
    public var id: String
    /// The command.
    public var command: Command

    /// Creates an envelope.
    public init(id: String, command: Command) {
        self.id = id
        self.command = command
    }
}
