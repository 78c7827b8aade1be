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
