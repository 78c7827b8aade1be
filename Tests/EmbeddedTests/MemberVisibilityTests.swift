import Broker
import Foundation
import Testing
import WireProtocol
@testable import Embedded

/// Who sees membership events, per room kind and role (the "see members" row of the rights
/// table): in history and in recovery replays, every cell.
@Suite struct MemberVisibilityTests {
    static let roles: [Role] = [.follower, .member, .moderator, .owner]

    /// Joins of every role into a room of `kind`, then what each role sees of them.
    func seen(in kind: RoomKind) throws -> [Role: [Event]] {
        let f = try Fixture()
        f.admin(.createRoom(id: "r", kind: kind, name: "r"))
        // One reader per role, present from the start (their positions are before the joins).
        f.admin(.putMembers(room: "r", members: Self.roles.map { (user: "reader-\($0.rawValue)", role: $0) }))
        var positions: [Role: Position] = [:]
        for role in Self.roles {
            let start = f.session("reader-\(role.rawValue)", issuedAt: nil, positions: [])
            let state = try #require(start.value?.rooms.first)
            positions[role] = Position(room: "r", epoch: state.epoch, id: state.last ?? "")
        }
        f.admin(.putMembers(room: "r", members: [(user: "newcomer", role: .follower)]))
        f.admin(.putMembers(room: "r", members: [(user: "newcomer", role: .moderator)]))
        f.admin(.removeMembers(room: "r", users: ["newcomer"]))
        var out: [Role: [Event]] = [:]
        for role in Self.roles {
            let reader = "reader-\(role.rawValue)"
            let replay = f.session(reader, issuedAt: nil, positions: [positions[role]!])
            let replayed = (replay.value?.replay ?? []).compactMap { frame -> Event? in
                guard case .success(.push(.event(let e))) = WireDecoder.decodeServerFrame(frame) else { return nil }
                return e
            }
            let page: Result<HistoryPage, ProtocolError> = wait {
                f.broker.history(user: reader, room: "r", anchor: .after(positions[role]!.id), limit: 10, loop: f.index, completion: $0)
            }
            #expect(replayed == page.value?.events, "replay and history agree for \(role)")
            out[role] = replayed
        }
        return out
    }

    @Test(arguments: [RoomKind.group, .announcement])
    func eachRoleSeesNamesOrOnlyCounts(kind: RoomKind) throws {
        let views = try seen(in: kind)
        for role in Self.roles {
            let events = views[role] ?? []
            #expect(events.count == 3, "\(role) in \(kind)")
            let named = kind == .group || role >= .moderator   // the spec's table, written out
            let expectedKinds = named ? ["member.joined", "member.role", "member.left"] : ["member.count", "member.count", "member.count"]
            #expect(events.map(\.kind) == expectedKinds, "\(role) in \(kind)")
            // Counts after each change: 4 readers + newcomer, still 5, then 4.
            #expect(events.map(\.members) == [5, 5, 4], "\(role) in \(kind)")
            let text = events.map { String(decoding: WireEncoder.push(.event($0)), as: UTF8.self) }.joined()
            #expect(text.contains("newcomer") == named, "\(role) in \(kind)")
        }
    }

    @Test func thePlatformsHistorySeesEveryName() throws {
        let f = try Fixture()
        f.group("news", kind: .announcement, [("lead", .owner), ("fan", .follower)])
        let page = try #require(f.admin(.history(room: "news", anchor: .latest, limit: 10)).value)
        guard case .history(let history) = page else { Issue.record("not a page"); return }
        #expect(history.events.map(\.kind) == ["member.joined", "member.joined"])
    }
}
