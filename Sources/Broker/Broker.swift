import Synchronization
import WireProtocol

/// How a broker reaches one event loop: runs tasks on it, first in, first out.
///
/// FIFO is the ordering guarantee everything rests on: a loop sees a room's events in log
/// order, and an answer (a session snapshot, a replay) before any event published after it.
public protocol LoopPort: AnyObject {
    /// Runs `task` on the loop soon. False when the loop refused it (queue full or stopped).
    func submit(_ task: @escaping () -> Void) -> Bool
    /// A task for this loop was refused: its view of the logs has a hole. Safe from any
    /// thread; sticky until the loop handles it (its sessions reconnect and recover).
    func markLost()
}

/// A loop's side of the broker; every call happens on that loop.
public protocol BrokerDelegate: AnyObject {
    /// An event was appended to a room's log. Events of one room arrive in log order.
    func brokerPublished(_ event: PublishedEvent)
    /// A user's membership changed (the loop updates that user's sessions and tells them).
    func brokerMembershipChanged(_ change: MembershipChange)
    /// The broker could not deliver to this loop (its queue refused): the loop's view is
    /// incomplete, so its sessions must reconnect and recover (close 4003).
    func brokerLostEvents()
    /// Called before each batch of deliveries: the loop handles an earlier loss first.
    func brokerWillDeliver()
    /// The platform banned `user`, lifted a ban, or revoked their older tokens: the loop
    /// closes the sessions `access` no longer admits (4102 for a ban, 4100 for a revoked token).
    func brokerAccessChanged(user: String, access: UserAccess)
}

/// What the platform has restricted for one user: a ban (with an optional end), and a time
/// before which the user's tokens no longer count. Checked at `connect`, on `refresh`, on open
/// sessions when it changes, and on every append.
public struct UserAccess: Equatable, Sendable {
    /// Banned until this time (ms since the Unix epoch; `Int64.max`: until lifted); nil: not banned.
    public var bannedUntil: Int64?
    /// Tokens issued before this time (seconds since the Unix epoch), or without `iat`, are refused.
    public var revokedBefore: Int64?

    public init(bannedUntil: Int64? = nil, revokedBefore: Int64? = nil) {
        self.bannedUntil = bannedUntil
        self.revokedBefore = revokedBefore
    }

    /// Nothing is restricted.
    public var isEmpty: Bool { bannedUntil == nil && revokedBefore == nil }

    public func isBanned(nowMs: Int64) -> Bool {
        guard let bannedUntil else { return false }
        return nowMs < bannedUntil
    }

    /// Whether a token issued at `issuedAt` (nil: no `iat`) was revoked.
    public func revokes(issuedAt: Int64?) -> Bool {
        guard let revokedBefore else { return false }
        guard let issuedAt else { return true }
        return issuedAt < revokedBefore
    }

    /// Why a session of a token issued at `issuedAt` may not continue, or nil.
    public func refusal(issuedAt: Int64?, nowMs: Int64) -> ProtocolError? {
        if isBanned(nowMs: nowMs) { return ProtocolError(.disconnectedByPlatform, "this account is suspended by the platform") }
        if revokes(issuedAt: issuedAt) { return ProtocolError(.authFailed, "this token was revoked; sign in again") }
        return nil
    }
}

/// A change of a user's access, made through the platform's API.
public enum AccessChange: Sendable {
    /// Ban the user until `until` (ms since the epoch), or until lifted (nil).
    case ban(until: Int64?)
    case unban
    /// Refuse the user's tokens issued before `before` (seconds since the epoch).
    case revokeTokens(before: Int64)
}

/// One appended event, with its push frame encoded once for every recipient (once per
/// audience, when some members may see less of it).
public struct PublishedEvent: @unchecked Sendable {
    public let room: String
    public let id: String
    public let seq: Int64
    /// `{"push":"event",...}`: the exact bytes every member receives (every member whose
    /// role reaches `limited.minimumRole`, when `limited` is set).
    public let frame: [UInt8]
    /// The event as members below `minimumRole` see it (a membership event reduced to the
    /// member count in an announcement room): same id, seq and prev.
    public let limited: LimitedFrame?

