import Broker
import Foundation
import Testing
import WireProtocol
@testable import Embedded

/// Deleted means gone: after an edit or a delete, no replay, history page or store file shows
/// the text that was replaced or deleted (protocol §8). Live pushes carry the text of the moment.
@Suite struct DeletedTextTests {
    /// ana posts and edits one message twice, posts another and deletes it: four canaries that
    /// must survive only in the live pushes.
    struct Scene {
        var tip: Position
        var edited: String
        var deleted: String
        var live: [[UInt8]]
    }

    static let canaries = ["canary-first-7f3a", "canary-second-7f3a", "canary-secret-7f3a"]

    func play(_ f: Fixture) throws -> Scene {
        f.group("g1", [("ana", .member), ("bob", .member)])
        let start = f.session("bob", issuedAt: nil, positions: [])
        let room = try #require(start.value?.rooms.first)
        let tip = Position(room: "g1", epoch: room.epoch, id: room.last ?? "")
        let liveBefore = f.loop.frames.withLock { $0.count }
        let edited = try #require(f.send("g1", "ana", Self.canaries[0]).value).id
        for text in [Self.canaries[1], "the final text"] {
            let edit: Result<AppendResult, ProtocolError> = wait {
                f.broker.append(.edit(room: "g1", author: "ana", target: edited, text: text), loop: f.index, completion: $0)
            }
            #expect(edit.value != nil)
        }
        let deleted = try #require(f.send("g1", "ana", Self.canaries[2]).value).id
        let delete: Result<AppendResult, ProtocolError> = wait {
            f.broker.append(.delete(room: "g1", actor: "ana", target: deleted), loop: f.index, completion: $0)
        }
        #expect(delete.value != nil)
        let live = f.loop.frames.withLock { Array($0[liveBefore...]) }
        return Scene(tip: tip, edited: edited, deleted: deleted, live: live)
    }

    static func contains(_ haystack: [UInt8], _ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard haystack.count >= n.count else { return false }
        for start in 0...(haystack.count - n.count) where haystack[start] == n[0] {
            if Array(haystack[start..<(start + n.count)]) == n { return true }
        }
        return false
    }

    static func events(_ frames: [[UInt8]]) -> [Event] {
        frames.compactMap {
            guard case .success(.push(.event(let event))) = WireDecoder.decodeServerFrame($0) else { return nil }
            return event
        }
    }

    /// The replayed or paged events show the current state: the edited message and both its
    /// edits carry the final text; the deleted message is a tombstone; the delete stays.
    func expectCurrentState(_ events: [Event], _ scene: Scene) {
        #expect(events.map(\.kind) == ["message", "edit", "edit", "message", "delete"])
        guard events.count == 5 else { return }
        #expect(events[0].id == scene.edited && events[0].edited && !events[0].deleted)
        if case .message(_, let text, _, _) = events[0].body { #expect(text == "the final text") }
        for edit in events[1...2] {
            if case .edit(_, _, let text) = edit.body { #expect(text == "the final text") } else { Issue.record("not an edit") }
        }
        #expect(events[3].id == scene.deleted && events[3].deleted && events[3].seq == events[2].seq + 1)
        #expect(events[4].body == .delete(actor: "ana", target: scene.deleted))
    }

    func recover(_ f: Fixture, from tip: Position) throws -> [[UInt8]] {
        let resumed = f.session("bob", issuedAt: nil, positions: [tip])
        #expect(resumed.value?.rooms.first?.recovered == true)
        return try #require(resumed.value?.replay)
    }

    @Test func liveEditsCarryTheirTextButRecoveryFromMemoryShowsOnlyTheCurrentState() throws {
        let f = try Fixture()
        let scene = try play(f)
        // Live: each push as it happened.
        for canary in Self.canaries { #expect(scene.live.contains { Self.contains($0, canary) }) }
        let replay = try recover(f, from: scene.tip)
        for frame in replay {
            for canary in Self.canaries { #expect(!Self.contains(frame, canary), "\(canary) replayed") }
        }
        expectCurrentState(Self.events(replay), scene)
    }

    @Test func recoveryFromTheStoreAndHistoryShowOnlyTheCurrentState() throws {
        let path = storePath()
        defer { removeStore(path) }
        var scene: Scene?
        do {
            scene = try play(try Fixture(path: path))
        }
        let scene1 = try #require(scene)
        // After a restart the windows are empty: recovery reads SQLite.
        let f = try Fixture(path: path)
        let replay = try recover(f, from: scene1.tip)
        for frame in replay {
            for canary in Self.canaries { #expect(!Self.contains(frame, canary), "\(canary) replayed") }
        }
        expectCurrentState(Self.events(replay), scene1)
        let page: Result<HistoryPage, ProtocolError> = wait {
            f.broker.history(user: "bob", room: "g1", anchor: .after(scene1.tip.id), limit: 10, loop: f.index, completion: $0)
        }
        let events = try #require(page.value?.events)
        expectCurrentState(events, scene1)
        let encoded = events.map { WireEncoder.push(.event($0)) }
        for frame in encoded {
            for canary in Self.canaries { #expect(!Self.contains(frame, canary)) }
        }
    }

    /// What the store's files hold of the canaries and of the current text.
    func scanFiles(_ path: String) -> (canaries: [String], current: Bool) {
        var found: [String] = []
        var current = false
        for file in [path, path + "-wal"] {
            guard let data = FileManager.default.contents(atPath: file) else { continue }
            let bytes = [UInt8](data)
            found += Self.canaries.filter { Self.contains(bytes, $0) }.map { "\($0) in \(file)" }
            if file == path && Self.contains(bytes, "the final text") { current = true }
        }
        return (found, current)
    }

    @Test func theStoreFilesHoldNoReplacedOrDeletedTextAfterTheNextCheckpoint() throws {
        let f = try Fixture()
        _ = try play(f)
        // The engine truncates the WAL when idle or within a second under load; the files are
        // read until that has happened (at most a few seconds).
        var scan = scanFiles(f.path)
        let deadline = Date().addingTimeInterval(5)
        while (!scan.canaries.isEmpty || !scan.current) && Date() < deadline {
            _ = f.admin(.stats)
            Thread.sleep(forTimeInterval: 0.05)
            scan = scanFiles(f.path)
        }
        #expect(scan.canaries.isEmpty, "\(scan.canaries)")
        // The current text reached the database file: the check can find text at all.
        #expect(scan.current)
        let wal = (try? FileManager.default.attributesOfItem(atPath: f.path + "-wal")[.size] as? Int) ?? 0
        #expect(wal == 0)
    }

    @Test func aWindowRestatedOnEditKeepsItsByteCount() throws {
        let f = try Fixture()
        let scene = try play(f)
        let room = try #require(f.broker.rooms["g1"])
        #expect(room.recentBytes == room.recent.reduce(0) { $0 + $1.frame.count })
        #expect(f.broker.recentBytesTotal == f.broker.rooms.values.reduce(0) { $0 + $1.recentBytes })
        #expect(room.recent.contains { $0.id == scene.deleted })
    }
}
