import Broker
import Synchronization
import Reactor
import WireProtocol

/// One loop's side of the chat service: its subscription index (room → sessions on this
/// loop), its sessions by user, and its link to the broker.
///
/// Fan-out: an event arrives once per loop as its push frame; the hub wraps it in one sealed
/// chunk and queues that same chunk on every local member's connection — no per-recipient
/// encoding or copy (TLS connections copy it into their plaintext, as they must).
final class ChatHub: BrokerDelegate, LoopPort {
    unowned let loop: EventLoop
    let broker: Broker
    /// Every loop's hub (the API reaches all loops through it).
    let directory: HubDirectory
    let configuration: ChatConfiguration
    var loopIndex = 0
    private let subscribers = SubscriptionIndex<ChatSession>()
    private(set) var sessionsByUser: [String: [ChatSession]] = [:]

    init(loop: EventLoop, broker: Broker, configuration: ChatConfiguration, directory: HubDirectory) {
        self.loop = loop
        self.directory = directory
        self.broker = broker
        self.configuration = configuration
    }

    // MARK: LoopPort

    func submit(_ task: @escaping () -> Void) -> Bool {
        (try? loop.execute(task)) != nil
    }

    private let lost = Atomic<Bool>(false)

    func markLost() {
        lost.store(true, ordering: .releasing)
    }

    /// Called before each delivery from the broker and by the loop's sweep: after a refused
    /// task, every session of this loop must reconnect and recover (4003).
    func brokerWillDeliver() {
        handleLostEvents()
    }

    func handleLostEvents() {
        if lost.exchange(false, ordering: .acquiringAndReleasing) { brokerLostEvents() }
    }

    // MARK: Sessions

    /// A session is signed in with these rooms: it starts receiving their events.
    func register(_ session: ChatSession, user: String, rooms: [String]) {
        sessionsByUser[user, default: []].append(session)
        for room in rooms { subscribers.add(session, to: room) }
    }

    func subscribe(_ session: ChatSession, to room: String) {
        subscribers.add(session, to: room)
    }

    func unsubscribe(_ session: ChatSession, from room: String) {
        subscribers.remove(session, from: room)
    }

    func remove(_ session: ChatSession) {
        session.endAdmission()
        guard let user = session.user else { return }
        for room in session.rooms.keys { unsubscribe(session, from: room) }
        sessionsByUser[user]?.removeAll { $0 === session }
        if sessionsByUser[user]?.isEmpty == true { sessionsByUser[user] = nil }
        broker.closeSession(user: user, loop: loopIndex)
    }

    // MARK: BrokerDelegate

    func brokerPublished(_ event: PublishedEvent) {
        let sessions = subscribers.subscribers(of: event.room)
        guard !sessions.isEmpty else { return }
        let chunk = ByteChunk(sharing: WebSocketFrames.text(event.frame))
        guard let limited = event.limited else {
            for session in sessions { session.deliver(chunk) }
            return
        }
        // Two audiences (who may see members, who may not): each frame encoded once.
        let reduced = ByteChunk(sharing: WebSocketFrames.text(limited.frame))
        for session in sessions {
            let role = session.rooms[event.room]?.role ?? .follower
            session.deliver(role >= limited.minimumRole ? chunk : reduced)
        }
    }

    func brokerMembershipChanged(_ change: MembershipChange) {
        switch change {
        case .joined(let user, let state):
            for session in sessionsByUser[user] ?? [] { session.joined(state) }
        case .roleChanged(let user, let room, let role):
            for session in sessionsByUser[user] ?? [] { session.rooms[room]?.role = role }
        case .left(let user, let room):
            for session in sessionsByUser[user] ?? [] { session.left(room) }
        }
    }

    func brokerAccessChanged(user: String, access: UserAccess) {
        let now = ChatSession.unixMilliseconds()
        for session in sessionsByUser[user] ?? [] {
            guard let refusal = access.refusal(issuedAt: session.issuedAt, nowMs: now) else { continue }
            session.connection.closeWebSocket(code: UInt16(refusal.code.value), reason: refusal.message)
        }
    }

    /// The platform disconnected `user`: close their sessions on this loop with 4102.
    func disconnect(user: String) {
        for session in sessionsByUser[user] ?? [] {
            session.connection.closeWebSocket(code: RallyCloseCode.disconnectedByPlatform, reason: "disconnected by the platform")
        }
    }

    func brokerLostEvents() {
        loop.onWarning("the broker could not deliver events to this loop: closing its chat sessions (4003)")
        for sessions in sessionsByUser.values {
            for session in sessions {
                session.connection.closeWebSocket(code: RallyCloseCode.insufficientState, reason: "events lost, reconnect and recover")
            }
        }
    }
}

/// The hubs of all loops of a server, and what they share.
final class HubDirectory {
    var hubs: [ChatHub] = []
    /// Per-user limits across every loop of this instance.
    var userLimits = UserLimits(maxSessions: 16, rate: 10, burst: 20)
}
