import Auth
import Glibc
import Broker
import Chat
import Reactor
import WireProtocol

/// The chat protocol on one WebSocket connection: sign-in, the user's rooms, commands to the
/// broker and their replies. Lives on the connection's loop.
final class ChatSession {
    /// Strong: a session can still be in a caller's local list (a fan-out in progress) when
    /// its connection closes; `detached` then makes every later call a no-op. The cycle is
    /// broken when the connection closes (`Connection.chat = nil`).
    let connection: Connection
    unowned let hub: ChatHub
    /// The connection closed: nothing more is sent.
    var detached = false
    private(set) var user: String?
    /// The user's rooms as this session knows them (kind and role, for early checks).
    var rooms: [String: (kind: RoomKind, role: Role)] = [:]
    private var connecting = false
    /// The user this session is counted for in the per-user limits (from `connect` on).
    private var admitted: String?
    private var expiresAt: Int64 = 0
    /// The current token's `iat` (a revocation closes sessions of older tokens).
    private(set) var issuedAt: Int64?
    private var bucket: TokenBucket
    let openedAt: UInt64
    private let sessionID: String
    /// Frames waiting behind a paced recovery replay (live events queue here meanwhile, to
    /// keep the order), and their total size.
    private var backlog: [(frame: [UInt8], live: Bool)] = []
    private var liveBacklogBytes = 0
    private var pumping = false
    /// Signed in and subscribed, but the recovery is still being read: every frame waits.
    private var holding = false

    init(connection: Connection, hub: ChatHub) {
        self.connection = connection
        self.hub = hub
        openedAt = hub.loop.now
        let limits = hub.configuration.limits
        bucket = TokenBucket(rate: Double(limits.commandRate), burst: Double(limits.commandBurst), now: openedAt)
        var generator = SystemRandomNumberGenerator()
        sessionID = String(generator.next() as UInt64, radix: 36)
    }

    var isSignedIn: Bool { user != nil }

    // MARK: Commands

    /// One text message from the client: one command.
    func receive(_ payload: [UInt8]) {
        let decoded = payload.withUnsafeBytes {
            WireDecoder.decodeCommand($0, textLimits: hub.configuration.limits.text, historyMax: hub.configuration.limits.historyMax)
        }
        let envelope: CommandEnvelope
        switch decoded {
        case .failure(let failure):
            return reply(failure.id, .failure(failure.error))
        case .success(let value):
            envelope = value
        }
        // The session's state is checked before the rate (protocol §9): a refused command
        // costs no token.
        let isConnect: Bool
        if case .connect = envelope.command { isConnect = true } else { isConnect = false }
        if isConnect && (user != nil || connecting) {
            return reply(envelope.id, .failure(ProtocolError(.alreadyConnected, "this connection is signed in already")))
        }
        if !isConnect && (user == nil || connecting) {
            return reply(envelope.id, .failure(ProtocolError(.notConnected, "send connect first")))
        }
        // The rate holds per connection and per user across the user's sessions.
        let now = hub.loop.now
        if let wait = bucket.take(now: now) ?? user.flatMap({ hub.directory.userLimits.takeCommand($0, now: now) }) {
            let ms = Int64((wait + 999_999) / 1_000_000)
            return reply(envelope.id, .failure(.rateLimited(retryAfterMs: ms)))
        }
        if case .connect(let command) = envelope.command {
            return connect(envelope.id, command)
        }
        guard let user else { return }
        perform(envelope.id, envelope.command, user: user)
    }

    private func perform(_ id: String, _ command: Command, user: String) {
        let broker = hub.broker
        let loop = hub.loopIndex
        switch command {
        case .connect:
            break  // handled before
        case .refresh(let token):
            refresh(id, token: token, user: user)
        case .send(let send):
            guard rooms[send.room] != nil else { return reply(id, .failure(ProtocolError(.notMember, "not a member of this room"))) }
            track(id) { done in
                broker.append(.message(room: send.room, author: user, text: send.text, cmid: send.cmid, replyTo: send.replyTo),
                              loop: loop) { done($0.map { .appended($0) }) }
            }
        case .dm(let dm):
            guard dm.to != user else {
                return reply(id, .failure(ProtocolError(.invalidArgument, "you cannot write to yourself", field: "to")))
            }
            track(id) { done in
                broker.append(.direct(from: user, to: dm.to, text: dm.text, cmid: dm.cmid, replyTo: dm.replyTo),
                              loop: loop) { done($0.map { .appended($0) }) }
            }
        case .edit(let edit):
            track(id) { done in
                broker.append(.edit(room: edit.room, author: user, target: edit.id, text: edit.text), loop: loop) {
                    done($0.map { .appended($0) })
                }
            }
        case .delete(let room, let target):
            track(id) { done in
                broker.append(.delete(room: room, actor: user, target: target), loop: loop) { done($0.map { .appended($0) }) }
            }
        case .history(let history):
            track(id) { done in
                broker.history(user: user, room: history.room, anchor: history.anchor, limit: history.effectiveLimit,
                               loop: loop) { done($0.map { .history($0) }) }
            }
        case .read(let room, let event):
            track(id) { done in
                broker.markRead(user: user, room: room, event: event, loop: loop) { done($0.map { .read(unread: $0) }) }
            }
        case .rooms:
            track(id) { done in broker.rooms(user: user, loop: loop) { done($0.map { .rooms($0) }) } }
        case .block(let other):
            track(id) { done in broker.setBlocked(user: user, other: other, blocked: true, loop: loop) { done($0.map { .empty }) } }
        case .unblock(let other):
            track(id) { done in broker.setBlocked(user: user, other: other, blocked: false, loop: loop) { done($0.map { .empty }) } }
        case .hide(let room):
            track(id) { done in broker.setHidden(user: user, room: room, loop: loop) { done($0.map { .empty }) } }
        }
    }

