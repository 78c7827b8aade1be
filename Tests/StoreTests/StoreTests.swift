import Foundation
import Synchronization
import Testing
@testable import Store

func temporaryStorePath() -> String {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-store-\(UUID().uuidString)")
    try? FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    return dir.appendingPathComponent("rally.sqlite").path
}

/// Applies `writes` in one transaction, as the engine applies one request.
func write(_ db: SQLiteDatabase, _ writes: [StoreWrite]) -> Result<Void, StoreError> {
    do {
        try db.transaction { () throws(StoreError) in
            for write in writes { try db.apply(write) }
        }
        return .success(())
    } catch {
        return .failure(error)
    }
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
            let db = try SQLiteDatabase.openStore(path: path)
            #expect(write(db, [.createRoom(room), .putMember(MemberRecord(room: room.id, user: "ana", role: "member"), at: 1)]).isSuccess)
            #expect(write(db, [message(room.id, "1-0", seq: 1, text: "hello", cmid: "c1")]).isSuccess)
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

    @Test func aDuplicateClientMessageIdIsAConflictAndWritesNothing() throws {
        let db = try SQLiteDatabase.openStore(path: temporaryStorePath())
        _ = write(db, [.createRoom(room)])
        _ = write(db, [message(room.id, "1-0", seq: 1, text: "a", cmid: "same")])
        let duplicate = write(db, [message(room.id, "2-0", seq: 2, text: "b", cmid: "same")])
        if case .failure(.conflict) = duplicate {} else { Issue.record("duplicate accepted: \(duplicate)") }
        #expect(write(db, [message(room.id, "3-0", seq: 3, text: "c", cmid: "other")]).isSuccess)
        #expect(try db.message(room: room.id, author: "ana", cmid: "same")?.id == "1-0")
        #expect(try db.seq(room: room.id, eventID: "2-0") == nil)  // the event row went with it
        #expect(try db.message(room: room.id, author: "ana", cmid: "other")?.id == "3-0")
    }

    @Test func editsAndDeletesApplyForwardOnly() throws {
        let db = try SQLiteDatabase.openStore(path: temporaryStorePath())
        _ = write(db, [.createRoom(room), message(room.id, "1-0", seq: 1, text: "first", cmid: "c1")])
        _ = write(db, [.append(event(room.id, "3-0", seq: 3, kind: "edit", target: "1-0"), .edit(target: "1-0", text: "newer"))])
        // A replayed, older edit (seq 2) arrives late: it must not roll the text back.
        _ = write(db, [.append(event(room.id, "2-0", seq: 2, kind: "edit", target: "1-0"), .edit(target: "1-0", text: "older"))])
        #expect(try db.messages(room: room.id, seqIn: 1...1)["1-0"]?.text == "newer")
        #expect(try db.rooms().first?.seq == 3)  // the tip did not move back either
        _ = write(db, [.append(event(room.id, "4-0", seq: 4, kind: "delete", target: "1-0"), .delete(target: "1-0"))])
        let deleted = try db.messages(room: room.id, seqIn: 1...1)["1-0"]
        #expect(deleted?.deleted == true)
        #expect(deleted?.text == nil)
    }

    @Test func readPositionsOnlyMoveForward() throws {
        let db = try SQLiteDatabase.openStore(path: temporaryStorePath())
        _ = write(db, [.createRoom(room), .setReadPosition(user: "ana", room: room.id, eventID: "5-0", seq: 5)])
        _ = write(db, [.setReadPosition(user: "ana", room: room.id, eventID: "3-0", seq: 3)])
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

/// Schema 1 stored every event's push with its text; opening such a file with schema 2 strips
/// the texts from the log and rewrites the file, so nothing deleted before the upgrade remains.
@Suite struct SchemaUpgradeTests {
    @Test func anUpgradeStripsTextFromTheLogAndFromTheFile() throws {
        let path = temporaryStorePath()
        defer { try? FileManager.default.removeItem(atPath: (path as NSString).deletingLastPathComponent) }
        do {
            // A schema-1 file as an older server left it: texts in the log, a deleted message's
            // text only in the log and in free space (no secure_delete then).
            let old = try SQLiteDatabase(path: path)
            try old.execute(Schema.v1)
            try old.execute("PRAGMA user_version = 1")
            try old.execute("INSERT INTO rooms (id, kind, epoch, seq, created_at) VALUES ('g', 'group', 'e', 2, 0)")
            try old.execute("""
                INSERT INTO events (room_id, id, seq, at, kind, actor, body) VALUES
                ('g', '1-1', 1, 1, 'message', 'ana', CAST('{"push":"event","kind":"message","author":"ana","text":"old-canary-41","cmid":"c1"}' AS BLOB)),
                ('g', '2-2', 2, 2, 'edit', 'ana', CAST('{"push":"event","kind":"edit","author":"ana","target":"1-1","text":"kept-text-41"}' AS BLOB))
                """)
            try old.execute("""
                INSERT INTO messages (room_id, id, seq, author, cmid, text, at, edited_at, version)
                VALUES ('g', '1-1', 1, 'ana', 'c1', 'kept-text-41', 1, 2, 2)
                """)
            try old.execute("PRAGMA wal_checkpoint(TRUNCATE)")
        }
        let db = try SQLiteDatabase.openStore(path: path)
        let bodies = try db.events(room: "g", seqIn: 1...2, limit: 10).map { String(decoding: $0.body, as: UTF8.self) }
        #expect(bodies.count == 2)
        #expect(bodies.allSatisfy { $0.contains("\"text\":\"\"") })
        let file = [UInt8](FileManager.default.contents(atPath: path) ?? Data())
        let text = String(decoding: file.map { $0 == 0 ? 32 : $0 }, as: UTF8.self)
        #expect(!text.contains("old-canary-41"))
        #expect(text.contains("kept-text-41"))  // the current text, in `messages`
        #expect(try db.message(room: "g", id: "1-1")?.text == "kept-text-41")
    }
}
