/// The protocol's value types as JSON members, each in one fixed key order (the spec's order)
/// so that equal values always give equal bytes. Optional members are left out when nil
/// (never written as `null`), except `prev` and `last`, which are nullable by definition.
extension JSONWriter {
    mutating func field(_ name: StaticString, _ text: String) {
        key(name)
        string(text)
    }

    mutating func field(_ name: StaticString, _ number: Int64) {
        key(name)
        int(number)
    }

    mutating func field(_ name: StaticString, _ number: Int) {
        key(name)
        int(Int64(number))
    }

    mutating func field(_ name: StaticString, _ flag: Bool) {
        key(name)
        bool(flag)
    }

    mutating func optionalField(_ name: StaticString, _ text: String?) {
        if let text { field(name, text) }
    }

    mutating func nullableField(_ name: StaticString, _ text: String?) {
        key(name)
        if let text { string(text) } else { null() }
    }

    /// The members of an event, without braces (a push puts `"push"` first).
    mutating func eventMembers(_ event: Event) {
        field("room", event.room)
        field("epoch", event.epoch)
        field("id", event.id)
        nullableField("prev", event.prev)
        field("seq", event.seq)
        field("at", event.at)
        field("kind", event.kind)
        // A deleted message's text (and its edits' texts) must not leave the server again.
        let showText = !event.deleted
        switch event.body {
        case let .message(author, text, cmid, replyTo):
            field("author", author)
            if showText { field("text", text) }
            field("cmid", cmid)
            optionalField("replyTo", replyTo)
        case let .edit(author, target, text):
            field("author", author)
            field("target", target)
            if showText { field("text", text) }
        case let .delete(actor, target):
            field("actor", actor)
            field("target", target)
        case let .memberJoined(user, role), let .memberRole(user, role):
            field("user", user)
            field("role", role.rawValue)
        case let .memberLeft(user):
            field("user", user)
        case .memberCount:
            break
        case .unknown:
            break
        }
        if let members = event.members { field("members", members) }
        if event.edited { field("edited", true) }
        if event.deleted { field("deleted", true) }
    }

    /// Writes `event` as a JSON object (the members of an `event` push, without `push`).
    public mutating func event(_ event: Event) {
        beginObject()
        eventMembers(event)
        endObject()
    }

    /// Writes a RoomState object.
    public mutating func roomState(_ state: RoomState) {
        beginObject()
        field("room", state.room)
        field("kind", state.kind.rawValue)
        optionalField("name", state.name)
        optionalField("peer", state.peer)
        field("role", state.role.rawValue)
        field("epoch", state.epoch)
        nullableField("last", state.last)
        field("seq", state.seq)
        if let unread = state.unread { field("unread", unread) }
        if let recovered = state.recovered { field("recovered", recovered) }
        endObject()
    }

    mutating func roomStates(_ states: [RoomState]) {
        beginArray()
        for state in states { roomState(state) }
        endArray()
    }

    mutating func limits(_ limits: Limits) {
        beginObject()
        field("textMax", limits.textMax)
        field("textMaxBytes", limits.textMaxBytes)
        field("commandRate", limits.commandRate)
        field("commandBurst", limits.commandBurst)
        field("historyMax", limits.historyMax)
        field("roomsMax", limits.roomsMax)
        endObject()
    }

    mutating func position(_ position: Position) {
        beginObject()
        field("room", position.room)
        field("epoch", position.epoch)
        field("id", position.id)
        endObject()
    }
}
