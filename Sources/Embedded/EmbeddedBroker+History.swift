import Broker
import Chat
import Store
import WireProtocol

extension EmbeddedBroker {
    public func history(user: String, room roomID: String, anchor: HistoryCommand.Anchor, limit: Int, loop: Int,
                        completion: @escaping (Result<HistoryPage, ProtocolError>) -> Void) {
        submit(loop: loop, completion: completion) { broker, _ in
            guard let room = broker.rooms[roomID], let role = room.members[user] else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard Rights.allows(.read, role: role, in: room.kind) else {
                return .failure(ProtocolError(.forbidden, "your role cannot read this room"))
            }
            return broker.page(room, anchor: anchor, limit: limit, role: role)
        }
    }

    /// A page of consecutive events, oldest first, each in its current state (CurrentState.swift).
    /// `role`: the reader's (what it may see of membership events); nil for the platform.
    func page(_ room: RoomEntry, anchor: HistoryCommand.Anchor, limit: Int, role: Role?) -> Result<HistoryPage, ProtocolError> {
        let limit = Int64(max(1, limit))
        var low: Int64
        var high: Int64
        var more: Bool
        switch anchor {
        case .latest:
            high = room.seq
            low = max(1, high - limit + 1)
            more = low > 1
        case .before(let id):
            guard let seq = (try? db.seq(room: room.id, eventID: id)) ?? nil else {
                return .failure(ProtocolError(.notFound, "no such event in this room"))
            }
            high = seq - 1
            low = max(1, high - limit + 1)
            more = low > 1
        case .after(let id):
            guard let seq = (try? db.seq(room: room.id, eventID: id)) ?? nil else {
                return .failure(ProtocolError(.notFound, "no such event in this room"))
            }
            low = seq + 1
            high = min(room.seq, seq + limit)
            more = high < room.seq
        }
        guard low <= high else { return .success(HistoryPage(room: room.id, epoch: room.epoch, events: [], more: false)) }
        do {
            let stored = try db.events(room: room.id, seqIn: low...high, limit: Int(limit))
            var events = try currentEvents(stored, room: room.id)
            if let role { events = events.map { view($0, kind: room.kind, role: role) } }
            return .success(HistoryPage(room: room.id, epoch: room.epoch, events: events, more: more))
        } catch {
            return .failure(ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000))
        }
    }
}
