import WireProtocol

/// What a member may try to do in a room.
public enum ChatAction: String, CaseIterable, Sendable {
    case read
    case post
    case editOwn
    case deleteOwn
    case deleteOthers
    /// See who joins, leaves or changes role (membership events with names); below it, a
    /// reader sees only the member count (`member.count`), so an announcement room's
    /// followers cannot list its members and find its moderators.
    case seeMembers
}

/// The rights table (protocol/README.md, "Rights"). Pure: the role and the room kind decide.
///
/// | action        | group    | announcement | direct (participants are members) |
/// |---------------|----------|--------------|-----------------------------------|
/// | read          | follower+| follower+    | member+                           |
/// | post          | member+  | moderator+   | member+                           |
/// | edit own      | member+  | moderator+   | member+                           |
/// | delete own    | member+  | moderator+   | member+                           |
/// | delete others'| moderator+| moderator+  | nobody                            |
/// | see members   | follower+| moderator+   | nobody (no membership events)     |
public enum Rights {
    /// The lowest role allowed to do `action` in a room of `kind`, or nil if nobody may.
    public static func minimumRole(for action: ChatAction, in kind: RoomKind) -> Role? {
        switch (kind, action) {
        case (.group, .read), (.announcement, .read), (.group, .seeMembers): return .follower
        case (.announcement, .seeMembers): return .moderator
        case (.direct, .seeMembers): return nil
        case (.group, .post), (.group, .editOwn), (.group, .deleteOwn): return .member
        case (.group, .deleteOthers): return .moderator
        case (.announcement, .post), (.announcement, .editOwn), (.announcement, .deleteOwn),
             (.announcement, .deleteOthers): return .moderator
        case (.direct, .deleteOthers): return nil
        case (.direct, _): return .member
        }
    }

    public static func allows(_ action: ChatAction, role: Role, in kind: RoomKind) -> Bool {
        guard let minimum = minimumRole(for: action, in: kind) else { return false }
        return role >= minimum
    }
}
