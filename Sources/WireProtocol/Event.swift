/// One entry of a room's log, as pushed (`{"push":"event", ...}`) and as listed by `history`.
///
/// `(epoch, id)` identifies the event; `prev` is the id of the event before it in the same
/// log (nil for the first), which lets a receiver notice a gap. `seq` is dense (1, 2, 3, ...)
/// and serves unread counts, never identity.
public struct Event: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The room log's epoch.
    public var epoch: String
    /// The event id (opaque; ordered within the epoch by the log, not by string order).
    public var id: String
    /// The previous event's id, nil for the first event of the epoch.
    public var prev: String?
    /// Position in the log, from 1.
    public var seq: Int64
    /// When it was appended, in milliseconds since the Unix epoch (server clock).
    public var at: Int64
    /// What happened.
    public var body: EventBody
    /// History and replays, `message` events: the text is the latest edit's.
    public var edited: Bool
    /// History and replays, `message` and `edit` events: the message was deleted; its text is not
    /// sent, and decoders give `""`.
    public var deleted: Bool
    /// Membership events: the room's member count after the change.
    public var members: Int64?

    /// Creates an event.
    public init(
        room: String, epoch: String, id: String, prev: String?, seq: Int64, at: Int64,
        body: EventBody, edited: Bool = false, deleted: Bool = false, members: Int64? = nil
    ) {
        self.room = room
        self.epoch = epoch
        self.id = id
        self.prev = prev
        self.seq = seq
        self.at = at
        self.body = body
        self.edited = edited
        self.deleted = deleted
        self.members = members
    }

    /// Whether this is a membership event naming a user (`member.joined`, `.left`, `.role`).
    public var namesMember: Bool {
        switch body {
        case .memberJoined, .memberLeft, .memberRole: return true
        default: return false
        }
    }

    /// A membership event as a reader who may not see members receives it: `member.count`
    /// with the count after the change, same id and seq.
    public var countingMembers: Event {
        var event = self
        event.body = .memberCount
        return event
    }

    /// The kind on the wire (`"message"`, `"member.joined"`, ...).
    public var kind: String { body.kind }
}

/// What an event says happened. `unknown` is what a client decodes from an event kind
/// added by a later (minor) protocol revision: it keeps the place in the log and nothing else.
public enum EventBody: Equatable, Sendable {
    /// A posted message. `cmid` is the sender's client message id (the sender recognises its
    /// own message by it); `replyTo` the id of the message answered, in the same room.
    case message(author: String, text: String, cmid: String, replyTo: String?)
    /// `author` replaced the text of their message `target`.
    case edit(author: String, target: String, text: String)
    /// `actor` (the author or a moderator/owner) deleted the message `target`.
    case delete(actor: String, target: String)
    /// `user` joined the room with `role`.
    case memberJoined(user: String, role: Role)
    /// `user` left the room (or was removed).
    case memberLeft(user: String)
    /// `user`'s role changed to `role`.
    case memberRole(user: String, role: Role)
    /// The room's membership changed (the event's `members` is the new count). What readers
    /// see of a membership event when they may not see who joined or left (announcement
    /// rooms below moderator: `Rights` `.seeMembers`). Same id and seq as the event it stands for.
    case memberCount
    /// An event kind this version does not know; clients skip it.
    case unknown(kind: String)

    /// The kind on the wire.
    public var kind: String {
        switch self {
        case .message: return EventKind.message
        case .edit: return EventKind.edit
        case .delete: return EventKind.delete
        case .memberJoined: return EventKind.memberJoined
        case .memberLeft: return EventKind.memberLeft
        case .memberRole: return EventKind.memberRole
        case .memberCount: return EventKind.memberCount
        case .unknown(let kind): return kind
        }
    }
}

/// The event kinds of protocol v1, as written on the wire.
public enum EventKind {
    /// `"message"`.
    public static let message = "message"
    /// `"edit"`.
    public static let edit = "edit"
    /// `"delete"`.
    public static let delete = "delete"
    /// `"member.joined"`.
    public static let memberJoined = "member.joined"
    /// `"member.left"`.
    public static let memberLeft = "member.left"
    /// `"member.role"`.
    public static let memberRole = "member.role"
    /// `"member.count"`.
    public static let memberCount = "member.count"

    /// All v1 kinds.
    public static let all = [message, edit, delete, memberJoined, memberLeft, memberRole, memberCount]
}
