import Auth
import Broker
import Embedded
import Foundation
import Logging
import Reactor
import Synchronization
import Testing
import WireProtocol
@testable import RallyClient
@testable import Server

let secret = Array("scenario-tests-secret-of-32-bytes!".utf8)

/// A chat server in this process (embedded mode, temporary store) and a loop for clients.
final class ChatWorld: @unchecked Sendable {
    let server: RallyServer
    let broker: EmbeddedBroker
    let clientLoop: EventLoop
    let clientThread: LoopThread
    let path: String

    init(path: String? = nil) throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-scenario-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        self.path = path ?? dir.appendingPathComponent("rally.sqlite").path
        var configuration = ServerConfiguration()
        configuration.listen = [try SocketAddress(parsing: "127.0.0.1:0")]
        configuration.loops = 2
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: nil)]))
        configuration.chat = ChatConfiguration(verifier: verifier)
        broker = try EmbeddedBroker(configuration: EmbeddedConfiguration(path: self.path))
        var logger = Logger(label: "scenario")
        logger.logLevel = .error
        server = try RallyServer(configuration: configuration, logger: logger, broker: broker)
        try server.start()
        clientLoop = try EventLoop(index: 99)
        clientThread = LoopThread(loop: clientLoop)
        try clientThread.start()
    }

    func stop() {
        clientLoop.stop()
        clientThread.join()
        server.stop()
        server.wait()
        broker.stop()
    }

    func token(_ user: String) -> String {
        JWTSigner.hs256(claims: Claims(subject: user, expiresAt: Int64(Date().timeIntervalSince1970) + 3_600), secret: secret, kid: nil)
    }

    /// Runs an admin operation (set-up), waiting for it.
    func admin(_ operation: AdminOperation) {
        let done = DispatchSemaphore(value: 0)
        try? clientLoop.execute { [broker] in
            // The broker answers on a server loop; the semaphore is all we need.
            broker.admin(operation, loop: 0) { _ in done.signal() }
        }
        _ = done.wait(timeout: .now() + 5)
    }

    /// A started client for `user`, connected when this returns.
    func client(_ user: String) -> Observed {
        let observed = Observed()
        let ready = DispatchSemaphore(value: 0)
        try? clientLoop.execute { [self] in
            let client = RallyClient(loop: clientLoop, options: .init(port: server.ports[0], token: { self.token(user) }))
            client.onPush = { push in observed.record(push) }
            client.onStatus = { status in
                observed.statuses.withLock { $0.append(status) }
                if case .connected = status { ready.signal() }
            }
            observed.client = client
            client.start()
        }
        _ = ready.wait(timeout: .now() + 5)
        return observed
    }

    /// Runs a command from `observed`'s client and waits for the reply.
    func command(_ observed: Observed, _ command: Command) -> Result<ReplyPayload, ProtocolError> {
        let done = DispatchSemaphore(value: 0)
        let box = Mutex<Result<ReplyPayload, ProtocolError>?>(nil)
        try? clientLoop.execute {
            observed.client?.command(command) { result in
                box.withLock { $0 = result }
                done.signal()
            }
        }
        guard done.wait(timeout: .now() + 5) == .success else { return .failure(ProtocolError(.unavailable, "timed out")) }
        return box.withLock { $0! }
    }
}

/// What one client saw.
final class Observed: @unchecked Sendable {
    var client: RallyClient?
    let events = Mutex<[Event]>([])
    let statuses = Mutex<[RallyClient.Status]>([])

    func record(_ push: Push) {
        if case .event(let event) = push { events.withLock { $0.append(event) } }
    }

    /// Waits until `count` events of `room` arrived; returns them.
    func events(in room: String, count: Int, timeout: Double = 5) -> [Event] {
        let deadline = Date().addingTimeInterval(timeout)
        while Date() < deadline {
            let seen = events.withLock { $0.filter { $0.room == room } }
            if seen.count >= count { return seen }
            usleep(5_000)
        }
        return events.withLock { $0.filter { $0.room == room } }
    }
}

func send(_ room: String, _ text: String, cmid: String = UUID().uuidString) -> Command {
    .send(SendCommand(room: room, text: text, cmid: cmid, replyTo: nil))
}

