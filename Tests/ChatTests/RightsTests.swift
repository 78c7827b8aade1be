import Testing
import WireProtocol
@testable import Chat

/// The rights table, cell by cell: every role × every action × every room kind.
@Suite struct RightsTests {
    /// The table as the spec states it, written out independently of the implementation:
    /// for each (kind, action), the roles that may.
    static let table: [RoomKind: [ChatAction: Set<Role>]] = [
        .group: [
            .read: [.follower, .member, .moderator, .owner],
            .post: [.member, .moderator, .owner],
            .editOwn: [.member, .moderator, .owner],
            .deleteOwn: [.member, .moderator, .owner],
            .deleteOthers: [.moderator, .owner],
            .seeMembers: [.follower, .member, .moderator, .owner],
        ],
        .announcement: [
            .read: [.follower, .member, .moderator, .owner],
            .post: [.moderator, .owner],
            .editOwn: [.moderator, .owner],
            .deleteOwn: [.moderator, .owner],
            .deleteOthers: [.moderator, .owner],
            .seeMembers: [.moderator, .owner],
        ],
        .direct: [
            .read: [.member, .moderator, .owner],
            .post: [.member, .moderator, .owner],
            .editOwn: [.member, .moderator, .owner],
            .deleteOwn: [.member, .moderator, .owner],
            .deleteOthers: [],
            .seeMembers: [],
        ],
    ]

    static let kinds: [RoomKind] = [.group, .announcement, .direct]
    static let roles: [Role] = [.follower, .member, .moderator, .owner]

    @Test(arguments: kinds, ChatAction.allCases)
    func everyRoleGetsExactlyTheRightsOfTheTable(kind: RoomKind, action: ChatAction) {
        let allowed = Self.table[kind]?[action] ?? []
        for role in Self.roles {
            #expect(Rights.allows(action, role: role, in: kind) == allowed.contains(role),
                    "\(role) \(action) in \(kind)")
        }
    }

    @Test func rolesAreOrdered() {
        #expect(Role.follower < .member && Role.member < .moderator && Role.moderator < .owner)
    }
}

@Suite struct DirectMessagePolicyTests {
    let policy = DirectMessagePolicy()

    func rooms(_ entries: [(String, RoomKind, Role)]) -> [String: Membership] {
        Dictionary(uniqueKeysWithValues: entries.map { ($0.0, Membership(kind: $0.1, role: $0.2)) })
    }

    @Test func sharingAGroupRoomAllows() {
        let ana = rooms([("g1", .group, .member)])
        let bob = rooms([("g1", .group, .member)])
        #expect(policy.check(sender: "ana", senderRooms: ana, recipient: "bob", recipientRooms: bob, blocked: false) == nil)
    }

    @Test func followingTheSameAnnouncementRoomIsNotEnough() {
        let ana = rooms([("news", .announcement, .follower)])
        let bob = rooms([("news", .announcement, .follower)])
        #expect(policy.check(sender: "ana", senderRooms: ana, recipient: "bob", recipientRooms: bob, blocked: false) == .dmNotAllowed)
    }

    @Test func membersMayWriteToTheLeadersOfTheirRooms() {
        let follower = rooms([("news", .announcement, .follower)])
        let leader = rooms([("news", .announcement, .moderator)])
        #expect(policy.check(sender: "ana", senderRooms: follower, recipient: "lea", recipientRooms: leader, blocked: false) == nil)
        let owner = rooms([("news", .announcement, .owner)])
        #expect(policy.check(sender: "ana", senderRooms: follower, recipient: "olga", recipientRooms: owner, blocked: false) == nil)
    }

    @Test func noSharedRoomRefuses() {
        let ana = rooms([("g1", .group, .member)])
        let bob = rooms([("g2", .group, .member)])
        #expect(policy.check(sender: "ana", senderRooms: ana, recipient: "bob", recipientRooms: bob, blocked: false) == .dmNotAllowed)
    }

    @Test func aBlockRefusesEvenWithASharedGroup() {
        let both = rooms([("g1", .group, .member)])
        #expect(policy.check(sender: "ana", senderRooms: both, recipient: "bob", recipientRooms: both, blocked: true) == .blocked)
    }

    @Test func writingToOneselfIsInvalid() {
        let ana = rooms([("g1", .group, .member)])
        #expect(policy.check(sender: "ana", senderRooms: ana, recipient: "ana", recipientRooms: ana, blocked: false) == .invalidArgument)
    }

    @Test func withMemberDMsOffOnlyLeaderConversationsRemain() {
        let off = DirectMessagePolicy(memberToMemberAllowed: false)
        let member = rooms([("g1", .group, .member)])
        let leader = rooms([("g1", .group, .moderator)])
        #expect(off.check(sender: "ana", senderRooms: member, recipient: "bob", recipientRooms: member, blocked: false) == .dmDisabled)
        #expect(off.check(sender: "ana", senderRooms: member, recipient: "lea", recipientRooms: leader, blocked: false) == nil)
        #expect(off.check(sender: "lea", senderRooms: leader, recipient: "ana", recipientRooms: member, blocked: false) == nil)
    }
}

@Suite struct TokenBucketTests {
    @Test func burstThenRate() {
        var bucket = TokenBucket(rate: 10, burst: 20, now: 0)
        for _ in 0..<20 { #expect(bucket.take(now: 0) == nil) }
        let wait = bucket.take(now: 0)
        #expect(wait != nil && wait! <= 100_000_000 && wait! > 0)
        #expect(bucket.take(now: 100_000_000) == nil)   // 100 ms later: one token back
        #expect(bucket.take(now: 100_000_000) != nil)
        #expect(bucket.take(now: 10_000_000_000) == nil) // long idle: refilled up to the burst only
        for _ in 0..<19 { #expect(bucket.take(now: 10_000_000_000) == nil) }
        #expect(bucket.take(now: 10_000_000_000) != nil)
    }
}
