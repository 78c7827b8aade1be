/// The protocol's value types read back from server frames (client side).
extension FrameReader {
    /// An event from its members (a history item, or an `event` push whose `push` member is
    /// ignored like any unknown one). An unknown `kind` gives `EventBody.unknown`.
    func event() throws(ProtocolError) -> Event {
        let deleted = try optionalBool("deleted") ?? false
        let kind = try string("kind")
        // A deleted message (and its edits) comes without text in history.
        func text() throws(ProtocolError) -> String {
            if deleted, value("text") == nil { return "" }
            return try string("text")
        }
        let body: EventBody
        switch kind {
        case EventKind.message:
            body = .message(author: try string("author"), text: try text(), cmid: try string("cmid"),
                            replyTo: try optionalString("replyTo"))
        case EventKind.edit:
            body = .edit(author: try string("author"), target: try string("target"), text: try text())
        case EventKind.delete:
            body = .delete(actor: try string("actor"), target: try string("target"))
        case EventKind.memberJoined:
            body = .memberJoined(user: try string("user"), role: try role("role"))
        case EventKind.memberLeft:
            body = .memberLeft(user: try string("user"))
        case EventKind.memberRole:
            body = .memberRole(user: try string("user"), role: try role("role"))
        case EventKind.memberCount:
            body = .memberCount
        default:
            body = .unknown(kind: kind)
        }
        return Event(
            room: try string("room"), epoch: try string("epoch"), id: try string("id"),
            prev: try nullableString("prev"), seq: try int("seq"), at: try int("at"), body: body,
            edited: try optionalBool("edited") ?? false, deleted: deleted, members: try optionalInt("members"))
    }

    func roomState() throws(ProtocolError) -> RoomState {
        RoomState(
            room: try string("room"), kind: try roomKind("kind"), name: try optionalString("name"),
            peer: try optionalString("peer"), role: try role("role"), epoch: try string("epoch"),
            last: try nullableString("last"), seq: try int("seq"), unread: try optionalInt("unread"),
            recovered: try optionalBool("recovered"))
    }

    func roomStates(_ name: String) throws(ProtocolError) -> [RoomState] {
        var states: [RoomState] = []
        for (index, element) in try array(name).enumerated() {
            states.append(try FrameReader(element, path: "\(path)\(name)[\(index)]").roomState())
        }
        return states
    }

    func limits() throws(ProtocolError) -> Limits {
        Limits(
            textMax: try count("textMax"),
            // Optional when reading: the byte limit was added to the list after the others.
            textMaxBytes: value("textMaxBytes") == nil ? Limits.default.textMaxBytes : try count("textMaxBytes"),
            commandRate: try count("commandRate"), commandBurst: try count("commandBurst"),
            historyMax: try count("historyMax"), roomsMax: try count("roomsMax"))
    }

    /// The `error` object of a failure reply. A code this version does not know keeps the
    /// reason the server sent.
    func protocolError() throws(ProtocolError) -> ProtocolError {
        let number = try count("code")
        let reason = try string("reason")
        let code = ErrorCode.known(number) ?? ErrorCode(number, reason: reason)
        return ProtocolError(
            code, try optionalString("message") ?? "", field: try optionalString("field"),
            retryAfterMs: try optionalInt("retryAfterMs"))
    }
}
