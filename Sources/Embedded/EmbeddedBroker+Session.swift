import Broker
import Chat
import Store
import WireProtocol

extension EmbeddedBroker {
    public func openSession(user: String, issuedAt: Int64?, positions: [Position], loop: Int,
                            completion: @escaping (Result<SessionSnapshot, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, outcome in
            if let refusal = broker.access[user]?.refusal(issuedAt: issuedAt, nowMs: Self.nowMs()) { return .failure(refusal) }
            var fromStore: [StoreRecovery] = []
            var snapshot = broker.snapshot(user: user, positions: positions, fromStore: &fromStore)
            if !fromStore.isEmpty {
                let pending = PendingRecovery()
                snapshot.pending = pending
                let budget = broker.configuration.recoveryMaxBytesPerSession - snapshot.replay.reduce(0) { $0 + $1.count }
                outcome.onCommit.append { broker.recoverFromStore(fromStore, budget: budget, into: pending, loop: loop) }
            }
            return .success(snapshot)
        }
    }

    public func checkAccess(user: String, issuedAt: Int64?, loop: Int, completion: @escaping (Result<Void, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            if let refusal = broker.access[user]?.refusal(issuedAt: issuedAt, nowMs: Self.nowMs()) { return .failure(refusal) }
            return .success(())
        }
    }

    public func closeSession(user: String, loop: Int) {
        _ = enqueue({ broker in
            if let count = broker.sessions[user] { broker.sessions[user] = count > 1 ? count - 1 : nil }
            return Outcome()
        })
    }

    /// The user's rooms at this point of every log, and the events missed after each position
    /// that the engine's memory holds — gap-free with what is published next, since both reach
    /// the loop in order. Rooms whose missed events are only in the store go to `fromStore`:
    /// a reader thread reads them, and the session holds its live events meanwhile.
    func snapshot(user: String, positions: [Position], fromStore: inout [StoreRecovery]) -> SessionSnapshot {
        sessions[user, default: 0] += 1
        var byRoom: [String: Position] = [:]
        for position in positions { byRoom[position.room] = position }
        var states: [RoomState] = []
        var replay: [[UInt8]] = []
        var replayBytes = 0
        for roomID in (userRooms[user] ?? []).sorted() where !isHidden(roomID, by: user) {
            guard let room = rooms[roomID], let role = room.members[user] else { continue }
            var state = room.state(for: user, role: role)
            if let position = byRoom[roomID] {
                switch missedInMemory(room, after: position, role: role) {
                case .frames(let frames):
                    // Per room at most the recovery cap; per connect at most the session budget
                    // (the replay must fit what a client can take without being cut).
                    let bytes = frames.reduce(0) { $0 + $1.count }
                    if bytes <= configuration.recoveryMaxBytes && replayBytes + bytes <= configuration.recoveryMaxBytesPerSession {
                        state.recovered = true
                        replayBytes += bytes
                        replay.append(contentsOf: frames)
                    } else {
                        state.recovered = false
                    }
                case .impossible:
                    state.recovered = false
                case .inStore:
                    fromStore.append(StoreRecovery(room: room.view, position: position, role: role))
                }
            }
            states.append(state)
        }
        return SessionSnapshot(rooms: states, replay: replay)
    }

    enum MissedEvents {
        case frames([[UInt8]])
        /// Another epoch, or more than the recovery cap: `recovered: false`, nothing read.
        case impossible
        /// The position is older than the room's window (or unknown to it): a reader decides.
        case inStore
    }

    /// What the engine's memory can tell of the events after `position`, without any read.
    func missedInMemory(_ room: RoomEntry, after position: Position, role: Role) -> MissedEvents {
        guard position.epoch == room.epoch else { return .impossible }
        if position.id == room.last { return .frames([]) }
        guard let index = room.windowIndex(of: position.id) else {
            // Fewer events than the cap since the window's start cannot be older than it; an
            // id not in the window is older than the window, or unknown (the reader tells).
            return .inStore
        }
        let fromSeq = room.recent[index].seq
        guard room.seq - fromSeq <= Int64(configuration.recoveryMaxEvents) else { return .impossible }
        let seesMembers = Rights.allows(.seeMembers, role: role, in: room.kind)
        return .frames(room.recent[(index + 1)...].map { seesMembers ? $0.frame : $0.limited ?? $0.frame })
    }

