import Broker
import Chat
import Dispatch
import Store
import WireProtocol

extension EmbeddedBroker {
    public func append(_ request: AppendRequest, loop: Int, completion: @escaping (Result<AppendResult, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, outcome in
            broker.performAppend(request, outcome: &outcome)
        }
    }

    func performAppend(_ request: AppendRequest, outcome: inout Outcome) -> Result<AppendResult, ProtocolError> {
        // A banned user appends nothing, whichever command (the platform also closes their
        // sessions; this holds for a command already on its way).
        if let refusal = appendRefusal(request.author) { return .failure(refusal) }
        switch request {
        case .message(let roomID, let author, let text, let cmid, let replyTo):
            guard let room = rooms[roomID] else { return .failure(ProtocolError(.notFound, "no such room")) }
            return postMessage(room, author: author, text: text, cmid: cmid, replyTo: replyTo, outcome: &outcome)
        case .direct(let from, let to, let text, let cmid, let replyTo):
            return postDirect(from: from, to: to, text: text, cmid: cmid, replyTo: replyTo, outcome: &outcome)
        case .edit(let roomID, let author, let target, let text):
            guard let room = rooms[roomID], let role = room.members[author] else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard let message = try? db.message(room: roomID, id: target), !message.deleted else {
                return .failure(ProtocolError(.notFound, "no such message"))
            }
            guard message.author == author else { return .failure(ProtocolError(.notAuthor, "only the author edits a message")) }
            guard Rights.allows(.editOwn, role: role, in: room.kind) else {
                return .failure(ProtocolError(.forbidden, "your role cannot edit here"))
            }
            // An edit is a post: it reaches the other person as new text, so every rule of a
            // direct message holds for it too (a block, a left group, the platform's setting).
            if let refusal = directRefusal(author: author, in: room) {
                return .failure(ProtocolError(refusal, directRefusalMessage(refusal)))
            }
            if case .failure(let error) = unhide(room, outcome: &outcome) { return .failure(error) }
            return appendEvent(room, body: .edit(author: author, target: target, text: text),
                               change: .edit(target: target, text: text), actor: author, target: target, outcome: &outcome)
        case .delete(let roomID, let actor, let target):
            guard let room = rooms[roomID], let role = room.members[actor] else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard let message = try? db.message(room: roomID, id: target), !message.deleted else {
                return .failure(ProtocolError(.notFound, "no such message"))
            }
            let action: ChatAction = message.author == actor ? .deleteOwn : .deleteOthers
            guard Rights.allows(action, role: role, in: room.kind) else {
                return .failure(ProtocolError(.forbidden, "your role cannot delete this message"))
            }
            return appendEvent(room, body: .delete(actor: actor, target: target),
                               change: .delete(target: target), actor: actor, target: target, outcome: &outcome)
        }
    }

    /// A message from `author` (a member, or nil... the platform when posting as "system").
    /// `directChecked`: the caller (a `dm`) has just applied the direct-message rules.
    func postMessage(_ room: RoomEntry, author: String, text: String, cmid: String, replyTo: String?,
                     asPlatform: Bool = false, directChecked: Bool = false,
                     outcome: inout Outcome) -> Result<AppendResult, ProtocolError> {
        // Idempotence first: a resend of a stored message gets its answer even if the author
        // has since lost the right to post (it was acknowledged-worthy when it was written).
        if let known = room.knownCmid(author: author, cmid: cmid) { return .success(known) }
        if let stored = try? db.message(room: room.id, author: author, cmid: cmid) {
            return .success(AppendResult(id: stored.id, seq: stored.seq, at: stored.at))
        }
        if !asPlatform {
            guard let role = room.members[author] else { return .failure(ProtocolError(.notMember, "not a member of this room")) }
            guard Rights.allows(.post, role: role, in: room.kind) else {
                return .failure(ProtocolError(.forbidden, "your role cannot post in this room"))
            }
            // The direct-message rules hold for every message, not only the first: a member who
            // left the shared group, a block, or the platform's setting stops the conversation.
            if !directChecked, let refusal = directRefusal(author: author, in: room) {
                return .failure(ProtocolError(refusal, directRefusalMessage(refusal)))
            }
        }
        if let replyTo, (try? db.message(room: room.id, id: replyTo)) ?? nil == nil {
            return .failure(ProtocolError(.invalidArgument, "replyTo names no message of this room", field: "replyTo"))
        }
        if case .failure(let error) = unhide(room, outcome: &outcome) { return .failure(error) }
        let result = appendEvent(room, body: .message(author: author, text: text, cmid: cmid, replyTo: replyTo),
                                 change: .create(author: author, cmid: cmid, text: text, replyTo: replyTo),
                                 actor: author, target: nil, outcome: &outcome)
        if case .success(let appended) = result {
            room.rememberCmid(author: author, cmid: cmid, result: appended, limit: configuration.recentCmidsPerRoom)
        }
        return result
    }

