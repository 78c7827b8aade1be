import Testing
@testable import WireProtocol

/// One well-formed frame per command (and per optional-argument form), with its value.
let validCommands: [(String, CommandEnvelope)] = [
    (#"{"id":"1","cmd":"connect","token":"t.k.n"}"#,
     CommandEnvelope(id: "1", command: .connect(ConnectCommand(token: "t.k.n")))),
    (#"{"cmd":"connect","token":"t","id":"c-1","client":"rally-js/1.4.2","positions":[{"room":"grp:a","epoch":"e1","id":"5-0"},{"id":"7-0","epoch":"e2","room":"dm:alice|bob"}]}"#,
     CommandEnvelope(id: "c-1", command: .connect(ConnectCommand(
        token: "t",
        positions: [Position(room: "grp:a", epoch: "e1", id: "5-0"), Position(room: "dm:alice|bob", epoch: "e2", id: "7-0")],
        client: "rally-js/1.4.2")))),
    (#"{"id":"1","cmd":"connect","token":"t","positions":[]}"#,
     CommandEnvelope(id: "1", command: .connect(ConnectCommand(token: "t", positions: [])))),
    (#"{"id":"2","cmd":"refresh","token":"new"}"#, CommandEnvelope(id: "2", command: .refresh(token: "new"))),
    (#"{"id":"3","cmd":"send","room":"grp:hikers","text":"Hi 👋\nall","cmid":"a-1"}"#,
     CommandEnvelope(id: "3", command: .send(SendCommand(room: "grp:hikers", text: "Hi 👋\nall", cmid: "a-1")))),
    (#"{"id":"3","cmd":"send","room":"r","text":" x ","cmid":"a-1","replyTo":"9-0"}"#,
     CommandEnvelope(id: "3", command: .send(SendCommand(room: "r", text: " x ", cmid: "a-1", replyTo: "9-0")))),
    (#"{"id":"4","cmd":"dm","to":"bob@example.org","text":"hi","cmid":"c"}"#,
     CommandEnvelope(id: "4", command: .dm(DirectCommand(to: "bob@example.org", text: "hi", cmid: "c")))),
    (#"{"id":"4","cmd":"dm","to":"bob","text":"hi","cmid":"c","replyTo":"1-0"}"#,
     CommandEnvelope(id: "4", command: .dm(DirectCommand(to: "bob", text: "hi", cmid: "c", replyTo: "1-0")))),
    (#"{"id":"5","cmd":"edit","room":"r","target":"1-0","text":"fixed"}"#,
     CommandEnvelope(id: "5", command: .edit(EditCommand(room: "r", id: "1-0", text: "fixed")))),
    (#"{"id":"6","cmd":"delete","room":"r","target":"1-0"}"#, CommandEnvelope(id: "6", command: .delete(room: "r", id: "1-0"))),
    (#"{"id":"7","cmd":"history","room":"r"}"#, CommandEnvelope(id: "7", command: .history(HistoryCommand(room: "r")))),
    (#"{"id":"7","cmd":"history","room":"r","before":"9-0","limit":100}"#,
     CommandEnvelope(id: "7", command: .history(HistoryCommand(room: "r", anchor: .before("9-0"), limit: 100)))),
    (#"{"id":"7","cmd":"history","room":"r","after":"9-0","limit":1}"#,
     CommandEnvelope(id: "7", command: .history(HistoryCommand(room: "r", anchor: .after("9-0"), limit: 1)))),
    (#"{"id":"8","cmd":"read","room":"r","event":"9-0"}"#, CommandEnvelope(id: "8", command: .read(room: "r", id: "9-0"))),
    (#"{"id":"9","cmd":"rooms"}"#, CommandEnvelope(id: "9", command: .rooms)),
    (#"{"id":"10","cmd":"block","user":"dave"}"#, CommandEnvelope(id: "10", command: .block(user: "dave"))),
    (#"{"id":"11","cmd":"unblock","user":"dave"}"#, CommandEnvelope(id: "11", command: .unblock(user: "dave"))),
    (#"{"id":"12","cmd":"hide","room":"dm:ana|bob"}"#, CommandEnvelope(id: "12", command: .hide(room: "dm:ana|bob"))),
    (#"{"id":"~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~0123456789012345678901234567890","cmd":"rooms"}"#,
     CommandEnvelope(id: "~!#$%&'()*+,-./:;<=>?@[\\]^_`{|}~0123456789012345678901234567890", command: .rooms)),
]

@Test("valid commands decode, and re-encode to an equal JSON value", arguments: validCommands.indices)
func validCommandDecodes(_ index: Int) throws {
    let (text, expected) = validCommands[index]
    let decoded = try decode(text).get()
    #expect(decoded == expected)
    let encoded = WireEncoder.command(decoded)
    #expect(reparse(encoded) == (try parse(text)))
    #expect(try WireDecoder.decodeCommand(encoded).get() == expected)
}

@Test func everyCommandNameHasAValidCase() {
    let covered = Set(validCommands.map(\.1.command.name))
    #expect(covered == Set(CommandName.allCases))
}

@Test func historyDefaultsAndAccessors() throws {
    let envelope = try decode(#"{"id":"1","cmd":"history","room":"r","before":"5-0"}"#).get()
    guard case .history(let history) = envelope.command else {
        Issue.record("not history")
        return
    }
    #expect(history.effectiveLimit == 50)
    #expect(history.before == "5-0" && history.after == nil)
    let tighter = WireDecoder.decodeCommand(bytes(#"{"id":"1","cmd":"history","room":"r","limit":20}"#), historyMax: 20)
    #expect((try? tighter.get()) != nil)
    let refused = WireDecoder.decodeCommand(bytes(#"{"id":"1","cmd":"history","room":"r","limit":21}"#), historyMax: 20)
    #expect(refused == .failure(CommandDecodeError(
        id: "1", error: ProtocolError(.limitOutOfRange, "limit must be between 1 and 20", field: "limit"))))
}

@Test func textAtTheLimitsIsAccepted() throws {
    let limits = TextLimits.default
    let longest = String(repeating: "a", count: limits.maxScalars)
    #expect((try? decode(#"{"id":"1","cmd":"send","room":"r","text":"\#(longest)","cmid":"c"}"#).get()) != nil)
    // 4,000 four-byte scalars are 16,000 bytes: within both limits.
    let emoji = String(repeating: "😀", count: limits.maxScalars)
    #expect((try? decode(#"{"id":"1","cmd":"send","room":"r","text":"\#(emoji)","cmid":"c"}"#).get()) != nil)
    // Escaped text counts after unescaping.
    let escaped = String(repeating: "\\u00e9", count: limits.maxScalars)
    #expect((try? decode(#"{"id":"1","cmd":"send","room":"r","text":"\#(escaped)","cmid":"c"}"#).get()) != nil)
}
