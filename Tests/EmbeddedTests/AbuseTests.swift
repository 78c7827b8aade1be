import Broker
import Foundation
import Testing
import WireProtocol
@testable import Embedded

/// What one hostile account must not be able to do (each test failed before its fix).
@Suite struct AbuseTests {
    func dm(_ f: Fixture, _ from: String, _ to: String, _ text: String) -> Result<AppendResult, ProtocolError> {
        wait { f.broker.append(.direct(from: from, to: to, text: text, cmid: UUID().uuidString, replyTo: nil), loop: f.index, completion: $0) }
    }

    func edit(_ f: Fixture, _ room: String, _ author: String, _ target: String, _ text: String) -> Result<AppendResult, ProtocolError> {
        wait { f.broker.append(.edit(room: room, author: author, target: target, text: text), loop: f.index, completion: $0) }
    }

    @Test func anEditIsAPostAndFollowsBlocksAndDirectMessageRules() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member), ("bob", .member)])
        let sent = try #require(dm(f, "ana", "bob", "hello bob").value)
        let room = try #require(sent.room)
        #expect(edit(f, room, "ana", sent.id, "still here").value != nil)
        // bob blocks ana: her edits of old messages no longer reach him.
        _ = wait { f.broker.setBlocked(user: "bob", other: "ana", blocked: true, loop: f.index, completion: $0) }
        let pushes = f.loop.frames.withLock { $0.count }
        #expect(edit(f, room, "ana", sent.id, "you cannot block me").error?.code == .blocked)
        #expect(f.loop.frames.withLock { $0.count } == pushes)
        // Unblocked, but they no longer share a group: the DM rules refuse the edit too.
        _ = wait { f.broker.setBlocked(user: "bob", other: "ana", blocked: false, loop: f.index, completion: $0) }
        f.admin(.removeMembers(room: "g1", users: ["bob"]))
        #expect(edit(f, room, "ana", sent.id, "still in touch?").error?.code == .dmNotAllowed)
        // Deleting one's own message stays possible: it takes text away, it sends none.
        let delete: Result<AppendResult, ProtocolError> = wait {
            f.broker.append(.delete(room: room, actor: "ana", target: sent.id), loop: f.index, completion: $0)
        }
        #expect(delete.value != nil)
    }
}

