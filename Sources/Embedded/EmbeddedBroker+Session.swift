import Broker
import Chat
import Store
import WireProtocol

extension EmbeddedBroker {
    public func openSession(user: String, issuedAt: Int64?, positions: [Position], loop: Int,
                            completion: @escaping (Result<SessionSnapshot, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            if let refusal = broker.access[user]?.refusal(issuedAt: issuedAt, nowMs: Self.nowMs()) { return .failure(refusal) }
            return .success(broker.snapshot(user: user, positions: positions))
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

    /// The user's rooms at this point of every log, and the events missed after each
    /// position — gap-free with what is published next, since both reach the loop in order.
    func snapshot(user: String, positions: [Position]) -> SessionSnapshot {
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
                // Per room at most the recovery cap; per connect at most the session budget
                // (the replay must fit what a client can take without being cut).
                if let frames = missedEvents(room, after: position, role: role),
                   replayBytes + frames.reduce(0, { $0 + $1.count }) <= configuration.recoveryMaxBytesPerSession {
                    state.recovered = true
                    replayBytes += frames.reduce(0, { $0 + $1.count })
                    replay.append(contentsOf: frames)
                } else {
                    state.recovered = false
                }
            }
            states.append(state)
        }
        return SessionSnapshot(rooms: states, replay: replay)
    }

    /// The frames after `position`, or nil when they cannot all be given (other epoch,
    /// unknown id, more than the recovery cap).
    func missedEvents(_ room: RoomEntry, after position: Position, role: Role) -> [[UInt8]]? {
        guard position.epoch == room.epoch else { return nil }
        if position.id == room.last { return [] }
        let fromSeq: Int64
        if let inMemory = room.recent.last(where: { $0.id == position.id }) {
            fromSeq = inMemory.seq
        } else if let stored = (try? db.seq(room: room.id, eventID: position.id)) ?? nil {
            fromSeq = stored
        } else {
            return nil
        }
        let missing = room.seq - fromSeq
        guard missing <= Int64(configuration.recoveryMaxEvents) else { return nil }
        var frames: [[UInt8]]
        if let first = room.recent.first, first.seq <= fromSeq + 1 {
            let seesMembers = Rights.allows(.seeMembers, role: role, in: room.kind)
            frames = room.recent.filter { $0.seq > fromSeq }.map { seesMembers ? $0.frame : $0.limited ?? $0.frame }
        } else {
            guard let stored = try? db.events(room: room.id, seqIn: (fromSeq + 1)...room.seq, limit: Int(missing)),
                  let events = try? currentEvents(stored, room: room.id) else { return nil }
            frames = events.map { WireEncoder.push(.event(view($0, kind: room.kind, role: role))) }
        }
        guard frames.count == Int(missing) else { return nil }
        var bytes = 0
        for frame in frames { bytes += frame.count }
        return bytes <= configuration.recoveryMaxBytes ? frames : nil
    }


    public func rooms(user: String, loop: Int, completion: @escaping (Result<[RoomState], ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            var states: [RoomState] = []
            for roomID in (broker.userRooms[user] ?? []).sorted() where !broker.isHidden(roomID, by: user) {
                guard let room = broker.rooms[roomID], let role = room.members[user] else { continue }
                var state = room.state(for: user, role: role)
                state.unread = try? broker.db.messageCount(room: roomID, afterSeq: broker.db.readSeq(user: user, room: roomID))
                states.append(state)
            }
            return .success(states)
        }
    }

    public func markRead(user: String, room roomID: String, event: String, loop: Int,
                         completion: @escaping (Result<Int64, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            guard let room = broker.rooms[roomID], room.members[user] != nil else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard let seq = (try? broker.db.seq(room: roomID, eventID: event)) ?? nil else {
                return .failure(ProtocolError(.notFound, "no such event"))
            }
            if case .failure(let error) = broker.stage([.setReadPosition(user: user, room: roomID, eventID: event, seq: seq)]) {
                return .failure(error)
            }
            let readSeq = (try? broker.db.readSeq(user: user, room: roomID)) ?? seq
            return .success((try? broker.db.messageCount(room: roomID, afterSeq: readSeq)) ?? 0)
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
