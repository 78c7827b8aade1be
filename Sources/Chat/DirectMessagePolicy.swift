import WireProtocol

/// One of a user's memberships, as the direct-message rules need it.
public struct Membership: Equatable, Sendable {
    public var kind: RoomKind
    public var role: Role

    public init(kind: RoomKind, role: Role) {
        self.kind = kind
        self.role = role
    }
}

/// Who may write to whom (protocol/README.md, "Direct messages").
///
/// Allowed when the two share a *group* room, or when the recipient moderates or owns a room
/// the sender belongs to (members can always write to their group's leaders) — never merely
/// because both follow the same announcement room. A block in either direction refuses. With
/// member-to-member DMs turned off, only conversations with a leader remain: the recipient
/// leads a room of the sender's, or the sender leads a room of the recipient's.
public struct DirectMessagePolicy: Sendable {
    public var memberToMemberAllowed: Bool

    public init(memberToMemberAllowed: Bool = true) {
        self.memberToMemberAllowed = memberToMemberAllowed
    }

    /// nil when `sender` may write to `recipient`; otherwise the refusal's error code.
    public func check(sender: String, senderRooms: [String: Membership],
                      recipient: String, recipientRooms: [String: Membership],
                      blocked: Bool) -> ErrorCode? {
        guard sender != recipient else { return .invalidArgument }
        if blocked { return .blocked }
        if leads(recipientRooms, over: senderRooms) { return nil }
        if !memberToMemberAllowed {
            return leads(senderRooms, over: recipientRooms) ? nil : .dmDisabled
        }
        return shareGroup(senderRooms, recipientRooms) ? nil : .dmNotAllowed
    }

    /// `leader` is moderator or owner of a room `other` belongs to.
    private func leads(_ leader: [String: Membership], over other: [String: Membership]) -> Bool {
        let (small, large, smallIsLeader) = leader.count <= other.count ? (leader, other, true) : (other, leader, false)
        for (room, membership) in small {
            guard let counterpart = large[room] else { continue }
            let leaderRole = smallIsLeader ? membership.role : counterpart.role
            if leaderRole >= .moderator { return true }
        }
        return false
    }

    private func shareGroup(_ a: [String: Membership], _ b: [String: Membership]) -> Bool {
        let (small, large) = a.count <= b.count ? (a, b) : (b, a)
        for (room, membership) in small where membership.kind == .group {
            if large[room] != nil { return true }
        }
        return false
    }
}
