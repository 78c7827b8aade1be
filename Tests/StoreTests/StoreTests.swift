import Foundation
import Synchronization
import Testing
@testable import Store

func temporaryStorePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("rally.sqlite").path
}

/// Submits and waits for the result (tests only: a server never blocks on the writer).
func write(_ writer: StoreWriter, _ writes: [StoreWrite]) throws -> Result<Void, StoreError> {
    let done = DispatchSemaphore(value: 0)
    let result = Mutex<Result<Void, StoreError>?>(nil)
    try writer.submit(writes) { outcome in
        result.withLock { $0 = outcome }
        done.signal()
    }
    done.wait()
    return result.withLock { $0! }
}

func message(_ room: String, _ id: String, seq: Int64, text: String, cmid: String, author: String = "ana") -> StoreWrite {
    .append(StoredEvent(room: room, id: id, seq: seq, at: 1_000 + seq, kind: "message", actor: author, target: nil,
                        body: Array("{\"text\":\"\(text)\"}".utf8)),
            .create(author: author, cmid: cmid, text: text, replyTo: nil))
}

func event(_ room: String, _ id: String, seq: Int64, kind: String, target: String) -> StoredEvent {
    StoredEvent(room: room, id: id, seq: seq, at: 2_000 + seq, kind: kind, actor: "ana", target: target, body: Array("{}".utf8))
}

@Suite struct StoreTests {
    let room = RoomRecord(id: "g:paris", kind: "group", name: "Paris", epoch: "e1", createdAt: 1)

    @Test func roomsMembersAndEventsSurviveAReopen() throws {
        let path = temporaryStorePath()
        do {
            let writer = try StoreWriter(path: path)
            defer { writer.stop() }
            #expect(try write(writer, [.createRoom(room), .putMember(MemberRecord(room: room.id, user: "ana", role: "member"), at: 1)]).isSuccess)
            #expect(try write(writer, [message(room.id, "1-0", seq: 1, text: "hello", cmid: "c1")]).isSuccess)
        }
        let db = try SQLiteDatabase.openStore(path: path)
        let rooms = try db.rooms()
        #expect(rooms.count == 1)
        #expect(rooms.first?.lastID == "1-0")
        #expect(rooms.first?.seq == 1)
        #expect(try db.members() == [MemberRecord(room: room.id, user: "ana", role: "member")])
        let events = try db.events(room: room.id, seqIn: 1...Int64.max, limit: 10)
        #expect(events.map(\.id) == ["1-0"])
        #expect(events.first?.body == Array("{\"text\":\"hello\"}".utf8))
    }

    @Test func aDuplicateClientMessageIdFailsAloneInItsBatch() throws {
        let writer = try StoreWriter(path: temporaryStorePath())
        defer { writer.stop() }
        _ = try write(writer, [.createRoom(room)])
        _ = try write(writer, [message(room.id, "1-0", seq: 1, text: "a", cmid: "same")])
        let results = Mutex<[Int: Result<Void, StoreError>]>([:])
        let done = DispatchSemaphore(value: 0)
        let requests = [message(room.id, "2-0", seq: 2, text: "b", cmid: "same"),   // duplicate cmid
                        message(room.id, "3-0", seq: 3, text: "c", cmid: "other")]
        for (i, request) in requests.enumerated() {
            try writer.submit([request]) { outcome in
                results.withLock { $0[i] = outcome }
                done.signal()
            }
        }
        done.wait(); done.wait()
        let outcome = results.withLock { $0 }
        if case .failure(.conflict) = outcome[0] {} else { Issue.record("duplicate accepted: \(String(describing: outcome[0]))") }
        #expect(outcome[1]?.isSuccess == true)
        let db = try SQLiteDatabase.openStore(path: writer.path)
        #expect(try db.message(room: room.id, author: "ana", cmid: "same")?.id == "1-0")
        #expect(try db.message(room: room.id, author: "ana", cmid: "other")?.id == "3-0")
    }

    @Test func editsAndDeletesApplyForwardOnly() throws {
        let writer = try StoreWriter(path: temporaryStorePath())
        defer { writer.stop() }
        _ = try write(writer, [.createRoom(room), message(room.id, "1-0", seq: 1, text: "first", cmid: "c1")])
        _ = try write(writer, [.append(event(room.id, "3-0", seq: 3, kind: "edit", target: "1-0"), .edit(target: "1-0", text: "newer"))])
        // A replayed, older edit (seq 2) arrives late: it must not roll the text back.
        _ = try write(writer, [.append(event(room.id, "2-0", seq: 2, kind: "edit", target: "1-0"), .edit(target: "1-0", text: "older"))])
        let db = try SQLiteDatabase.openStore(path: writer.path)
        #expect(try db.messages(room: room.id, seqIn: 1...1)["1-0"]?.text == "newer")
        #expect(try db.rooms().first?.seq == 3)  // the tip did not move back either
        _ = try write(writer, [.append(event(room.id, "4-0", seq: 4, kind: "delete", target: "1-0"), .delete(target: "1-0"))])
        let deleted = try db.messages(room: room.id, seqIn: 1...1)["1-0"]
        #expect(deleted?.deleted == true)
        #expect(deleted?.text == nil)
    }

    @Test func manyConcurrentRequestsAreGroupCommitted() throws {
        let writer = try StoreWriter(path: temporaryStorePath())
        defer { writer.stop() }
        _ = try write(writer, [.createRoom(room)])
        let before = writer.commitCount
        let count = 500
        let done = DispatchSemaphore(value: 0)
        let failures = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 4) { part in
            for i in stride(from: part, to: count, by: 4) {
                do {
                    try writer.submit([.setReadPosition(user: "u\(i)", room: room.id, eventID: "x", seq: Int64(i))]) { outcome in
                        if case .failure = outcome { failures.add(1, ordering: .relaxed) }
                        done.signal()
                    }
                } catch {
                    failures.add(1, ordering: .relaxed)
                    done.signal()
                }
            }
        }
        for _ in 0..<count { done.wait() }
        #expect(failures.load(ordering: .relaxed) == 0)
        // Fewer transactions than requests: requests that queued together committed together.
        #expect(writer.commitCount - before < count)
    }

    @Test func aFullQueueRefusesInsteadOfGrowing() throws {
        let writer = try StoreWriter(path: temporaryStorePath(), capacity: 1, maxBatch: 1)
        defer { writer.stop() }
        var refused = 0
        for i in 0..<200 {
            do {
                try writer.submit([.block(user: "a\(i)", blocked: "b")]) { _ in }
            } catch {
                #expect(error == .queueFull)
                refused += 1
            }
        }
        #expect(refused > 0)
    }

    @Test func readPositionsOnlyMoveForward() throws {
        let writer = try StoreWriter(path: temporaryStorePath())
        defer { writer.stop() }
        _ = try write(writer, [.createRoom(room), .setReadPosition(user: "ana", room: room.id, eventID: "5-0", seq: 5)])
        _ = try write(writer, [.setReadPosition(user: "ana", room: room.id, eventID: "3-0", seq: 3)])
        let db = try SQLiteDatabase.openStore(path: writer.path)
        #expect(try db.readSeq(user: "ana", room: room.id) == 5)
    }

    @Test func aNewerSchemaIsRefused() throws {
        let path = temporaryStorePath()
        let db = try SQLiteDatabase.openStore(path: path)
        try db.execute("PRAGMA user_version = 99")
        #expect(throws: StoreError.self) { try SQLiteDatabase.openStore(path: path) }
    }
}

extension Result where Success == Void {
    var isSuccess: Bool { if case .success = self { return true } else { return false } }
}
