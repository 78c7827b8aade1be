import Broker
import Chat
import Store
import WireProtocol

extension EmbeddedBroker {
    /// A page of history: rights checked by the engine, the page read by a reader thread.
    public func history(user: String, room roomID: String, anchor: HistoryCommand.Anchor, limit: Int, loop: Int,
                        completion: @escaping (Result<HistoryPage, ProtocolError>) -> Void) {
        submitRead(loop: loop, completion: completion) { broker in
            guard let room = broker.rooms[roomID], let role = room.members[user] else {
                return .failure(ProtocolError(.notMember, "not a member of this room"))
            }
            guard Rights.allows(.read, role: role, in: room.kind) else {
                return .failure(ProtocolError(.forbidden, "your role cannot read this room"))
            }
            let view = room.view
            return .success { reader in reader.page(view, anchor: anchor, limit: limit, role: role) }
        }
    }
}

extension RoomEntry {
    /// What a reader needs of the room, as of now.
    var view: RoomView { RoomView(id: id, kind: kind, epoch: epoch, seq: seq) }
}
