import Broker
import WireProtocol

/// JSON bodies of the HTTP API.
enum APIJSON {
    static func object(_ members: (inout JSONWriter) -> Void) -> [UInt8] {
        var writer = JSONWriter(capacity: 256)
        writer.beginObject()
        members(&writer)
        writer.endObject()
        return writer.bytes
    }

    static func encode(_ result: AdminResult) -> [UInt8] {
        switch result {
        case .done:
            return object { $0.key("ok"); $0.bool(true) }
        case .room(let room):
            return object { w in
                w.key("id"); w.string(room.id)
                w.key("kind"); w.string(room.kind.rawValue)
                if let name = room.name { w.key("name"); w.string(name) }
                w.key("epoch"); w.string(room.epoch)
                w.key("last"); if let last = room.last { w.string(last) } else { w.null() }
                w.key("seq"); w.int(room.seq)
                w.key("members"); w.int(Int64(room.members))
            }
        case .appended(let appended):
            return object { w in
                w.key("event"); w.string(appended.id)
                w.key("seq"); w.int(appended.seq)
                w.key("at"); w.int(appended.at)
            }
        case .history(let page):
            return object { w in
                w.key("room"); w.string(page.room)
                w.key("epoch"); w.string(page.epoch)
                w.key("events")
                w.beginArray()
                for event in page.events { w.event(event) }
                w.endArray()
                w.key("more"); w.bool(page.more)
            }
        case .access(let user, let access):
            return object { w in
                w.key("user"); w.string(user)
                w.key("banned"); w.bool(access.bannedUntil != nil)
                if let until = access.bannedUntil, until != Int64.max { w.key("bannedUntil"); w.int(until) }
                if let before = access.revokedBefore { w.key("revokedBefore"); w.int(before) }
            }
        case .stats(let rooms, let members, let events, let sessions):
            return object { w in
                w.key("rooms"); w.int(Int64(rooms))
                w.key("members"); w.int(Int64(members))
                w.key("events"); w.int(events)
                w.key("sessions"); w.int(Int64(sessions))
            }
        }
    }
}
