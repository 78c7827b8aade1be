import Store
import WireProtocol

/// A room as the engine holds it: authoritative tip, members, and a bounded window of its most
/// recent events (for recovery without touching SQLite).
final class RoomEntry {
    let id: String
    let kind: RoomKind
    var name: String?
    let epoch: String
    var last: String?
    var seq: Int64
    var lastAt: Int64
    var members: [String: Role] = [:]
    /// The newest events, oldest first: `recentEventsPerRoom` of them (up to a quarter more
    /// between trims), and all rooms' windows together within `recentBytesTotal` (the least
    /// recently active are dropped).
    /// `subject` is the message whose text a frame shows (see `restate`); `limited`, the frame
    /// members who may not see members receive (membership events in announcement rooms).
    var recent: [(seq: Int64, id: String, subject: String?, frame: [UInt8], limited: [UInt8]?)] = []
    var recentBytes = 0
    /// Recent client message ids: "author\u{0}cmid" → the append they produced.
    var cmids: [String: AppendResult] = [:]
    var cmidOrder: [String] = []

    init(id: String, kind: RoomKind, name: String?, epoch: String, last: String?, seq: Int64, lastAt: Int64) {
        self.id = id
        self.kind = kind
        self.name = name
        self.epoch = epoch
        self.last = last
        self.seq = seq
        self.lastAt = lastAt
    }

    func state(for user: String, role: Role) -> RoomState {
        RoomState(room: id, kind: kind, name: kind == .direct ? nil : name,
                  peer: kind == .direct ? DirectRoom.peer(of: user, in: id) : nil,
                  role: role, epoch: epoch, last: last, seq: seq)
    }

    /// Adds an event to the window; returns the change in the window's bytes.
    func remember(_ frame: [UInt8], limited: [UInt8]?, id: String, seq: Int64, subject: String?, limit: Int) -> Int {
        recent.append((seq, id, subject, frame, limited))
        var delta = frame.count + (limited?.count ?? 0)
        // Trimmed a quarter at a time: removing from the front shifts the whole array, so
        // doing it on every append would cost a window's worth of moves per message.
        if recent.count > limit + limit / 4 {
            let dropped = recent.count - limit
            for old in recent.prefix(dropped) { delta -= old.frame.count + (old.limited?.count ?? 0) }
            recent.removeFirst(dropped)
        }
        recentBytes += delta
        return delta
    }

    /// Where event `id` is in the window, in O(1): the engine makes ids `"<at>-<seq>"` (opaque
    /// to clients, but its own), so the seq gives the place and the id confirms it.
    func windowIndex(of id: String) -> Int? {
        guard let first = recent.first, let dash = id.lastIndex(of: "-"),
              let seq = Int64(id[id.index(after: dash)...]) else { return nil }
        let index = Int(seq - first.seq)
        guard recent.indices.contains(index), recent[index].id == id else { return nil }
        return index
    }

    /// Drops the whole window; returns the bytes released.
    func forgetRecent() -> Int {
        let released = recentBytes
        recent = []
        recentBytes = 0
        return released
    }

    func rememberCmid(author: String, cmid: String, result: AppendResult, limit: Int) {
        let key = author + "\u{0}" + cmid
        cmids[key] = result
        cmidOrder.append(key)
        if cmidOrder.count > limit + limit / 4 {
            for old in cmidOrder.prefix(cmidOrder.count - limit) { cmids[old] = nil }
            cmidOrder.removeFirst(cmidOrder.count - limit)
        }
    }

    func knownCmid(author: String, cmid: String) -> AppendResult? {
        cmids[author + "\u{0}" + cmid]
    }
}

/// Limits and policies of the embedded engine.
public struct EmbeddedConfiguration: Sendable {
    /// The SQLite file.
    public var path: String
    /// Recovery replays at most this many events per room, or `recoveryMaxBytes`; beyond,
    /// `recovered: false`.
    public var recoveryMaxEvents = 1_000
    public var recoveryMaxBytes = 1 << 20
    /// Recent events kept in memory per room (recovery from memory), and recent client
    /// message ids per room (older ones are found in SQLite).
    public var recentEventsPerRoom = 1_000
    public var recentCmidsPerRoom = 1_000
    /// All rooms' recent windows together; beyond, the least recently active rooms' windows
    /// are dropped (their recovery then reads SQLite). Default 64 MiB.
    public var recentBytesTotal = 64 << 20
    /// Recovery replays at most this much for one `connect`, all rooms together; rooms
    /// beyond get `recovered: false`. Default 512 KiB (half the outbound limit).
    public var recoveryMaxBytesPerSession = 512 << 10
    /// Requests the engine may hold; beyond, callers get 3001 overloaded.
    public var queueCapacity = 50_000
    /// Reader threads (history, recovery from the store, unread counts), each with its own
    /// read-only connection, and the reads they may hold queued (beyond: 3001 overloaded, or
    /// `recovered: false` for a recovery).
    public var readerThreads = 2
    public var readerQueueCapacity = 4_096
    /// Group and announcement rooms a user may be in (2006 beyond). Direct rooms do not count:
    /// someone else opening a conversation must not fill the recipient's quota.
    public var roomsPerUser = 1_000
    /// Direct rooms a user may be in (2006 for a new conversation beyond).
    public var directRoomsPerUser = 10_000
    /// New direct rooms one user may open per hour (3000 rate_limited beyond; writing in an
    /// existing conversation is not counted).
    public var newDirectRoomsPerHour = 30
    /// Users one user may block (2008 beyond): blocks are held in memory and reloaded at start.
    public var blocksPerUser = 1_000
    public var directMessages = DirectMessagePolicySetting.membersAndLeaders

    public init(path: String) {
        self.path = path
    }
}

/// The platform-wide direct-message setting.
public enum DirectMessagePolicySetting: Sendable {
    /// Members who share a group write to each other; everyone writes to their leaders.
    case membersAndLeaders
    /// Only conversations with a leader (moderator/owner of a shared room).
    case leadersOnly
}