@Suite(.serialized) struct ScenarioTests {
    @Test func membersOfAGroupSeeEveryMessageInOneOrder() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member), ("cy", .member)])
        let clients = ["ana", "bob", "cy"].map { world.client($0) }
        for (i, client) in clients.enumerated() {
            for n in 0..<5 { _ = world.command(client, send("g1", "\(i)-\(n)")) }
        }
        let orders = clients.map { $0.events(in: "g1", count: 15).map(\.id) }
        #expect(orders[0].count == 15)
        #expect(orders[0] == orders[1] && orders[1] == orders[2])
        let seqs = clients[0].events(in: "g1", count: 15).map(\.seq)
        #expect(seqs == Array(seqs.first!..<(seqs.first! + 15)))
    }

    @Test func aDroppedClientRecoversExactlyWhatItMissed() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member)])
        let ana = world.client("ana")
        let bob = world.client("bob")
        _ = world.command(ana, send("g1", "before"))
        _ = bob.events(in: "g1", count: 1)
        // The network drops bob's connection (no close handshake); ana keeps talking.
        try world.clientLoop.execute { bob.client?.dropForTests() }
        usleep(50_000)
        var sent: [String] = []
        for n in 0..<5 {
            if case .success(let reply) = world.command(ana, send("g1", "missed \(n)")), let appended = try? reply.appended() {
                sent.append(appended.id)
            }
        }
        let seen = bob.events(in: "g1", count: 6, timeout: 10).map(\.id)
        #expect(Array(seen.suffix(5)) == sent)
        #expect(Set(seen).count == seen.count)  // nothing twice
        let reconnected = bob.statuses.withLock { $0.filter { if case .connected = $0 { return true } else { return false } }.count }
        #expect(reconnected == 2)
    }

    @Test func aResendWithTheSameCmidIsDeliveredOnce() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member)])
        let ana = world.client("ana")
        let bob = world.client("bob")
        let first = try world.command(ana, send("g1", "once", cmid: "same")).get().appended()
        let second = try world.command(ana, send("g1", "once", cmid: "same")).get().appended()
        #expect(first.id == second.id)
        _ = world.command(ana, send("g1", "after"))
        let texts = bob.events(in: "g1", count: 2).compactMap { event -> String? in
            if case .message(_, let text, _, _) = event.body { return text }
            return nil
        }
        #expect(texts == ["once", "after"])
    }

    @Test func aLargeReplayArrivesWholeAndInOrderWithLiveEventsAfterIt() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member)])
        let bob = world.client("bob")
        _ = world.command(bob, send("g1", "hello"))
        _ = bob.events(in: "g1", count: 1)
        try world.clientLoop.execute { bob.client?.stop() }
        usleep(100_000)
        // 400 events of ~1 KiB: within the per-connect replay budget (512 KiB), far over the
        // pacing window (128 KiB).
        let text = String(repeating: "x", count: 1_000)
        for n in 0..<400 { world.admin(.post(room: "g1", author: nil, text: "\(n) \(text)", cmid: "p\(n)")) }
        let before = bob.events.withLock { $0.count }
        try world.clientLoop.execute { bob.client?.start() }
        let ana = world.client("ana")
        _ = world.command(ana, send("g1", "live"))
        let all = bob.events(in: "g1", count: before + 401, timeout: 15)
        let after = Array(all.dropFirst(before))
        #expect(after.count == 401)
        #expect(after.map(\.seq) == Array((after.first?.seq ?? 0)...(after.first?.seq ?? 0) + 400))
        if case .message(_, let last, _, _)? = after.last?.body { #expect(last == "live") } else { Issue.record("no live event last") }
    }
}

extension ChatWorld {
    /// A room with these members, ready when this returns.
    func room(_ id: String, kind: RoomKind = .group, _ members: [(String, Role)]) {
        admin(.createRoom(id: id, kind: kind, name: id))
        admin(.putMembers(room: id, members: members.map { (user: $0.0, role: $0.1) }))
    }
}

func texts(_ events: [Event]) -> [String] {
    events.compactMap { if case .message(_, let text, _, _) = $0.body { return text } else { return nil } }
}

