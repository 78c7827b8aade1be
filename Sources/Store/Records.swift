/// A room as stored.
public struct RoomRecord: Equatable, Sendable {
    public var id: String
    public var kind: String
    public var name: String?
    /// Random, set when the room's log is created; a new epoch means a new log.
    public var epoch: String
    public var lastID: String?
    public var seq: Int64
    public var createdAt: Int64

    public init(id: String, kind: String, name: String?, epoch: String, lastID: String? = nil, seq: Int64 = 0, createdAt: Int64) {
        self.id = id
        self.kind = kind
        self.name = name
        self.epoch = epoch
        self.lastID = lastID
        self.seq = seq
        self.createdAt = createdAt
    }
}

/// A member of a room.
public struct MemberRecord: Equatable, Sendable {
    public var room: String
    public var user: String
    public var role: String

    public init(room: String, user: String, role: String) {
        self.room = room
        self.user = user
        self.role = role
    }
}

/// One event of a room's log, with the JSON that was pushed for it.
public struct StoredEvent: Equatable, Sendable {
    public var room: String
    public var id: String
    public var seq: Int64
    public var at: Int64
    public var kind: String
    public var actor: String?
    public var target: String?
    public var body: [UInt8]

    public init(room: String, id: String, seq: Int64, at: Int64, kind: String, actor: String?, target: String?, body: [UInt8]) {
        self.room = room
        self.id = id
        self.seq = seq
        self.at = at
        self.kind = kind
        self.actor = actor
        self.target = target
        self.body = body
    }
}

/// What an event does to the `messages` table (the current state history shows).
public enum MessageChange: Equatable, Sendable {
    case create(author: String, cmid: String, text: String, replyTo: String?)
    case edit(target: String, text: String)
    case delete(target: String)
}

/// The current state of a message.
public struct MessageRecord: Equatable, Sendable {
    public var room: String
    public var id: String
    public var seq: Int64
    public var author: String
    public var cmid: String
    public var text: String?
    public var replyTo: String?
    public var at: Int64
    public var editedAt: Int64?
    public var deleted: Bool
}

/// One change the writer applies. Several go into one transaction (group commit).
public enum StoreWrite: Equatable, Sendable {
    case createRoom(RoomRecord)
    case updateRoomName(room: String, name: String?)
    case deleteRoom(String)
    case putMember(MemberRecord, at: Int64)
    case removeMember(room: String, user: String)
    /// Appends an event and moves the room's tip (`last_id`, `seq`) to it.
    case append(StoredEvent, MessageChange?)
    case setReadPosition(user: String, room: String, eventID: String, seq: Int64)
    case block(user: String, blocked: String)
    case unblock(user: String, blocked: String)
    /// A participant hides a direct room from their list, or it comes back.
    case hide(user: String, room: String)
    case unhide(user: String, room: String)
    /// A user's ban and token revocation; both nil removes the row.
    case setAccess(user: String, bannedUntil: Int64?, revokedBefore: Int64?)
}
