extension WireEncoder {
    /// A command frame, as a client sends it: `{"id": ..., "cmd": ..., ...arguments}` with
    /// arguments in the order of `CommandName.argumentNames` and absent optionals left out.
    public static func command(_ envelope: CommandEnvelope) -> [UInt8] {
        var out = JSONWriter(capacity: 128)
        out.beginObject()
        out.field("id", envelope.id)
        out.field("cmd", envelope.command.name.rawValue)
        switch envelope.command {
        case .connect(let connect):
            out.field("token", connect.token)
            if let positions = connect.positions {
                out.key("positions")
                out.beginArray()
                for position in positions { out.position(position) }
                out.endArray()
            }
            out.optionalField("client", connect.client)
        case .refresh(let token):
            out.field("token", token)
        case .send(let send):
            out.field("room", send.room)
            out.field("text", send.text)
            out.field("cmid", send.cmid)
            out.optionalField("replyTo", send.replyTo)
        case .dm(let dm):
            out.field("to", dm.to)
            out.field("text", dm.text)
            out.field("cmid", dm.cmid)
            out.optionalField("replyTo", dm.replyTo)
        case .edit(let edit):
            out.field("room", edit.room)
            out.field("target", edit.id)
            out.field("text", edit.text)
        case .delete(let room, let id):
            out.field("room", room)
            out.field("target", id)
        case .read(let room, let id):
            out.field("room", room)
            out.field("event", id)
        case .history(let history):
            out.field("room", history.room)
            out.optionalField("before", history.before)
            out.optionalField("after", history.after)
            if let limit = history.limit { out.field("limit", limit) }
        case .rooms:
            break
        case .block(let user), .unblock(let user):
            out.field("user", user)
        case .hide(let room):
            out.field("room", room)
        }
        out.endObject()
        return out.bytes
    }
}
