import Broker
import Foundation
import Synchronization
import Testing
import WireProtocol
@testable import Embedded

/// A loop stand-in: runs tasks at once (on the engine thread) and records what it was told.
final class RecordingLoop: LoopPort, BrokerDelegate, @unchecked Sendable {
    let log = Mutex<[String]>([])
    let frames = Mutex<[[UInt8]]>([])

    func submit(_ task: @escaping () -> Void) -> Bool {
        task()
        return true
    }

    func brokerPublished(_ event: PublishedEvent) {
        log.withLock { $0.append("event \(event.room) \(event.seq)") }
        frames.withLock { $0.append(event.frame) }
    }

    func brokerMembershipChanged(_ change: MembershipChange) {
        log.withLock {
            switch change {
            case .joined(let user, let state): $0.append("joined \(user) \(state.room) seq=\(state.seq)")
            case .left(let user, let room): $0.append("left \(user) \(room)")
            case .roleChanged(let user, let room, let role): $0.append("role \(user) \(room) \(role.rawValue)")
            }
        }
    }

    func brokerLostEvents() { log.withLock { $0.append("lost") } }

    func markLost() { log.withLock { $0.append("lost") } }

    func brokerWillDeliver() {}

    func brokerAccessChanged(user: String, access: UserAccess) {
        log.withLock { $0.append("access \(user) banned=\(access.bannedUntil != nil) revoked=\(access.revokedBefore.map(String.init) ?? "-")") }
    }
}

/// Calls `body` with a completion and waits for it (tests only).
func wait<T>(_ body: (@escaping (Result<T, ProtocolError>) -> Void) -> Void) -> Result<T, ProtocolError> {
    let done = DispatchSemaphore(value: 0)
    let box = Mutex<Result<T, ProtocolError>?>(nil)
    body { result in
        box.withLock { $0 = result }
        done.signal()
    }
    done.wait()
    return box.withLock { $0! }
}

func storePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-engine-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("rally.sqlite").path
}

/// Removes the directory `storePath()` made for `path`.
func removeStore(_ path: String) {
    try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent)
}

final class Fixture {
    let path: String
    let broker: EmbeddedBroker
    let loop = RecordingLoop()
    let index: Int
    /// The fixture made its store and removes it when it ends; a test that passes a path
    /// (to reopen it) removes it itself.
    private let ownsStore: Bool

    init(path: String? = nil, _ adjust: (inout EmbeddedConfiguration) -> Void = { _ in }) throws {
        self.path = path ?? storePath()
        ownsStore = path == nil
        var configuration = EmbeddedConfiguration(path: self.path)
        adjust(&configuration)
        broker = try EmbeddedBroker(configuration: configuration)
        index = broker.attach(loop, delegate: loop)
        broker.start()
    }

    deinit {
        broker.stop()
        if ownsStore { removeStore(path) }
    }

    @discardableResult
    func admin(_ op: AdminOperation) -> Result<AdminResult, ProtocolError> {
        wait { broker.admin(op, loop: index, completion: $0) }
    }

    func send(_ room: String, _ author: String, _ text: String, cmid: String = UUID().uuidString) -> Result<AppendResult, ProtocolError> {
        wait { broker.append(.message(room: room, author: author, text: text, cmid: cmid, replyTo: nil), loop: index, completion: $0) }
    }

    /// Opens a session and waits for its whole recovery (the part read from the store too):
    /// the snapshot as the session finally sees it.
    func session(_ user: String, issuedAt: Int64? = nil, positions: [Position] = []) -> Result<SessionSnapshot, ProtocolError> {
        let opened: Result<SessionSnapshot, ProtocolError> = wait {
            broker.openSession(user: user, issuedAt: issuedAt, positions: positions, loop: index, completion: $0)
        }
        guard case .success(var snapshot) = opened, let pending = snapshot.pending else { return opened }
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<PendingRecovery.Outcome?>(nil)
        pending.onResolved { outcome in
            box.withLock { $0 = outcome }
            done.signal()
        }
        done.wait()
        let outcome = box.withLock { $0! }
        for index in snapshot.rooms.indices {
            if let recovered = outcome.recovered[snapshot.rooms[index].room] { snapshot.rooms[index].recovered = recovered }
        }
        snapshot.replay += outcome.replay
        snapshot.pending = nil
        return .success(snapshot)
    }

    func group(_ id: String, kind: RoomKind = .group, _ members: [(String, Role)]) {
        admin(.createRoom(id: id, kind: kind, name: id))
        admin(.putMembers(room: id, members: members.map { (user: $0.0, role: $0.1) }))
    }
}

extension Result {
    var value: Success? { if case .success(let v) = self { return v } else { return nil } }
    var error: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}