    /// Reads the rooms of `work` in a reader thread, each within the per-room cap and all within
    /// `budget` bytes, and resolves `pending` on the session's loop.
    func recoverFromStore(_ work: [StoreRecovery], budget: Int, into pending: PendingRecovery, loop: Int) {
        let maxEvents = configuration.recoveryMaxEvents
        let maxBytes = configuration.recoveryMaxBytes
        let queued = readers.submit { [self] reader in
            var left = budget
            var outcome = PendingRecovery.Outcome(recovered: [:], replay: [])
            for item in work {
                let frames = left > 0 ? reader.recover(item.room, after: item.position, role: item.role,
                                                      maxEvents: maxEvents, maxBytes: min(maxBytes, left)) : nil
                outcome.recovered[item.room.id] = frames != nil
                if let frames {
                    left -= frames.reduce(0) { $0 + $1.count }
                    outcome.replay.append(contentsOf: frames)
                }
            }
            answerFromReader(loop: loop) { pending.resolve(outcome) }
        }
        if !queued {
            // Too many reads queued: those rooms are not recovered (the client pages history).
            let refused = PendingRecovery.Outcome(recovered: Dictionary(uniqueKeysWithValues: work.map { ($0.room.id, false) }),
                                                  replay: [])
            answer(loop: loop) { pending.resolve(refused) }
        }
    }

    public func rooms(user: String, loop: Int, completion: @escaping (Result<[RoomState], ProtocolError>) -> Void) {
        submitRead(loop: loop, completion: completion) { broker in
            var states: [RoomState] = []
            for roomID in (broker.userRooms[user] ?? []).sorted() where !broker.isHidden(roomID, by: user) {
                guard let room = broker.rooms[roomID], let role = room.members[user] else { continue }
                states.append(room.state(for: user, role: role))
            }
            // Unread counts (up to 1,000 rows a room) are the reader's.
            return .success { reader in
                .success(states.map { state in
                    var state = state
                    state.unread = reader.unread(user: user, room: state.room)
                    return state
                })
            }
        }
    }

    public func markRead(user: String, room roomID: String, event: String, loop: Int,
                         completion: @escaping (Result<Int64, ProtocolError>) -> Void) {
        // The position is written by the engine (one point lookup unless the window has the
        // event); the unread count after it is the reader's.
        submitRead(loop: loop, completion: completion) { broker in
            guard let room = broker.rooms[roomID], room.members[user] != nil else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            let inWindow = room.windowIndex(of: event).map { room.recent[$0].seq }
            guard let seq = inWindow ?? (try? broker.db.seq(room: roomID, eventID: event)) ?? nil else {
                return .failure(ProtocolError(.notFound, "no such event"))
            }
            if case .failure(let error) = broker.stage([.setReadPosition(user: user, room: roomID, eventID: event, seq: seq)]) {
                return .failure(error)
            }
            return .success { reader in .success(reader.unread(user: user, room: roomID) ?? 0) }
        }
    }

    public func setBlocked(user: String, other: String, blocked: Bool, loop: Int,
                           completion: @escaping (Result<Void, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            guard Identifier.isUserID(other), other != user else {
                return .failure(ProtocolError(.invalidArgument, "not another user's id", field: "user"))
            }
            let key = Self.blockKey(user, other)
            let exists = broker.blocks.contains(key)
            guard blocked != exists else { return .success(()) }   // idempotent
            if blocked && broker.blockCounts[user, default: 0] >= broker.configuration.blocksPerUser {
                return .failure(ProtocolError(.tooManyBlocks, "you have blocked \(broker.configuration.blocksPerUser) users already; unblock one first"))
            }
            let write: StoreWrite = blocked ? .block(user: user, blocked: other) : .unblock(user: user, blocked: other)
            if case .failure(let error) = broker.stage([write]) { return .failure(error) }
            if blocked {
                broker.blocks.insert(key)
                broker.blockCounts[user, default: 0] += 1
            } else {
                broker.blocks.remove(key)
                broker.blockCounts[user, default: 1] -= 1
                if broker.blockCounts[user] == 0 { broker.blockCounts[user] = nil }
            }
            return .success(())
        }
    }

    public func setHidden(user: String, room roomID: String, loop: Int,
                          completion: @escaping (Result<Void, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, outcome in
            guard let room = broker.rooms[roomID], room.members[user] != nil else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard room.kind == .direct else {
                return .failure(ProtocolError(.forbidden, "only a direct room can be hidden; the platform manages group membership"))
            }
            guard !broker.isHidden(roomID, by: user) else { return .success(()) }
            if case .failure(let error) = broker.stage([.hide(user: user, room: roomID)]) { return .failure(error) }
            broker.hidden.insert(Self.blockKey(user, roomID))
            outcome.onCommit.append { broker.broadcast { $0.brokerMembershipChanged(.left(user: user, room: roomID)) } }
            return .success(())
        }
    }
}
