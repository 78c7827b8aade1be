import Testing
@testable import WireProtocol

@Test func eventPushBytesAreExactAndDeterministic() {
    let event = sampleEvent()
    let first = WireEncoder.push(.event(event))
    let expected = #"{"push":"event","room":"grp:hikers","epoch":"k3v9q1","id":"1764147600000-0","prev":"1764144000000-0","seq":12,"at":1764147600000,"kind":"message","author":"alice","text":"Running 5 min late, start without me 🥾","cmid":"a-7"}"#
    #expect(String(decoding: first, as: UTF8.self) == expected)
    // An equal event built separately encodes to the same bytes, every time.
    for _ in 0..<100 {
        #expect(WireEncoder.push(.event(sampleEvent())) == first)
    }
    var copy = event
    copy.body = .message(author: "alice", text: "Running 5 min late, start without me 🥾", cmid: "a-7", replyTo: nil)
    #expect(WireEncoder.push(.event(copy)) == first)
}

@Test func everyEventKindEncodesInSpecOrder() {
    let base = sampleEvent()
    let cases: [(EventBody, String)] = [
        (.message(author: "a", text: "t", cmid: "c", replyTo: "1-0"), #""kind":"message","author":"a","text":"t","cmid":"c","replyTo":"1-0"}"#),
        (.edit(author: "a", target: "1-0", text: "t"), #""kind":"edit","author":"a","target":"1-0","text":"t"}"#),
        (.delete(actor: "m", target: "1-0"), #""kind":"delete","actor":"m","target":"1-0"}"#),
        (.memberJoined(user: "u", role: .follower), #""kind":"member.joined","user":"u","role":"follower"}"#),
        (.memberLeft(user: "u"), #""kind":"member.left","user":"u"}"#),
        (.memberRole(user: "u", role: .owner), #""kind":"member.role","user":"u","role":"owner"}"#),
        (.unknown(kind: "reaction"), #""kind":"reaction"}"#),
    ]
    for (body, suffix) in cases {
        var event = base
        event.body = body
        event.prev = nil
        let text = String(decoding: WireEncoder.push(.event(event)), as: UTF8.self)
        #expect(text.hasPrefix(#"{"push":"event","room":"grp:hikers","epoch":"k3v9q1","id":"1764147600000-0","prev":null,"seq":12,"at":1764147600000,"#))
        #expect(text.hasSuffix(suffix), "\(text)")
    }
}

@Test func historyFlagsHideDeletedText() {
    var event = sampleEvent(text: "secret")
    event.deleted = true
    let text = String(decoding: WireEncoder.reply(id: "h", result: .history(HistoryPage(room: "r", epoch: "e", events: [event], more: false))), as: UTF8.self)
    #expect(!text.contains("secret"))
    #expect(text.contains(#""author":"alice","cmid":"a-7","deleted":true}"#))
    event.deleted = false
    event.edited = true
    let edited = String(decoding: WireEncoder.push(.event(event)), as: UTF8.self)
    #expect(edited.hasSuffix(#""text":"secret","cmid":"a-7","edited":true}"#))
}

@Test func repliesEncodeInSpecOrder() {
    let state = RoomState(room: "dm:alice|bob", kind: .direct, peer: "bob", role: .member, epoch: "e", last: nil, seq: 0)
    let cases: [(ReplyResult, String)] = [
        (.refreshed(expiresAt: 5), #"{"id":"c","ok":true,"expiresAt":5}"#),
        (.appended(AppendResult(id: "1-0", seq: 3, at: 4)), #"{"id":"c","ok":true,"event":"1-0","seq":3,"at":4}"#),
        (.appended(AppendResult(room: "dm:a|b", id: "1-0", seq: 3, at: 4)), #"{"id":"c","ok":true,"room":"dm:a|b","event":"1-0","seq":3,"at":4}"#),
        (.read(unread: 0), #"{"id":"c","ok":true,"unread":0}"#),
        (.rooms([state]), #"{"id":"c","ok":true,"rooms":[{"room":"dm:alice|bob","kind":"direct","peer":"bob","role":"member","epoch":"e","last":null,"seq":0}]}"#),
        (.history(HistoryPage(room: "r", epoch: "e", events: [], more: false)), #"{"id":"c","ok":true,"room":"r","epoch":"e","events":[],"more":false}"#),
        (.empty, #"{"id":"c","ok":true}"#),
        (.connected(ConnectedResult(user: "u", session: "s", serverTime: 1, rooms: [], limits: .default)),
         #"{"id":"c","ok":true,"user":"u","session":"s","serverTime":1,"rooms":[],"limits":{"textMax":4000,"textMaxBytes":16384,"commandRate":10,"commandBurst":20,"historyMax":100,"roomsMax":1000}}"#),
    ]
    for (result, expected) in cases {
        #expect(String(decoding: WireEncoder.reply(id: "c", result: result), as: UTF8.self) == expected)
    }
}

@Test func errorRepliesCarryOptionalMembersOnlyWhenSet() {
    let limited = WireEncoder.errorReply(id: "c", .rateLimited(retryAfterMs: 1500))
    #expect(String(decoding: limited, as: UTF8.self) == #"{"id":"c","ok":false,"error":{"code":3000,"reason":"rate_limited","message":"too many commands","retryAfterMs":1500}}"#)
    let plain = WireEncoder.errorReply(id: nil, ProtocolError(.notMember, "you are not in \u{2028}this room"))
    #expect(String(decoding: plain, as: UTF8.self) == #"{"id":null,"ok":false,"error":{"code":2001,"reason":"not_member","message":"you are not in \u2028this room"}}"#)
}

@Test func roomPushesEncode() {
    #expect(String(decoding: WireEncoder.push(.roomLeft(room: "grp:x")), as: UTF8.self) == #"{"push":"room.left","room":"grp:x"}"#)
    let state = RoomState(room: "grp:x", kind: .group, name: "X \"quoted\"", role: .owner, epoch: "e", last: "9-0", seq: 9, unread: 2, recovered: false)
    #expect(String(decoding: WireEncoder.push(.roomJoined(state)), as: UTF8.self)
            == #"{"push":"room.joined","room":{"room":"grp:x","kind":"group","name":"X \"quoted\"","role":"owner","epoch":"e","last":"9-0","seq":9,"unread":2,"recovered":false}}"#)
}

/// Not a benchmark (debug builds, shared machine): a guard against an accidental slow path.
/// Release builds encode an event push in about a microsecond.
@Test func encodingAnEventPushIsCheap() {
    let event = sampleEvent(text: String(repeating: "Lorem ipsum dolor sit amet, \"quoted\" ünïcödé. ", count: 4))
    let clock = ContinuousClock()
    let rounds = 20_000
    var total = 0
    let elapsed = clock.measure {
        for _ in 0..<rounds { total &+= WireEncoder.push(.event(event)).count }
    }
    let perPush = elapsed / rounds
    #expect(total > 0)
    #expect(perPush < .microseconds(50), "an event push took \(perPush)")
}
