import Testing
@testable import WireProtocol

private func serverFrame(_ text: String) -> Result<ServerFrame, ProtocolError> {
    WireDecoder.decodeServerFrame(bytes(text))
}

@Test func pushesRoundTrip() throws {
    var event = sampleEvent()
    let pushes: [Push] = [
        .event(event),
        .roomJoined(RoomState(room: "grp:x", kind: .group, name: "X", role: .member, epoch: "e", last: nil, seq: 0)),
        .roomLeft(room: "grp:x"),
    ]
    for push in pushes {
        #expect(try WireDecoder.decodeServerFrame(WireEncoder.push(push)).get() == .push(push))
    }
    event.body = .memberRole(user: "u", role: .moderator)
    #expect(try WireDecoder.decodeServerFrame(WireEncoder.push(.event(event))).get() == .push(.event(event)))
}

@Test func repliesRoundTripThroughTypedAccessors() throws {
    let results: [(CommandName, ReplyResult)] = [
        (.connect, .connected(ConnectedResult(user: "u", session: "s", serverTime: 7, rooms: [
            RoomState(room: "r", kind: .announcement, name: "R", role: .follower, epoch: "e", last: "1-0", seq: 1, unread: 0, recovered: true),
        ], limits: .default))),
        (.refresh, .refreshed(expiresAt: 99)),
        (.dm, .appended(AppendResult(room: "dm:a|b", id: "1-0", seq: 1, at: 2))),
        (.history, .history(HistoryPage(room: "r", epoch: "e", events: [sampleEvent()], more: true))),
        (.read, .read(unread: 3)),
        (.rooms, .rooms([])),
        (.unblock, .empty),
        (.hide, .empty),
    ]
    for (command, result) in results {
        let frame = try WireDecoder.decodeServerFrame(WireEncoder.reply(id: "c1", result: result)).get()
        guard case .reply(let id, .success(let payload)) = frame else {
            Issue.record("not a success reply: \(frame)")
            continue
        }
        #expect(id == "c1")
        #expect(try payload.result(for: command) == result)
    }
}

@Test func errorRepliesDecode() throws {
    let error = ProtocolError(.invalidArgument, "room must be a room id", field: "room")
    #expect(try WireDecoder.decodeServerFrame(WireEncoder.errorReply(id: "c", error)).get() == .reply(id: "c", .failure(error)))
    let transient = ProtocolError.rateLimited(retryAfterMs: 250)
    #expect(try WireDecoder.decodeServerFrame(WireEncoder.errorReply(id: nil, transient)).get() == .reply(id: nil, .failure(transient)))
    // A code from a later revision keeps its number and reason, and its range says what to do.
    let future = try serverFrame(#"{"id":"c","ok":false,"error":{"code":2042,"reason":"room_locked","message":"locked"}}"#).get()
    guard case .reply(_, .failure(let decoded)) = future else {
        Issue.record("not an error reply")
        return
    }
    #expect(decoded.code.value == 2042 && decoded.code.reason == "room_locked")
    #expect(decoded.code.category == .refused && !decoded.code.retryable)
}

@Test func unknownKindsAndMembersAreIgnored() throws {
    #expect(try serverFrame(#"{"push":"typing","room":"r","user":"u"}"#).get() == .push(.unknown(kind: "typing")))
    let reaction = try serverFrame(#"{"push":"event","room":"r","epoch":"e","id":"2-0","prev":"1-0","seq":2,"at":5,"kind":"reaction","emoji":"👍"}"#).get()
    #expect(reaction == .push(.event(Event(room: "r", epoch: "e", id: "2-0", prev: "1-0", seq: 2, at: 5, body: .unknown(kind: "reaction")))))
    let extra = try serverFrame(#"{"push":"room.left","room":"r","reason":"removed","v":{"x":[1]}}"#).get()
    #expect(extra == .push(.roomLeft(room: "r")))
}

@Test func deletedHistoryItemsDecodeWithoutText() throws {
    let frame = try serverFrame(#"{"id":"h","ok":true,"room":"r","epoch":"e","more":false,"events":[{"room":"r","epoch":"e","id":"1-0","prev":null,"seq":1,"at":1,"kind":"message","author":"a","cmid":"c","deleted":true}]}"#).get()
    guard case .reply(_, .success(let payload)) = frame else {
        Issue.record("not a reply")
        return
    }
    let page = try payload.history()
    #expect(page.events.first?.deleted == true)
    #expect(page.events.first?.body == .message(author: "a", text: "", cmid: "c", replyTo: nil))
}

@Test func brokenServerFramesAreMalformed() {
    let cases: [(String, String?)] = [
        ("not json", nil),
        ("[]", nil),
        (#"{"id":"c"}"#, nil),
        (#"{"ok":true}"#, "id"),
        (#"{"id":5,"ok":true}"#, "id"),
        (#"{"id":"c","ok":"yes"}"#, "ok"),
        (#"{"id":"c","ok":false}"#, "error"),
        (#"{"id":"c","ok":false,"error":{"code":"1000","reason":"x"}}"#, "error.code"),
        (#"{"push":7}"#, "push"),
        (#"{"push":"event","room":"r","epoch":"e","id":"1","prev":null,"seq":1,"at":1,"kind":"message","author":"a","cmid":"c"}"#, "text"),
        (#"{"push":"event","room":"r","epoch":"e","id":"1","seq":1,"at":1,"kind":"member.left","user":"u"}"#, "prev"),
        (#"{"push":"event","room":"r","epoch":"e","id":"1","prev":null,"seq":1.5,"at":1,"kind":"member.left","user":"u"}"#, "seq"),
        (#"{"push":"room.joined","room":{"room":"r","kind":"guild","role":"member","epoch":"e","last":null,"seq":0}}"#, "room.kind"),
        (#"{"push":"room.joined","room":{"room":"r","kind":"group","role":"admin","epoch":"e","last":null,"seq":0}}"#, "room.role"),
    ]
    for (text, field) in cases {
        switch serverFrame(text) {
        case .success(let frame):
            Issue.record("decoded \(text) as \(frame)")
        case .failure(let error):
            #expect(error.code == .malformed, "\(text)")
            #expect(error.field == field, "\(text): \(error.message)")
        }
    }
    let reply = try? serverFrame(#"{"id":"c","ok":true,"event":7}"#).get()
    guard case .reply(_, .success(let payload))? = reply else {
        Issue.record("not a reply")
        return
    }
    #expect(throws: ProtocolError.self) { try payload.appended() }
}