@Suite(.serialized) struct MoreScenarioTests {
    @Test func aDirectMessageReachesEveryDeviceOfBothUsers() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member)])
        let anaPhone = world.client("ana")
        let anaLaptop = world.client("ana")
        let bobPhone = world.client("bob")
        let bobLaptop = world.client("bob")
        let reply = world.command(anaPhone, .dm(DirectCommand(to: "bob", text: "psst", cmid: "d1", replyTo: nil)))
        let room = try reply.get().appended().room ?? ""
        #expect(room == DirectRoom.id(between: "ana", and: "bob"))
        for device in [anaPhone, anaLaptop, bobPhone, bobLaptop] {
            #expect(texts(device.events(in: room, count: 1)) == ["psst"])
        }
    }

    @Test func announcementsAreRefusedToMembersAndReachEveryFollower() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        let followers = (0..<300).map { "f\($0)" }
        world.room("news", kind: .announcement, followers.map { ($0, Role.follower) } + [("mem", .member), ("lea", .moderator)])
        let member = world.client("mem")
        let refused = world.command(member, send("news", "not allowed"))
        #expect(refused.error?.code == .forbidden)
        let clients = followers.map { world.client($0) }
        let leader = world.client("lea")
        _ = world.command(leader, send("news", "meeting at 6"))
        for client in clients { #expect(texts(client.events(in: "news", count: 1)) == ["meeting at 6"]) }
    }

    @Test func aGapTooOldIsReportedNotReplayed() throws {
        let world = try ChatWorld()
        defer { world.stop() }
        world.room("g1", [("ana", .member), ("bob", .member)])
        let bob = world.client("bob")
        try world.clientLoop.execute { bob.client?.stop() }
        usleep(100_000)
        // More than the recovery cap (1,000 events) while bob is away.
        for n in 0..<1_005 { world.admin(.post(room: "g1", author: nil, text: "m\(n)", cmid: "p\(n)")) }
        let before = bob.events.withLock { $0.count }
        try world.clientLoop.execute { bob.client?.start() }
        let deadline = Date().addingTimeInterval(5)
        var unrecovered: Set<String> = []
        while Date() < deadline {
            let connects = bob.statuses.withLock { $0.filter { if case .connected = $0 { return true } else { return false } }.count }
            if connects >= 2 {
                let done = DispatchSemaphore(value: 0)
                try world.clientLoop.execute { unrecovered = bob.client?.unrecovered ?? []; done.signal() }
                done.wait()
                break
            }
            usleep(10_000)
        }
        #expect(unrecovered == ["g1"])
        usleep(200_000)
        #expect(bob.events.withLock { $0.count } == before)  // nothing replayed
    }

    @Test func aRestartedServerKeepsItsHistoryAndContinuesTheLog() throws {
        let first = try ChatWorld()
        first.room("g1", [("ana", .member)])
        let ana = first.client("ana")
        var ids: [String] = []
        for n in 0..<3 { ids.append((try? first.command(ana, send("g1", "m\(n)")).get().appended().id) ?? "") }
        first.stop()
        let second = try ChatWorld(path: first.path)
        defer { second.stop() }
        let again = second.client("ana")
        let page = try second.command(again, .history(HistoryCommand(room: "g1", anchor: .latest, limit: 10))).get().history()
        #expect(page.events.suffix(3).map(\.id) == ids)
        let next = try second.command(again, send("g1", "after restart")).get().appended()
        #expect(next.seq == (page.events.last?.seq ?? 0) + 1)
    }
}

@Suite(.serialized) struct APIListenerTests {
    @Test func theAPIMovesToItsOwnListener() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-api-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        var configuration = ServerConfiguration()
        configuration.listen = [try SocketAddress(parsing: "127.0.0.1:0")]
        configuration.apiListen = [try SocketAddress(parsing: "127.0.0.1:0")]
        configuration.loops = 1
        var chat = ChatConfiguration(verifier: try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: nil)])))
        chat.apiKeys = ["k"]
        configuration.chat = chat
        let broker = try EmbeddedBroker(configuration: EmbeddedConfiguration(path: dir.appendingPathComponent("r.sqlite").path))
        var logger = Logger(label: "api")
        logger.logLevel = .error
        let server = try RallyServer(configuration: configuration, logger: logger, broker: broker)
        try server.start()
        defer { server.stop(); server.wait(); broker.stop() }

        func status(_ port: Int, _ request: String) throws -> String {
            let fd = try Sockets.connect(to: SocketAddress(host: "127.0.0.1", port: port))
            defer { close(fd) }
            _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
            _ = Array(request.utf8).withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            return String(decoding: buffer.prefix(max(0, n)), as: UTF8.self).components(separatedBy: "\r\n").first ?? ""
        }
        let stats = "GET /api/stats HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer k\r\nConnection: close\r\n\r\n"
        #expect(try status(server.apiPorts[0], stats).hasPrefix("HTTP/1.1 200"))
        #expect(try status(server.ports[0], stats).hasPrefix("HTTP/1.1 404"))
        #expect(try status(server.apiPorts[0], "GET /healthz HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 200"))
        #expect(try status(server.apiPorts[0], "GET /ws HTTP/1.1\r\nHost: x\r\n\r\n").hasPrefix("HTTP/1.1 404"))
    }
}

extension Result {
    var error: Failure? { if case .failure(let e) = self { return e } else { return nil } }
}
