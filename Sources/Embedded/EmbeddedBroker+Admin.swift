import Broker
import Chat
import Store
import WireProtocol

extension EmbeddedBroker {
    public func admin(_ operation: AdminOperation, loop: Int, completion: @escaping (Result<AdminResult, ProtocolError>) -> Void) {
        // History is read by a reader thread, like a member's.
        if case .history(let roomID, let anchor, let limit) = operation {
            return submitRead(loop: loop, completion: completion) { broker in
                guard let room = broker.rooms[roomID] else { return .failure(ProtocolError(.notFound, "no such room")) }
                let view = room.view
                return .success { reader in reader.page(view, anchor: anchor, limit: limit, role: nil).map { .history($0) } }
            }
        }
        submit(loop: loop, completion: completion) { broker, outcome in
            broker.perform(operation, outcome: &outcome)
        }
    }

    func info(_ room: RoomEntry) -> RoomInfo {
        RoomInfo(id: room.id, kind: room.kind, name: room.name, epoch: room.epoch, last: room.last, seq: room.seq,
                 members: room.members.count)
    }

    func perform(_ operation: AdminOperation, outcome: inout Outcome) -> Result<AdminResult, ProtocolError> {
        switch operation {
        case .createRoom(let id, let kind, let name):
            guard Identifier.isRoomID(id), !id.hasPrefix("dm:"), kind != .direct else {
                return .failure(ProtocolError(.invalidArgument, "a room id is 1-128 of [A-Za-z0-9_.:|@-], not starting with dm:; direct rooms are made by dm", field: "id"))
            }
            guard rooms[id] == nil else { return .failure(ProtocolError(.invalidArgument, "room \(id) already exists", field: "id")) }
            let record = RoomRecord(id: id, kind: kind.rawValue, name: name, epoch: Self.newEpoch(), createdAt: 0)
            if case .failure(let error) = stage([.createRoom(record)]) { return .failure(error) }
            let room = RoomEntry(id: id, kind: kind, name: name, epoch: record.epoch, last: nil, seq: 0, lastAt: 0)
            rooms[id] = room
            return .success(.room(info(room)))
        case .updateRoom(let id, let name):
            guard let room = rooms[id] else { return .failure(ProtocolError(.notFound, "no such room")) }
            if case .failure(let error) = stage([.updateRoomName(room: id, name: name)]) { return .failure(error) }
            room.name = name
            return .success(.room(info(room)))
        case .deleteRoom(let id):
            guard let room = rooms[id] else { return .failure(ProtocolError(.notFound, "no such room")) }
            if case .failure(let error) = stage([.deleteRoom(id)]) { return .failure(error) }
            rooms[id] = nil
            // The room's share of the recent-window budget comes back with it.
            recentBytesTotal -= room.forgetRecent()
            for user in room.members.keys {
                userRooms[user]?.remove(id)
                if room.kind == .direct { directCounts[user, default: 1] -= 1 }
                hidden.remove(Self.blockKey(user, id))
                outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.left(user: user, room: id)) } }
            }
            return .success(.done)
        case .putMembers(let roomID, let members):
            guard let room = rooms[roomID] else { return .failure(ProtocolError(.notFound, "no such room")) }
            guard room.kind != .direct else { return .failure(ProtocolError(.forbidden, "direct rooms have fixed members")) }
            // All or nothing: everything that can refuse is checked before anything changes.
            var newRooms: [String: Int] = [:]
            for (user, _) in members {
                guard Identifier.isUserID(user) else {
                    return .failure(ProtocolError(.invalidArgument, "bad user id \(user)", field: "user"))
                }
                if room.members[user] == nil && newRooms[user] == nil {
                    newRooms[user] = 1
                    if groupRoomCount(of: user) + 1 > configuration.roomsPerUser {
                        return .failure(ProtocolError(.tooManyRooms, "\(user) is in too many rooms"))
                    }
                }
            }
            for (user, role) in members {
                if case .failure(let error) = putMember(room, user: user, role: role, outcome: &outcome) { return .failure(error) }
            }
            return .success(.room(info(room)))
        case .removeMembers(let roomID, let users):
            guard let room = rooms[roomID] else { return .failure(ProtocolError(.notFound, "no such room")) }
            guard room.kind != .direct else { return .failure(ProtocolError(.forbidden, "direct rooms have fixed members")) }
            for user in users where room.members[user] != nil {
                if case .failure(let error) = stage([.removeMember(room: roomID, user: user)]) { return .failure(error) }
                room.members[user] = nil
                // The member still receives their own member.left (the loops drop them only
                // on the room.left that follows it), which carries the count without them.
                if case .failure(let error) = appendEvent(room, body: .memberLeft(user: user), change: nil,
                                                          actor: nil, target: user, outcome: &outcome) {
                    return .failure(error)
                }
                userRooms[user]?.remove(roomID)
                outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.left(user: user, room: roomID)) } }
            }
            return .success(.room(info(room)))
        case .post(let roomID, let author, let text, let cmid):
            guard let room = rooms[roomID] else { return .failure(ProtocolError(.notFound, "no such room")) }
            if let author, room.members[author] == nil {
                return .failure(ProtocolError(.notMember, "\(author) is not a member of this room"))
            }
            if let author, let refusal = appendRefusal(author) { return .failure(refusal) }
            return postMessage(room, author: author ?? "system", text: text, cmid: cmid, replyTo: nil,
                               asPlatform: true, outcome: &outcome).map { .appended($0) }
        case .history:
            // Only `prepare` (start-up seeding) gets here; `admin` sends history to a reader.
            return .failure(ProtocolError(.unavailable, "history is not served during start-up"))
        case .setAccess(let user, let change):
            guard Identifier.isUserID(user), user != "system" else {
                return .failure(ProtocolError(.invalidArgument, "not a user id", field: "user"))
            }
            var restriction = access[user] ?? UserAccess()
            switch change {
            case .ban(let until): restriction.bannedUntil = until ?? Int64.max
            case .unban: restriction.bannedUntil = nil
            case .revokeTokens(let before): restriction.revokedBefore = max(before, restriction.revokedBefore ?? before)
            }
            let staged = stage([.setAccess(user: user, bannedUntil: restriction.bannedUntil, revokedBefore: restriction.revokedBefore)])
            if case .failure(let error) = staged { return .failure(error) }
            access[user] = restriction.isEmpty ? nil : restriction
            let changed = restriction
            outcome.onCommit.append { [self] in broadcast { $0.brokerAccessChanged(user: user, access: changed) } }
            return .success(.access(user: user, restriction))
        case .stats:
            // From memory: a count over the events table would stall every room's appends.
            let members = rooms.values.reduce(0) { $0 + $1.members.count }
            let events = rooms.values.reduce(Int64(0)) { $0 + $1.seq }
            return .success(.stats(rooms: rooms.count, members: members, events: events,
                                   sessions: sessions.values.reduce(0, +)))
        }
    }

    /// Adds `user` with `role`, or changes their role: the membership change reaches the
    /// loops before the event, so the new member's sessions receive the event too.
    private func putMember(_ room: RoomEntry, user: String, role: Role, outcome: inout Outcome) -> Result<Void, ProtocolError> {
        guard Identifier.isUserID(user) else { return .failure(ProtocolError(.invalidArgument, "bad user id \(user)", field: "user")) }
        let previous = room.members[user]
        if previous == role { return .success(()) }
        if previous == nil && groupRoomCount(of: user) >= configuration.roomsPerUser {
            return .failure(ProtocolError(.tooManyRooms, "\(user) is in too many rooms"))
        }
        if case .failure(let error) = stage([.putMember(MemberRecord(room: room.id, user: user, role: role.rawValue), at: 0)]) {
            return .failure(error)
        }
        room.members[user] = role
        userRooms[user, default: []].insert(room.id)
        let body: EventBody
        if previous == nil {
            let state = room.state(for: user, role: role)
            outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.joined(user: user, state: state)) } }
            body = .memberJoined(user: user, role: role)
        } else {
            let roomID = room.id
            outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.roleChanged(user: user, room: roomID, role: role)) } }
            body = .memberRole(user: user, role: role)
        }
        return appendEvent(room, body: body, change: nil, actor: nil, target: user, outcome: &outcome).map { _ in () }
    }
}

extension EmbeddedBroker {
    /// Runs an admin operation synchronously on the calling thread, before `start` (start-up
    /// seeding, e.g. the development rooms). Membership pushes are not sent: no loop listens yet.
    public func prepare(_ operation: AdminOperation) throws(StoreError) -> Result<AdminResult, ProtocolError> {
        precondition(!isStarted, "prepare runs before start")
        try db.execute("BEGIN IMMEDIATE")
        var outcome = Outcome()
        let result = perform(operation, outcome: &outcome)
        do {
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            throw error
        }
        return result
    }
}
