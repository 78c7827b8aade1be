import Testing
@testable import WireProtocol

@Test func directRoomIdsUseByteOrder() {
    #expect(DirectRoom.id(between: "bob", and: "alice") == "dm:alice|bob")
    #expect(DirectRoom.id(between: "alice", and: "bob") == "dm:alice|bob")
    // Byte order: uppercase before lowercase, digits before letters, "." (0x2E) before "0".
    #expect(DirectRoom.id(between: "alice", and: "Zed") == "dm:Zed|alice")
    #expect(DirectRoom.id(between: "a9", and: "a.b") == "dm:a.b|a9")
    // A prefix sorts first.
    #expect(DirectRoom.id(between: "anna", and: "ann") == "dm:ann|anna")
}

@Test func directRoomIdsSplitBack() {
    #expect(DirectRoom.participants(of: "dm:alice|bob").map { [$0.0, $0.1] } == ["alice", "bob"])
    #expect(DirectRoom.participants(of: "dm:bob|alice") == nil)  // not in byte order
    #expect(DirectRoom.participants(of: "dm:bob|bob") == nil)    // one user
    #expect(DirectRoom.participants(of: "dm:bob") == nil)
    #expect(DirectRoom.participants(of: "dm:|bob") == nil)
    #expect(DirectRoom.participants(of: "dm:a|b|c") == nil)
    #expect(DirectRoom.participants(of: "grp:alice|bob") == nil)
    #expect(DirectRoom.peer(of: "alice", in: "dm:alice|bob") == "bob")
    #expect(DirectRoom.peer(of: "bob", in: "dm:alice|bob") == "alice")
    #expect(DirectRoom.peer(of: "carol", in: "dm:alice|bob") == nil)
    // 260 bytes: beyond the 128 of other room ids, still a valid room id.
    let id = DirectRoom.id(between: String(repeating: "v", count: 128), and: String(repeating: "u", count: 128))
    #expect(id.utf8.count == 260)
    #expect(Identifier.isRoomID(id))
}

@Test func identifierSyntax() {
    #expect(Identifier.isUserID("alice.smith@example.org"))
    #expect(Identifier.isUserID("user_1-2"))
    #expect(!Identifier.isUserID(""))
    #expect(!Identifier.isUserID("a:b"))
    #expect(!Identifier.isUserID("a|b"))
    #expect(!Identifier.isUserID("é"))
    #expect(Identifier.isUserID(String(repeating: "a", count: 128)))
    #expect(!Identifier.isUserID(String(repeating: "a", count: 129)))
    #expect(Identifier.isRoomID("grp:hikers|2025"))
    #expect(!Identifier.isRoomID("grp/hikers"))
    #expect(!Identifier.isRoomID("dm:"))  // reserved prefix, not a direct id
    #expect(Identifier.isOpaqueID("1764147600000-0"))
    #expect(!Identifier.isOpaqueID("a b"))
    #expect(Identifier.isOpaqueID(String(repeating: "~", count: 64)))
    #expect(!Identifier.isOpaqueID(String(repeating: "~", count: 65)))
    #expect(Identifier.isClientName("rally js/1.0 (linux)"))
    #expect(!Identifier.isClientName("tab\there"))
}

@Test func textRules() {
    let limits = TextLimits.default
    #expect(limits.violation(in: "hello") == nil)
    #expect(limits.violation(in: "\u{1}") == nil)         // other control characters are allowed
    #expect(limits.violation(in: "\u{200B}") == nil)      // zero-width space is not White_Space
    #expect(limits.violation(in: " x ") == nil)
    #expect(limits.violation(in: "")?.code == .textInvalid)
    #expect(limits.violation(in: "\u{85}\u{A0}\u{1680}\u{2000}\u{200A}\u{202F}\u{205F}\u{3000}\u{0B}")?.code == .textInvalid)
    #expect(limits.violation(in: "ok\u{0}")?.code == .textInvalid)
    // Too long wins over NUL: the size is checked first.
    #expect(limits.violation(in: String(repeating: "\u{0}", count: 4_001))?.code == .textTooLong)
    #expect(limits.violation(in: "x", field: "positions")?.field == nil)
    #expect(limits.violation(in: "", field: "body")?.field == "body")
}

@Test func rolesAreOrdered() {
    #expect(Role.follower < .member && Role.member < .moderator && Role.moderator < .owner)
    #expect(Role.allCases.sorted() == [.follower, .member, .moderator, .owner])
    #expect(Role(rawValue: "moderator") == .moderator)
    #expect(RoomKind(rawValue: "announcement") == .announcement)
    #expect(Limits.default.text == TextLimits.default)
}