    public init(room: String, id: String, seq: Int64, frame: [UInt8], limited: LimitedFrame? = nil) {
        self.room = room
        self.id = id
        self.seq = seq
        self.frame = frame
        self.limited = limited
    }
}

/// A reduced frame of an event, for members whose role is below `minimumRole`.
public struct LimitedFrame: @unchecked Sendable {
    public let frame: [UInt8]
    public let minimumRole: Role

    public init(frame: [UInt8], minimumRole: Role) {
        self.frame = frame
        self.minimumRole = minimumRole
    }

    /// The frame a member with `role` receives.
    public func frame(for role: Role, full: [UInt8]) -> [UInt8] {
        role >= minimumRole ? full : frame
    }
}

/// A change of a user's rooms, for the loops holding that user's sessions.
public enum MembershipChange: Sendable {
    /// `user` is now in the room (joined, or a direct room was created); `state` is the
    /// room's tip at the change, so the room's later events follow it.
    case joined(user: String, state: RoomState)
    /// `user`'s role in `room` changed.
    case roleChanged(user: String, room: String, role: Role)
    /// `user` left `room`; nothing of the room reaches their sessions after this.
    case left(user: String, room: String)
}

/// What a session starts with.
public struct SessionSnapshot: @unchecked Sendable {
    public var rooms: [RoomState]
    /// Push frames to send right after the `connect` reply, in order (recovered events).
    public var replay: [[UInt8]]
    /// Set when some rooms' missed events must first be read from the store: their
    /// `recovered` is decided then. Meanwhile the session is subscribed and must hold its live
    /// events (and its `connect` reply) until the recovery resolves, to keep the order.
    public var pending: PendingRecovery?

    public init(rooms: [RoomState], replay: [[UInt8]], pending: PendingRecovery? = nil) {
        self.rooms = rooms
        self.replay = replay
        self.pending = pending
    }
}

/// The rest of a session's recovery, read from the store off the broker's ordering thread.
/// Resolved once, on the session's loop; `onResolved` may be set before or after.
public final class PendingRecovery: @unchecked Sendable {
    /// Per room whose recovery was pending: whether it was recovered.
    public struct Outcome: Sendable {
        public var recovered: [String: Bool]
        /// Frames of the recovered rooms, each room's in log order.
        public var replay: [[UInt8]]

        public init(recovered: [String: Bool], replay: [[UInt8]]) {
            self.recovered = recovered
            self.replay = replay
        }
    }

    /// Locked, though the broker resolves it on the session's loop: a test's stand-in loop
    /// may resolve it from another thread. The waiter runs outside the lock.
    private struct State: @unchecked Sendable {
        var outcome: Outcome?
        var waiter: ((Outcome) -> Void)?
    }

    private let state = Mutex(State())

    public init() {}

    /// Sets the outcome (the first one counts) and runs the waiter, if one is set.
    public func resolve(_ outcome: Outcome) {
        let taken = state.withLock { state -> State in
            guard state.outcome == nil else { return State() }
            state.outcome = outcome
            defer { state.waiter = nil }
            return State(outcome: nil, waiter: state.waiter)
        }
        taken.waiter?(outcome)
    }

    /// `body` runs once the outcome is known: at once if it is, else on `resolve`'s thread.
    public func onResolved(_ body: @escaping (Outcome) -> Void) {
        let known = state.withLock { state -> State in
            if state.outcome == nil { state.waiter = body }
            return State(outcome: state.outcome, waiter: nil)
        }
        if let outcome = known.outcome { body(outcome) }
    }
}

/// A request to append an event. The broker checks it against the authoritative state (the
/// rights table, membership, direct-message rules) before anything is written.
public enum AppendRequest: Sendable {
    case message(room: String, author: String, text: String, cmid: String, replyTo: String?)
    case direct(from: String, to: String, text: String, cmid: String, replyTo: String?)
    case edit(room: String, author: String, target: String, text: String)
    case delete(room: String, actor: String, target: String)
}

