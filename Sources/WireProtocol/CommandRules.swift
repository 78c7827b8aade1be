/// The per-command argument rules of `WireDecoder.decodeCommand`: which arguments each
/// command takes, in the spec's order, with what syntax.
struct CommandRules {
    let text: TextLimits
    let historyMax: Int

    func arguments(of name: CommandName, _ args: ArgumentReader) throws(ProtocolError) -> Command {
        switch name {
        case .connect:
            return .connect(try connect(args))
        case .refresh:
            return .refresh(token: try args.required("token", .token))
        case .send:
            let room = try args.required("room", .roomID)
            let text = try args.text("text", limits: text)
            let cmid = try args.required("cmid", .clientToken)
            let replyTo = try args.optional("replyTo", .opaqueID)
            return .send(SendCommand(room: room, text: text, cmid: cmid, replyTo: replyTo))
        case .dm:
            let to = try args.required("to", .userID)
            let text = try args.text("text", limits: text)
            let cmid = try args.required("cmid", .clientToken)
            let replyTo = try args.optional("replyTo", .opaqueID)
            return .dm(DirectCommand(to: to, text: text, cmid: cmid, replyTo: replyTo))
        case .edit:
            let room = try args.required("room", .roomID)
            let id = try args.required("target", .opaqueID)
            return .edit(EditCommand(room: room, id: id, text: try args.text("text", limits: text)))
        case .delete:
            return .delete(room: try args.required("room", .roomID), id: try args.required("target", .opaqueID))
        case .history:
            return .history(try history(args))
        case .read:
            return .read(room: try args.required("room", .roomID), id: try args.required("event", .opaqueID))
        case .rooms:
            return .rooms
        case .block:
            return .block(user: try args.required("user", .userID))
        case .unblock:
            return .unblock(user: try args.required("user", .userID))
        case .hide:
            return .hide(room: try args.required("room", .roomID))
        }
    }

    private func connect(_ args: ArgumentReader) throws(ProtocolError) -> ConnectCommand {
        let token = try args.required("token", .token)
        var positions: [Position]? = nil
        if let elements = try args.optionalArray("positions") {
            var decoded: [Position] = []
            decoded.reserveCapacity(elements.count)
            // One position per room: two would ask for two different replays of one log.
            var rooms = Set<String>()
            for (index, element) in elements.enumerated() {
                let path = "positions[\(index)]"
                guard case .object(let members) = element else {
                    throw .invalidArgument(path, "\(path) must be an object, not \(element.typeName)")
                }
                let item = ArgumentReader(members: members, path: path + ".")
                try item.refuseUnknown(allowed: ["room", "epoch", "id"])
                let position = Position(
                    room: try item.required("room", .roomID),
                    epoch: try item.required("epoch", .opaqueID),
                    id: try item.required("id", .opaqueID))
                guard rooms.insert(position.room).inserted else {
                    throw .invalidArgument(path + ".room", "\(path).room repeats a room given before")
                }
                decoded.append(position)
            }
            positions = decoded
        }
        let client = try args.optional("client", .clientName)
        return ConnectCommand(token: token, positions: positions, client: client)
    }

    private func history(_ args: ArgumentReader) throws(ProtocolError) -> HistoryCommand {
        let room = try args.required("room", .roomID)
        let before = try args.optional("before", .opaqueID)
        let after = try args.optional("after", .opaqueID)
        var anchor = HistoryCommand.Anchor.latest
        switch (before, after) {
        case (let id?, nil): anchor = .before(id)
        case (nil, let id?): anchor = .after(id)
        case (nil, nil): break
        case (_?, _?): throw .invalidArgument("after", "before and after cannot both be given")
        }
        var limit: Int? = nil
        if let requested = try args.optionalInt("limit") {
            guard requested >= 1 && requested <= Int64(historyMax) else {
                throw ProtocolError(.limitOutOfRange, "limit must be between 1 and \(historyMax)", field: "limit")
            }
            limit = Int(requested)
        }
        return HistoryCommand(room: room, anchor: anchor, limit: limit)
    }
}
