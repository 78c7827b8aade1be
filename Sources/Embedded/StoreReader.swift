import Chat
import Store
import WireProtocol

/// A room as a reader needs it: taken by the engine (whose state is authoritative) after the
/// commit that made everything up to `seq` durable, so a reader's snapshot holds all of it.
struct RoomView: Sendable {
    let id: String
    let kind: RoomKind
    let epoch: String
    /// The log's tip when the view was taken.
    let seq: Int64
}

/// The reads of one reader thread's connection: history pages, recovery from the store,
/// unread counts. Every event leaves in its current state (CurrentState.swift) and as the
/// reader's role may see it.
final class StoreReader {
    let db: SQLiteDatabase

    init(db: SQLiteDatabase) {
        self.db = db
    }

    /// Stored events (text-less) in their current state, in the order given.
    func currentEvents(_ stored: [StoredEvent], room: String) throws -> [Event] {
        guard let first = stored.first, let last = stored.last else { return [] }
        let range = min(first.seq, last.seq)...max(first.seq, last.seq)
        var texts = try db.messages(room: room, seqIn: range).mapValues(CurrentText.init)
        var events: [Event] = []
        events.reserveCapacity(stored.count)
        for record in stored {
            guard case .success(.push(.event(let event))) = WireDecoder.decodeServerFrame(record.body) else {
                throw StoreError.corrupt("event \(record.id) of \(room) cannot be read")
            }
            guard let subject = event.body.textSubject(eventID: event.id) else {
                events.append(event)
                continue
            }
            if texts[subject] == nil, let target = try db.message(room: room, id: subject) {
                texts[subject] = CurrentText(target)
            }
            // A message row always exists for a message or edit event; without one the text
            // is unknown, and a tombstone shows nothing rather than something wrong.
            events.append(event.showing(texts[subject] ?? .deleted))
        }
        return events
    }

    /// A page of consecutive events, oldest first. `role`: the reader's (what it may see of
    /// membership events); nil for the platform.
    func page(_ room: RoomView, anchor: HistoryCommand.Anchor, limit: Int, role: Role?) -> Result<HistoryPage, ProtocolError> {
        let limit = Int64(max(1, limit))
        var low: Int64
        var high: Int64
        var more: Bool
        do {
            switch anchor {
            case .latest:
                high = room.seq
                low = max(1, high - limit + 1)
                more = low > 1
            case .before(let id):
                guard let seq = try db.seq(room: room.id, eventID: id), seq <= room.seq else {
                    return .failure(ProtocolError(.notFound, "no such event in this room"))
                }
                high = seq - 1
                low = max(1, high - limit + 1)
                more = low > 1
            case .after(let id):
                guard let seq = try db.seq(room: room.id, eventID: id), seq <= room.seq else {
                    return .failure(ProtocolError(.notFound, "no such event in this room"))
                }
                low = seq + 1
                high = min(room.seq, seq + limit)
                more = high < room.seq
            }
            guard low <= high else { return .success(HistoryPage(room: room.id, epoch: room.epoch, events: [], more: false)) }
            let stored = try db.events(room: room.id, seqIn: low...high, limit: Int(limit))
            var events = try currentEvents(stored, room: room.id)
            if let role { events = events.map { $0.seen(in: room.kind, by: role) } }
            return .success(HistoryPage(room: room.id, epoch: room.epoch, events: events, more: more))
        } catch {
            return .failure(ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000))
        }
    }

    /// The frames after `position` up to the view's tip, as `role` sees them; nil when they
    /// cannot all be given: an unknown id, more than `maxEvents`, or more than `maxBytes`. The
    /// count is checked before anything is read, the bytes while reading (it stops at once).
    func recover(_ room: RoomView, after position: Position, role: Role, maxEvents: Int, maxBytes: Int) -> [[UInt8]]? {
        guard position.epoch == room.epoch else { return nil }
        guard let fromSeq = (try? db.seq(room: room.id, eventID: position.id)) ?? nil, fromSeq <= room.seq else { return nil }
        let missing = room.seq - fromSeq
        guard missing <= Int64(maxEvents) else { return nil }
        if missing == 0 { return [] }
        var frames: [[UInt8]] = []
        var bytes = 0
        var next = fromSeq + 1
        // In chunks, so that a room far over the byte budget costs one chunk, not the range.
        while next <= room.seq {
            let upper = min(room.seq, next + 127)
            guard let stored = try? db.events(room: room.id, seqIn: next...upper, limit: Int(upper - next + 1)),
                  stored.count == Int(upper - next + 1),
                  let events = try? currentEvents(stored, room: room.id) else { return nil }
            for event in events {
                let frame = WireEncoder.push(.event(event.seen(in: room.kind, by: role)))
                bytes += frame.count
                guard bytes <= maxBytes else { return nil }
                frames.append(frame)
            }
            next = upper + 1
        }
        return frames
    }

    /// Message events after `user`'s read position in `room`, counted up to 1,000.
    func unread(user: String, room: String) -> Int64? {
        guard let read = try? db.readSeq(user: user, room: room) else { return nil }
        return try? db.messageCount(room: room, afterSeq: read)
    }
}

extension Event {
    /// This event as a member with `role` in a room of `kind` sees it: membership events are
    /// reduced to the count below the `.seeMembers` right.
    func seen(in kind: RoomKind, by role: Role) -> Event {
        guard namesMember, !Rights.allows(.seeMembers, role: role, in: kind) else { return self }
        return countingMembers
    }
}

/// One room of a session's recovery that a reader reads from the store.
struct StoreRecovery: Sendable {
    let room: RoomView
    let position: Position
    let role: Role
}