    /// Runs a broker call as in-flight work on the connection (past the cap, the loop stops
    /// reading this socket) and replies when it completes.
    private func track(_ id: String, _ call: (@escaping (Result<ReplyResult, ProtocolError>) -> Void) -> Void) {
        let channel = connection.channel
        channel.beginWork()
        call { [weak self] result in
            channel.endWork()
            self?.reply(id, result)
        }
    }

    func reply(_ id: String?, _ result: Result<ReplyResult, ProtocolError>) {
        switch result {
        case .success(let value):
            connection.sendText(WireEncoder.reply(id: id ?? "", result: value))
        case .failure(let error):
            connection.sendText(WireEncoder.errorReply(id: id, error))
        }
    }

    // MARK: Sign-in

    private func verify(_ token: String) -> Result<Claims, ProtocolError> {
        do {
            let claims = try hub.configuration.verifier.verify(token, now: Self.unixNow())
            // "system" authors the platform's posts: no person may sign in as it.
            guard claims.subject != "system" else { return .failure(ProtocolError(.authFailed, "reserved user id")) }
            return .success(claims)
        } catch {
            let code: ErrorCode = error == .expired ? .tokenExpired : .authFailed
            return .failure(ProtocolError(code, error.message))
        }
    }

    private func connect(_ id: String, _ command: ConnectCommand) {
        guard user == nil, !connecting else {
            return reply(id, .failure(ProtocolError(.alreadyConnected, "this connection is signed in already")))
        }
        let claims: Claims
        switch verify(command.token) {
        case .failure(let error):
            reply(id, .failure(error))
            connection.closeWebSocket(code: UInt16(error.code.value), reason: error.message)
            return
        case .success(let value):
            claims = value
        }
        let user = claims.subject
        guard hub.directory.userLimits.admitSession(user, now: hub.loop.now) else {
            let error = ProtocolError(.tooManySessions,
                                      "\(hub.directory.userLimits.maxSessions) sessions of this user are open already")
            reply(id, .failure(error))
            connection.closeWebSocket(code: RallyCloseCode.tooManySessions, reason: error.message)
            return
        }
        admitted = user
        connecting = true
        expiresAt = claims.expiresAt
        issuedAt = claims.issuedAt
        hub.broker.openSession(user: user, issuedAt: claims.issuedAt, positions: command.positions ?? [],
                               loop: hub.loopIndex) { [weak self] result in
            self?.opened(id, user: user, result)
        }
    }

    private func opened(_ id: String, user: String, _ result: Result<SessionSnapshot, ProtocolError>) {
        if case .success(let snapshot) = result, snapshot.pending != nil {
            // Still connecting until the store's part of the recovery is read.
        } else {
            connecting = false
        }
        guard connection.channel.isOpen else {
            if case .success = result { hub.broker.closeSession(user: user, loop: hub.loopIndex) }
            return
        }
        switch result {
        case .failure(let error):
            endAdmission()
            reply(id, .failure(error))
            // A ban (4102) or a revoked token (4100) ends the connection too.
            if error.code.category == .connection {
                connection.closeWebSocket(code: UInt16(error.code.value), reason: error.message)
            }
        case .success(let snapshot):
            self.user = user
            for state in snapshot.rooms { rooms[state.room] = (state.kind, state.role) }
            hub.register(self, user: user, rooms: snapshot.rooms.map(\.room))
            guard let pending = snapshot.pending else {
                return finishConnect(id, rooms: snapshot.rooms, replay: snapshot.replay)
            }
            // Subscribed already, so nothing published from now on is missed; held (with the
            // reply) until the store's part of the replay is read, so nothing overtakes it.
            holding = true
            pending.onResolved { [weak self] outcome in
                guard let self, !self.detached else { return }
                self.holding = false
                self.connecting = false
                var rooms = snapshot.rooms
                for index in rooms.indices {
                    if let recovered = outcome.recovered[rooms[index].room] { rooms[index].recovered = recovered }
                }
                self.finishConnect(id, rooms: rooms, replay: snapshot.replay + outcome.replay)
            }
        }
    }