extension AbuseTests {
    @Test func blocksAreCappedPerUser() throws {
        let f = try Fixture { $0.blocksPerUser = 3 }
        func block(_ other: String, _ on: Bool = true) -> Result<Void, ProtocolError> {
            wait { f.broker.setBlocked(user: "ana", other: other, blocked: on, loop: f.index, completion: $0) }
        }
        for other in ["u1", "u2", "u3"] { #expect(block(other).value != nil) }
        #expect(block("u1").value != nil)                        // idempotent, not counted twice
        #expect(block("u4").error?.code == .tooManyBlocks)
        #expect(block("u2", false).value != nil)
        #expect(block("u4").value != nil)
        #expect(f.broker.blockCounts["ana"] == 3)
    }

    @Test func directRoomsOthersOpenDoNotFillTheRecipientsRoomQuota() throws {
        let f = try Fixture { $0.roomsPerUser = 3 }
        f.group("g1", [("lead", .moderator)] + (1...5).map { ("f\($0)", Role.follower) })
        // Five followers write to their moderator: five direct rooms for "lead".
        for i in 1...5 { #expect(dm(f, "f\(i)", "lead", "hi").value != nil) }
        // The platform can still add the moderator to two more groups (quota 3).
        f.admin(.createRoom(id: "g2", kind: .group, name: nil))
        f.admin(.createRoom(id: "g3", kind: .group, name: nil))
        f.admin(.createRoom(id: "g4", kind: .group, name: nil))
        #expect(f.admin(.putMembers(room: "g2", members: [(user: "lead", role: .member)])).value != nil)
        #expect(f.admin(.putMembers(room: "g3", members: [(user: "lead", role: .member)])).value != nil)
        #expect(f.admin(.putMembers(room: "g4", members: [(user: "lead", role: .member)])).error?.code == .tooManyRooms)
    }

    @Test func directRoomsHaveTheirOwnCapAndANewConversationRatePerSender() throws {
        let f = try Fixture {
            $0.directRoomsPerUser = 4
            $0.newDirectRoomsPerHour = 3
        }
        f.group("g1", [("lead", .moderator), ("spam", .member)] + (1...6).map { ("m\($0)", Role.member) })
        // One sender opens three conversations, then is held back; an existing one still works.
        for i in 1...3 { #expect(dm(f, "spam", "m\(i)", "buy").value != nil) }
        let held = dm(f, "spam", "m4", "buy")
        #expect(held.error?.code == .rateLimited)
        #expect((held.error?.retryAfterMs ?? 0) > 0)
        #expect(dm(f, "spam", "m1", "again").value != nil)
        // The recipient's own cap: four conversations, then new ones are refused.
        for i in 1...4 { #expect(dm(f, "m\(i)", "lead", "hello").value != nil) }
        #expect(dm(f, "m5", "lead", "hello").error?.code == .tooManyRooms)
    }

    @Test func aHiddenDirectRoomLeavesTheListUntilTheNextMessage() throws {
        let path = storePath()
        defer { removeStore(path) }
        try hideAndComeBack(path: path)
        // Hidden state is stored: it holds after a restart.
        let reopened = try Fixture(path: path)
        let r: Result<[RoomState], ProtocolError> = wait { reopened.broker.rooms(user: "ana", loop: reopened.index, completion: $0) }
        #expect(r.value?.map(\.room) == ["g1"])
    }

    func hideAndComeBack(path: String) throws {
        let f = try Fixture(path: path)
        f.group("g1", [("ana", .member), ("bob", .member)])
        let first = try #require(dm(f, "bob", "ana", "hi").value)
        let room = try #require(first.room)
        func listed() -> [String] {
            let r: Result<[RoomState], ProtocolError> = wait { f.broker.rooms(user: "ana", loop: f.index, completion: $0) }
            return r.value?.map(\.room) ?? []
        }
        #expect(listed().contains(room))
        let hide: Result<Void, ProtocolError> = wait { f.broker.setHidden(user: "ana", room: room, loop: f.index, completion: $0) }
        #expect(hide.value != nil)
        #expect(!listed().contains(room))
        #expect(f.loop.log.withLock { $0.last } == "left ana \(room)")
        let hideGroup: Result<Void, ProtocolError> = wait { f.broker.setHidden(user: "ana", room: "g1", loop: f.index, completion: $0) }
        #expect(hideGroup.error?.code == .forbidden)
        // Blocked: bob's message is refused and the room stays hidden.
        _ = wait { f.broker.setBlocked(user: "ana", other: "bob", blocked: true, loop: f.index, completion: $0) }
        #expect(dm(f, "bob", "ana", "let me in").error?.code == .blocked)
        #expect(!listed().contains(room))
        // Unblocked: his next message brings it back, the membership push before the event.
        _ = wait { f.broker.setBlocked(user: "ana", other: "bob", blocked: false, loop: f.index, completion: $0) }
        let again = try #require(dm(f, "bob", "ana", "back?").value)
        #expect(listed().contains(room))
        let tail = f.loop.log.withLock { Array($0.suffix(2)) }
        #expect(tail == ["joined ana \(room) seq=\(again.seq - 1)", "event \(room) \(again.seq)"])
        let hidden: Result<Void, ProtocolError> = wait { f.broker.setHidden(user: "ana", room: room, loop: f.index, completion: $0) }
        #expect(hidden.value != nil)
    }

    @Test func deletingARoomReturnsItsShareOfTheRecentWindowBudget() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member)])
        for i in 0..<20 { _ = f.send("g1", "ana", "message \(i)") }
        _ = f.admin(.stats)
        #expect(f.broker.recentBytesTotal > 0)
        f.admin(.deleteRoom(id: "g1"))
        _ = f.admin(.stats)
        #expect(f.broker.recentBytesTotal == 0)
    }
}

extension AbuseTests {
    @Test func aBanHoldsAtConnectAtEveryAppendAndAcrossARestart() throws {
        let path = storePath()
        defer { removeStore(path) }
        do {
            let f = try Fixture(path: path)
            f.group("g1", [("ana", .member), ("bob", .member)])
            let sent = try #require(f.send("g1", "bob", "before").value)
            #expect(f.admin(.setAccess(user: "bob", .ban(until: nil))).value != nil)
            #expect(f.loop.log.withLock { $0.last } == "access bob banned=true revoked=-")
            #expect(f.send("g1", "bob", "after").error?.code == .forbidden)
            #expect(edit(f, "g1", "bob", sent.id, "changed").error?.code == .forbidden)
            #expect(f.admin(.post(room: "g1", author: "bob", text: "via API", cmid: "p1")).error?.code == .forbidden)
            let open = f.session("bob", issuedAt: nil, positions: [])
            #expect(open.error?.code == .disconnectedByPlatform)
            #expect(f.admin(.setAccess(user: "ana", .revokeTokens(before: 1_000))).value != nil)
        }
        let f = try Fixture(path: path)
        #expect(f.send("g1", "bob", "after restart").error?.code == .forbidden)
        func open(_ user: String, _ issuedAt: Int64?) -> ProtocolError? {
            let r = f.session(user, issuedAt: issuedAt, positions: [])
            return r.error
        }
        #expect(open("ana", 999)?.code == .authFailed)
        #expect(open("ana", nil)?.code == .authFailed)
        #expect(open("ana", 1_000) == nil)
        #expect(f.admin(.setAccess(user: "bob", .unban)).value != nil)
        #expect(f.send("g1", "bob", "welcome back").value != nil)
    }
}