    private func postDirect(from: String, to: String, text: String, cmid: String, replyTo: String?,
                            outcome: inout Outcome) -> Result<AppendResult, ProtocolError> {
        guard Identifier.isUserID(to) else { return .failure(ProtocolError(.invalidArgument, "not a user id", field: "to")) }
        if let refusal = dmPolicy.check(sender: from, senderRooms: memberships(of: from), recipient: to,
                                        recipientRooms: memberships(of: to), blocked: isBlocked(from, to)) {
            let field: String? = refusal == .invalidArgument ? "to" : nil
            return .failure(ProtocolError(refusal, directRefusalMessage(refusal), field: field))
        }
        let roomID = DirectRoom.id(between: from, and: to)
        if replyTo != nil && rooms[roomID] == nil {
            return .failure(ProtocolError(.invalidArgument, "replyTo names no message of this conversation", field: "replyTo"))
        }
        let room: RoomEntry
        if let existing = rooms[roomID] {
            room = existing
        } else {
            switch createDirectRoom(roomID, between: from, and: to, outcome: &outcome) {
            case .success(let created): room = created
            case .failure(let error): return .failure(error)
            }
        }
        return postMessage(room, author: from, text: text, cmid: cmid, replyTo: replyTo, directChecked: true,
                           outcome: &outcome).map {
            var result = $0
            result.room = roomID
            return result
        }
    }

    /// In a direct room, why `author` may not write to the other participant now (nil: they may;
    /// also nil outside direct rooms).
    func directRefusal(author: String, in room: RoomEntry) -> ErrorCode? {
        guard room.kind == .direct, let peer = DirectRoom.peer(of: author, in: room.id) else { return nil }
        return dmPolicy.check(sender: author, senderRooms: memberships(of: author), recipient: peer,
                              recipientRooms: memberships(of: peer), blocked: isBlocked(author, peer))
    }

    func directRefusalMessage(_ code: ErrorCode) -> String {
        switch code {
        case .blocked: return "this conversation is blocked"
        case .dmDisabled: return "direct messages between members are turned off"
        case .invalidArgument: return "you cannot write to yourself"
        default: return "you share no group with this user and they lead none of your rooms"
        }
    }

    func memberships(of user: String) -> [String: Membership] {
        var out: [String: Membership] = [:]
        for roomID in userRooms[user] ?? [] {
            if let room = rooms[roomID], let role = room.members[user] { out[roomID] = Membership(kind: room.kind, role: role) }
        }
        return out
    }