    /// The `connect` reply, then the replay, then whatever live frames were held meanwhile.
    private func finishConnect(_ id: String, rooms: [RoomState], replay frames: [[UInt8]]) {
        guard let user else { return }
        let connected = ConnectedResult(user: user, session: sessionID, serverTime: Self.unixMilliseconds(),
                                        rooms: rooms, limits: hub.configuration.limits)
        reply(id, .success(.connected(connected)))
        guard !frames.isEmpty || !backlog.isEmpty else { return }
        backlog = frames.map { (WebSocketFrames.text($0), false) } + backlog
        pump()
    }

    /// The session no longer counts against its user's limit (closed, or its connect failed).
    func endAdmission() {
        guard let user = admitted else { return }
        admitted = nil
        hub.directory.userLimits.endSession(user)
    }

    private func refresh(_ id: String, token: String, user: String) {
        switch verify(token) {
        case .failure(let error):
            reply(id, .failure(error))
            connection.closeWebSocket(code: UInt16(error.code.value), reason: error.message)
        case .success(let claims):
            guard claims.subject == user else {
                reply(id, .failure(ProtocolError(.authFailed, "the token names another user")))
                connection.closeWebSocket(code: RallyCloseCode.authFailed, reason: "the token names another user")
                return
            }
            // The platform may have revoked this token or banned the user since.
            let channel = connection.channel
            channel.beginWork()
            hub.broker.checkAccess(user: user, issuedAt: claims.issuedAt, loop: hub.loopIndex) { [weak self] result in
                channel.endWork()
                guard let self, !self.detached else { return }
                switch result {
                case .failure(let error):
                    self.reply(id, .failure(error))
                    self.connection.closeWebSocket(code: UInt16(error.code.value), reason: error.message)
                case .success:
                    self.expiresAt = claims.expiresAt
                    self.issuedAt = claims.issuedAt
                    self.reply(id, .success(.refreshed(expiresAt: claims.expiresAt * 1_000)))
                }
            }
        }
    }

    /// Called once a second: a session must sign in in time, and its token must stay valid.
    func sweep(now: UInt64) {
        if user == nil && !connecting && now &- openedAt > hub.configuration.connectTimeout {
            connection.closeWebSocket(code: RallyCloseCode.connectTimeout, reason: "no connect in time")
        } else if user != nil && Self.unixNow() >= expiresAt + hub.configuration.tokenLeewaySeconds {
            connection.closeWebSocket(code: RallyCloseCode.tokenExpired, reason: "token expired; refresh before exp")
        }
    }

    // MARK: Delivery

    /// An event for this session: sent at once, or queued behind a replay still in progress.
    func deliver(_ chunk: ByteChunk) {
        guard !detached else { return }
        guard backlog.isEmpty && !holding else {
            enqueue(Array(chunk.bytes), live: true)
            return
        }
        connection.sendShared(chunk)
    }

    /// Recovery is paced: a replay of up to the recovery cap (1 MiB) would otherwise land in
    /// the outbound queue at once and could push a slow reader over its limit. Frames go out
    /// while less than `pacingWindow` bytes are queued; the rest waits for the queue to drain.
    static let pacingWindow = 128 << 10

    /// Queues a frame behind the replay. The replay itself is bounded by the engine (the
    /// recovery caps); live frames that pile up behind it count like an outbound queue: past
    /// the outbound limit the client is a slow consumer.
    private func enqueue(_ frame: [UInt8], live: Bool) {
        backlog.append((frame, live))
        guard live else { return }
        liveBacklogBytes += frame.count
        if liveBacklogBytes > hub.loop.configuration.maxOutboundBytesPerChannel {
            backlog = []
            liveBacklogBytes = 0
            connection.closeWebSocket(code: RallyCloseCode.slowConsumer, reason: "slow consumer, reconnect")
        }
    }

    private func pump() {
        pumping = false
        guard !detached, !holding else { return }
        var sent = 0
        while sent < backlog.count && connection.queuedBytes < Self.pacingWindow && !detached {
            connection.sendRawFrame(backlog[sent].frame)
            if backlog[sent].live { liveBacklogBytes -= backlog[sent].frame.count }
            sent += 1
        }
        backlog.removeFirst(min(sent, backlog.count))
        if !backlog.isEmpty && !detached && connection.channel.isOpen && !pumping {
            pumping = true
            hub.loop.schedule(after: 2_000_000) { [weak self] in self?.pump() }
        }
    }

    // MARK: Membership

    func joined(_ state: RoomState) {
        guard user != nil, !detached else { return }
        rooms[state.room] = (state.kind, state.role)
        hub.subscribe(self, to: state.room)
        push(WireEncoder.push(.roomJoined(state)))
    }

    func left(_ room: String) {
        guard !detached, rooms.removeValue(forKey: room) != nil else { return }
        hub.unsubscribe(self, from: room)
        push(WireEncoder.push(.roomLeft(room: room)))
    }

    /// A push for this session alone, in order with the events (behind a replay in progress).
    private func push(_ payload: [UInt8]) {
        if backlog.isEmpty && !holding {
            connection.sendText(payload)
        } else {
            enqueue(WebSocketFrames.text(payload), live: true)
        }
    }

    static func unixNow() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec)
    }
}

extension ChatSession {
    static func unixMilliseconds() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }
}