/// Operations of the platform's HTTP API.
public enum AdminOperation: Sendable {
    case createRoom(id: String, kind: RoomKind, name: String?)
    case updateRoom(id: String, name: String?)
    case deleteRoom(id: String)
    case putMembers(room: String, members: [(user: String, role: Role)])
    case removeMembers(room: String, users: [String])
    /// Posts as `author` (a user, or the platform itself when nil: author "system").
    case post(room: String, author: String?, text: String, cmid: String)
    case history(room: String, anchor: HistoryCommand.Anchor, limit: Int)
    case stats
    case setAccess(user: String, AccessChange)
}

/// The results of admin operations.
public enum AdminResult: @unchecked Sendable {
    case done
    case room(RoomInfo)
    case appended(AppendResult)
    case history(HistoryPage)
    case stats(rooms: Int, members: Int, events: Int64, sessions: Int)
    case access(user: String, UserAccess)
}

/// A room as the platform's API shows it.
public struct RoomInfo: Equatable, Sendable {
    public var id: String
    public var kind: RoomKind
    public var name: String?
    public var epoch: String
    public var last: String?
    public var seq: Int64
    public var members: Int

    public init(id: String, kind: RoomKind, name: String?, epoch: String, last: String?, seq: Int64, members: Int) {
        self.id = id
        self.kind = kind
        self.name = name
        self.epoch = epoch
        self.last = last
        self.seq = seq
        self.members = members
    }
}

/// The room log service the loops talk to. Embedded mode: one engine thread over SQLite;
/// scale-out: Redis. Completions run on the loop named by `loop` (through its `LoopPort`).
public protocol Broker: AnyObject {
    /// Registers a loop; returns its index for later calls. Before serving.
    func attach(_ port: LoopPort, delegate: BrokerDelegate) -> Int
    /// Starts serving, once every loop is attached.
    func start()
    /// Finishes what is queued and stops.
    func stop()

    /// Starts a session of `user` on `loop`: the user's rooms, and the events missed after
    /// `positions` (`recovered` set on the rooms that had a position).
    /// Refused when the platform banned the user (4102) or revoked tokens issued before
    /// `issuedAt` (4100).
    func openSession(user: String, issuedAt: Int64?, positions: [Position], loop: Int,
                     completion: @escaping (Result<SessionSnapshot, ProtocolError>) -> Void)
    /// Whether a token of `user` issued at `issuedAt` is still admitted (a `refresh`).
    func checkAccess(user: String, issuedAt: Int64?, loop: Int, completion: @escaping (Result<Void, ProtocolError>) -> Void)
    /// The session ended (the broker stops counting it for membership pushes).
    func closeSession(user: String, loop: Int)

    func append(_ request: AppendRequest, loop: Int, completion: @escaping (Result<AppendResult, ProtocolError>) -> Void)
    func history(user: String, room: String, anchor: HistoryCommand.Anchor, limit: Int, loop: Int,
                 completion: @escaping (Result<HistoryPage, ProtocolError>) -> Void)
    func markRead(user: String, room: String, event: String, loop: Int, completion: @escaping (Result<Int64, ProtocolError>) -> Void)
    func rooms(user: String, loop: Int, completion: @escaping (Result<[RoomState], ProtocolError>) -> Void)
    func setBlocked(user: String, other: String, blocked: Bool, loop: Int, completion: @escaping (Result<Void, ProtocolError>) -> Void)
    /// Hides a direct room from `user`'s room list (their sessions get `room.left`) until the
    /// next message or edit in it brings it back (`room.joined`, then the event).
    func setHidden(user: String, room: String, loop: Int, completion: @escaping (Result<Void, ProtocolError>) -> Void)
    func admin(_ operation: AdminOperation, loop: Int, completion: @escaping (Result<AdminResult, ProtocolError>) -> Void)
}