@Suite struct EngineTests {
    @Test func aMessageIsAcknowledgedAndPublishedInLogOrder() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member), ("bob", .member)])
        let first = f.send("g1", "ana", "hello").value
        let second = f.send("g1", "bob", "hi ana").value
        #expect(first?.seq == 3 && second?.seq == 4)  // after two member.joined events
        let log = f.loop.log.withLock { $0 }
        #expect(log == ["joined ana g1 seq=0", "event g1 1", "joined bob g1 seq=1", "event g1 2", "event g1 3", "event g1 4"])
        // The pushed frame decodes to the event, chained to the one before.
        let frames = f.loop.frames.withLock { $0 }
        guard case .success(.push(.event(let event))) = WireDecoder.decodeServerFrame(frames[3]) else {
            Issue.record("not an event push")
            return
        }
        #expect(event.id == second?.id)
        #expect(event.body == .message(author: "bob", text: "hi ana", cmid: event.body.cmidForTests ?? "", replyTo: nil))
        #expect(event.prev == first?.id)
    }

    @Test func resendingWithTheSameCmidReturnsTheSameIdAndPublishesNothing() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member)])
        let a = f.send("g1", "ana", "once", cmid: "c-1").value
        let before = f.loop.frames.withLock { $0.count }
        let b = f.send("g1", "ana", "once", cmid: "c-1").value
        #expect(a != nil && a == b)
        #expect(f.loop.frames.withLock { $0.count } == before)
    }

    @Test func rightsAreEnforcedByTheEngine() throws {
        let f = try Fixture()
        f.group("g1", [("fol", .follower), ("mem", .member)])
        f.group("news", kind: .announcement, [("mem", .member), ("mod", .moderator)])
        #expect(f.send("g1", "fol", "x").error?.code == .forbidden)
        #expect(f.send("g1", "stranger", "x").error?.code == .notMember)
        #expect(f.send("news", "mem", "x").error?.code == .forbidden)
        #expect(f.send("news", "mod", "announcement").value != nil)
        #expect(f.send("nope", "mem", "x").error?.code == .notFound)
    }

    @Test func editsAndDeletesFollowTheRightsAndShowInHistory() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member), ("bob", .member), ("mod", .moderator)])
        guard let m1 = f.send("g1", "ana", "first").value, let m2 = f.send("g1", "ana", "second").value else {
            Issue.record("send failed")
            return
        }
        let edit = { (author: String, target: String) in
            wait { f.broker.append(.edit(room: "g1", author: author, target: target, text: "changed"), loop: f.index, completion: $0) }
        }
        let delete = { (actor: String, target: String) in
            wait { f.broker.append(.delete(room: "g1", actor: actor, target: target), loop: f.index, completion: $0) }
        }
        #expect(edit("bob", m1.id).error?.code == .notAuthor)
        #expect(edit("ana", m1.id).value != nil)
        #expect(delete("bob", m2.id).error?.code == .forbidden)
        #expect(delete("mod", m2.id).value != nil)
        #expect(edit("ana", m2.id).error?.code == .notFound)   // deleted
        let page: Result<HistoryPage, ProtocolError> = wait {
            f.broker.history(user: "bob", room: "g1", anchor: .latest, limit: 100, loop: f.index, completion: $0)
        }
        let events = page.value?.events ?? []
        let first = events.first { $0.id == m1.id }
        let second = events.first { $0.id == m2.id }
        #expect(first?.edited == true)
        if case .message(_, let text, _, _)? = first?.body { #expect(text == "changed") } else { Issue.record("no first message") }
        #expect(second?.deleted == true)
        #expect(events.map(\.seq) == Array(1...Int64(events.count)))
    }

    @Test func historyPagesBeforeAndAfter() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member)])
        var ids: [String] = []
        for i in 0..<10 { ids.append(f.send("g1", "ana", "m\(i)").value?.id ?? "") }
        let before: Result<HistoryPage, ProtocolError> = wait {
            f.broker.history(user: "ana", room: "g1", anchor: .before(ids[5]), limit: 3, loop: f.index, completion: $0)
        }
        #expect(before.value?.events.map(\.id) == Array(ids[2..<5]))
        #expect(before.value?.more == true)
        let after: Result<HistoryPage, ProtocolError> = wait {
            f.broker.history(user: "ana", room: "g1", anchor: .after(ids[7]), limit: 5, loop: f.index, completion: $0)
        }
        #expect(after.value?.events.map(\.id) == Array(ids[8...]))
        #expect(after.value?.more == false)
    }

    @Test func directMessagesFollowThePolicyAndCreateTheRoomOnce() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member), ("bob", .member)])
        f.group("news", kind: .announcement, [("ana", .follower), ("cyd", .follower), ("lea", .moderator)])
        let dm = { (from: String, to: String) in
            wait { f.broker.append(.direct(from: from, to: to, text: "hey", cmid: UUID().uuidString, replyTo: nil), loop: f.index, completion: $0) }
        }
        let first = dm("ana", "bob").value
        #expect(first?.room == DirectRoom.id(between: "ana", and: "bob"))
        #expect(dm("bob", "ana").value?.room == first?.room)
        #expect(dm("ana", "cyd").error?.code == .dmNotAllowed)        // only an announcement room in common
        #expect(dm("cyd", "lea").value != nil)                         // members write to their leaders
        #expect(dm("ana", "ana").error?.code == .invalidArgument)
        _ = wait { f.broker.setBlocked(user: "bob", other: "ana", blocked: true, loop: f.index, completion: $0) }
        #expect(dm("ana", "bob").error?.code == .blocked)
        let joins = f.loop.log.withLock { $0.filter { $0.hasPrefix("joined") && $0.contains("dm:") } }
        #expect(joins.count == 4)  // two direct rooms, two participants each
    }

    @Test func recoveryReplaysExactlyWhatWasMissedOrSaysNotRecovered() throws {
        let f = try Fixture { $0.recoveryMaxEvents = 5 }
        f.group("g1", [("ana", .member), ("bob", .member)])
        let start = f.session("bob", issuedAt: nil, positions: [])
        guard let room = start.value?.rooms.first else { Issue.record("no room"); return }
        let tip = Position(room: "g1", epoch: room.epoch, id: room.last ?? "")
        var sent: [String] = []
        for i in 0..<3 { sent.append(f.send("g1", "ana", "m\(i)").value?.id ?? "") }
        let resumed = f.session("bob", issuedAt: nil, positions: [tip])
        #expect(resumed.value?.rooms.first?.recovered == true)
        let replayed = (resumed.value?.replay ?? []).compactMap { frame -> String? in
            guard case .success(.push(.event(let e))) = WireDecoder.decodeServerFrame(frame) else { return nil }
            return e.id
        }
        #expect(replayed == sent)
        // Another epoch, an unknown id, or a gap over the cap: recovered false, nothing replayed.
        for position in [Position(room: "g1", epoch: "other", id: tip.id), Position(room: "g1", epoch: room.epoch, id: "nope")] {
            let r = f.session("bob", issuedAt: nil, positions: [position])
            #expect(r.value?.rooms.first?.recovered == false)
            #expect(r.value?.replay.isEmpty == true)
        }
        for i in 0..<5 { _ = f.send("g1", "ana", "more \(i)") }
        let tooOld = f.session("bob", issuedAt: nil, positions: [tip])
        #expect(tooOld.value?.rooms.first?.recovered == false)
    }

    @Test func aRestartKeepsRoomsMembersAndHistory() throws {
        let path = storePath()
        defer { removeStore(path) }
        var ids: [String] = []
        do {
            let f = try Fixture(path: path)
            f.group("g1", [("ana", .member)])
            for i in 0..<3 { ids.append(f.send("g1", "ana", "m\(i)").value?.id ?? "") }
        }
        let again = try Fixture(path: path)
        let page: Result<HistoryPage, ProtocolError> = wait {
            again.broker.history(user: "ana", room: "g1", anchor: .latest, limit: 10, loop: again.index, completion: $0)
        }
        #expect(page.value?.events.suffix(3).map(\.id) == ids)
        // The log continues where it stopped, and the resend of an old cmid is still known.
        #expect(again.send("g1", "ana", "next").value?.seq == 5)
    }

    @Test func removingAMemberSendsTheirMemberLeftBeforeRoomLeft() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member), ("bob", .member)])
        f.admin(.removeMembers(room: "g1", users: ["bob"]))
        let tail = f.loop.log.withLock { Array($0.suffix(2)) }
        #expect(tail == ["event g1 3", "left bob g1"])
        #expect(f.send("g1", "bob", "x").error?.code == .notMember)
    }

    @Test func concurrentSendsAreGroupCommitted() throws {
        let f = try Fixture()
        f.group("g1", [("ana", .member)])
        let before = f.broker.commitCount
        let count = 400
        let failures = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        DispatchQueue.concurrentPerform(iterations: 4) { part in
            for n in stride(from: part, to: count, by: 4) {
                f.broker.append(.message(room: "g1", author: "ana", text: "m\(n)", cmid: "c\(n)", replyTo: nil), loop: f.index) { result in
                    if case .failure = result { failures.add(1, ordering: .relaxed) }
                    done.signal()
                }
            }
        }
        for _ in 0..<count { done.wait() }
        #expect(failures.load(ordering: .relaxed) == 0)
        // Requests queued together were committed together.
        #expect(f.broker.commitCount - before < count)
    }

    @Test func aFullQueueAnswersOverloadedInsteadOfGrowing() throws {
        let f = try Fixture { $0.queueCapacity = 1 }
        f.group("g1", [("ana", .member)])
        let overloaded = Atomic<Int>(0)
        let done = DispatchSemaphore(value: 0)
        for n in 0..<300 {
            f.broker.append(.message(room: "g1", author: "ana", text: "m", cmid: "q\(n)", replyTo: nil), loop: f.index) { result in
                if case .failure(let error) = result, error.code == .overloaded { overloaded.add(1, ordering: .relaxed) }
                done.signal()
            }
        }
        for _ in 0..<300 { done.wait() }
        #expect(overloaded.load(ordering: .relaxed) > 0)
    }
}

extension EventBody {
    var cmidForTests: String? {
        if case .message(_, _, let cmid, _) = self { return cmid }
        return nil
    }
}
