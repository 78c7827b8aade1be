/// A user's role in a room, ordered: `follower < member < moderator < owner`.
///
/// The host platform maps its own levels onto these. Rights are "at least this role" checks
/// (see the rights table in protocol/README.md), hence `Comparable`.
public enum Role: String, Sendable, CaseIterable, Comparable {
    /// Reads; cannot post in group rooms.
    case follower
    /// Reads and posts in group rooms; the role of both users of a direct room.
    case member
    /// Posts in announcement rooms and deletes others' messages.
    case moderator
    /// Everything a moderator can; the platform's owner of the room.
    case owner

    /// Position in the order; the declaration order above.
    private var rank: Int {
        switch self {
        case .follower: return 0
        case .member: return 1
        case .moderator: return 2
        case .owner: return 3
        }
    }

    /// Whether `lhs` ranks below `rhs` (`.member < .moderator`).
    public static func < (lhs: Role, rhs: Role) -> Bool { lhs.rank < rhs.rank }
}