    /// Opens the direct room of `a` (the sender) and `b`. It counts against neither's group-room
    /// quota, only against the direct-room cap; and `a` may open only so many an hour.
    private func createDirectRoom(_ id: String, between a: String, and b: String, outcome: inout Outcome) -> Result<RoomEntry, ProtocolError> {
        for user in [a, b] where (directCounts[user] ?? 0) >= configuration.directRoomsPerUser {
            let whose = user == a ? "you are" : "\(user) is"
            return .failure(ProtocolError(.tooManyRooms, "\(whose) in too many conversations"))
        }
        let now = DispatchTime.now().uptimeNanoseconds
        var bucket = newDirectBuckets[a] ?? TokenBucket(rate: Double(configuration.newDirectRoomsPerHour) / 3_600,
                                                       burst: Double(configuration.newDirectRoomsPerHour), now: now)
        if let wait = bucket.take(now: now) {
            newDirectBuckets[a] = bucket
            return .failure(.rateLimited(retryAfterMs: Int64(min(wait / 1_000_000 + 1, 3_600_000))))
        }
        newDirectBuckets[a] = bucket
        if newDirectBuckets.count > 10_000 { forgetFullDirectBuckets(now: now) }
        let record = RoomRecord(id: id, kind: RoomKind.direct.rawValue, name: nil, epoch: Self.newEpoch(), createdAt: 0)
        let staged = stage([.createRoom(record),
                            .putMember(MemberRecord(room: id, user: a, role: Role.member.rawValue), at: 0),
                            .putMember(MemberRecord(room: id, user: b, role: Role.member.rawValue), at: 0)])
        if case .failure(let error) = staged { return .failure(error) }
        let room = RoomEntry(id: id, kind: .direct, name: nil, epoch: record.epoch, last: nil, seq: 0, lastAt: 0)
        rooms[id] = room
        for user in [a, b] {
            room.members[user] = .member
            userRooms[user, default: []].insert(id)
            directCounts[user, default: 0] += 1
            let state = room.state(for: user, role: .member)
            outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.joined(user: user, state: state)) } }
        }
        return .success(room)
    }

    /// Appends one event: assigns id/seq/prev, encodes the push once, stages the rows, moves
    /// the tip, and publishes after the commit.
    func appendEvent(_ room: RoomEntry, body: EventBody, change: MessageChange?, actor: String?, target: String?,
                     outcome: inout Outcome) -> Result<AppendResult, ProtocolError> {
        let seq = room.seq + 1
        let at = timestamp(for: room)
        let id = "\(at)-\(seq)"
        var event = Event(room: room.id, epoch: room.epoch, id: id, prev: room.last, seq: seq, at: at, body: body)
        var limited: LimitedFrame?
        if event.namesMember {
            // The member count after the change (a leaving member is already out of `members`).
            event.members = Int64(room.members.count)
            if let minimum = membersVisibleFrom(room.kind), minimum > .follower {
                limited = LimitedFrame(frame: WireEncoder.push(.event(event.countingMembers)), minimumRole: minimum)
            }
        }
        let frame = WireEncoder.push(.event(event))
        // The log keeps no text (CurrentState.swift): the text lives in `messages`.
        var skeleton = event
        skeleton.body = body.withoutText
        let storedBody = skeleton.body == body ? frame : WireEncoder.push(.event(skeleton))
        let stored = StoredEvent(room: room.id, id: id, seq: seq, at: at, kind: body.kind, actor: actor, target: target,
                                 body: storedBody)
        if case .failure(let error) = stage([.append(stored, change)]) { return .failure(error) }
        room.seq = seq
        room.last = id
        room.lastAt = at
        // An edit or delete changes what earlier frames of the window may show.
        switch change {
        case .edit(let target, let text):
            recentBytesTotal += room.restate(target, CurrentText(text: text, edited: true))
            checkpointPending = true
        case .delete(let target):
            recentBytesTotal += room.restate(target, .deleted)
            checkpointPending = true
        case .create, nil:
            break
        }
        recentBytesTotal += room.remember(frame, limited: limited?.frame, id: id, seq: seq, subject: body.textSubject(eventID: id),
                                          limit: configuration.recentEventsPerRoom)
        if recentBytesTotal > configuration.recentBytesTotal { trimRecentWindows() }
        let published = PublishedEvent(room: room.id, id: id, seq: seq, frame: frame, limited: limited)
        outcome.onCommit.append { [self] in broadcast { $0.brokerPublished(published) } }
        return .success(AppendResult(id: id, seq: seq, at: at))
    }
}

extension AppendRequest {
    /// Who appends.
    var author: String {
        switch self {
        case .message(_, let author, _, _, _), .edit(_, let author, _, _): return author
        case .direct(let from, _, _, _, _): return from
        case .delete(_, let actor, _): return actor
        }
    }
}

extension EmbeddedBroker {
    /// The lowest role that sees who joins and leaves a room of `kind` (nil: no such events).
    func membersVisibleFrom(_ kind: RoomKind) -> Role? {
        Rights.minimumRole(for: .seeMembers, in: kind)
    }

    /// Drops the new-direct-room buckets that have refilled (they hold nothing a new one
    /// would not), so the map stays bounded by the users who opened conversations lately.
    func forgetFullDirectBuckets(now: UInt64) {
        newDirectBuckets = newDirectBuckets.filter { _, bucket in
            bucket.isBelowBurst(now: now)
        }
    }

    /// Brings a direct room back into the lists of the participants who hid it: a new message
    /// or edit arrives (a block refuses it before this). The membership push goes out before
    /// the event, so their sessions subscribe first.
    func unhide(_ room: RoomEntry, outcome: inout Outcome) -> Result<Void, ProtocolError> {
        guard room.kind == .direct, !hidden.isEmpty else { return .success(()) }
        for user in room.members.keys where isHidden(room.id, by: user) {
            if case .failure(let error) = stage([.unhide(user: user, room: room.id)]) { return .failure(error) }
            hidden.remove(Self.blockKey(user, room.id))
            let state = room.state(for: user, role: .member)
            outcome.onCommit.append { [self] in broadcast { $0.brokerMembershipChanged(.joined(user: user, state: state)) } }
        }
        return .success(())
    }

    /// Drops the recent windows of the least recently active rooms until the total is back
    /// under 3/4 of the budget.
    func trimRecentWindows() {
        let target = configuration.recentBytesTotal / 4 * 3
        for room in rooms.values.filter({ $0.recentBytes > 0 }).sorted(by: { $0.lastAt < $1.lastAt }) {
            guard recentBytesTotal > target else { return }
            recentBytesTotal -= room.forgetRecent()
        }
    }
}
