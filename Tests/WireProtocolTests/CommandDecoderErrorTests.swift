import Testing
@testable import WireProtocol

/// A refused frame and what the reply must say: the echoed id, the code and the field.
struct RefusedCommand: CustomStringConvertible, Sendable {
    var name: String
    var frame: String
    var id: String?
    var code: ErrorCode
    var field: String?
    var description: String { name }
}

private func refused(_ name: String, _ frame: String, id: String?, _ code: ErrorCode, field: String? = nil) -> RefusedCommand {
    RefusedCommand(name: name, frame: frame, id: id, code: code, field: field)
}

private let tooManyScalars = String(repeating: "a", count: 4_001)
/// 4,000 scalars (the scalar limit) but 16,001 bytes: too long in bytes only.
private let tooManyBytes = String(repeating: "😀", count: 4_000) + "a"
private let deep = String(repeating: "[", count: 40) + String(repeating: "]", count: 40)

let refusedCommands: [RefusedCommand] = [
    // 1000: not an envelope; the id cannot be trusted or is absent.
    refused("invalid JSON", #"{"id":"1","cmd":"rooms""#, id: nil, .malformed),
    refused("trailing comma", #"{"id":"1","cmd":"rooms",}"#, id: nil, .malformed),
    refused("empty frame", "", id: nil, .malformed),
    refused("not an object", #"["rooms"]"#, id: nil, .malformed),
    refused("a string", #""rooms""#, id: nil, .malformed),
    refused("nesting too deep", #"{"id":"1","cmd":"send","text":\#(deep)}"#, id: nil, .malformed),
    refused("duplicate key", #"{"id":"1","cmd":"rooms","cmd":"rooms"}"#, id: nil, .malformed),
    refused("missing id", #"{"cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("numeric id", #"{"id":1,"cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("null id", #"{"id":null,"cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("empty id", #"{"id":"","cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("id with a space", #"{"id":"a b","cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("id too long", #"{"id":"\#(String(repeating: "x", count: 65))","cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("non-ASCII id", #"{"id":"é","cmd":"rooms"}"#, id: nil, .malformed, field: "id"),
    refused("missing cmd", #"{"id":"1"}"#, id: "1", .malformed, field: "cmd"),
    refused("cmd not a string", #"{"id":"1","cmd":7}"#, id: "1", .malformed, field: "cmd"),
    // 1001
    refused("unknown cmd", #"{"id":"1","cmd":"fly"}"#, id: "1", .unknownCommand, field: "cmd"),
    refused("cmd is case-sensitive", #"{"id":"1","cmd":"Send"}"#, id: "1", .unknownCommand, field: "cmd"),
    // 1002
    refused("unknown argument", #"{"id":"1","cmd":"rooms","all":true}"#, id: "1", .invalidArgument, field: "all"),
    refused("unknown argument first", #"{"id":"1","cmd":"send","txt":"hi","room":"r","cmid":"c"}"#, id: "1", .invalidArgument, field: "txt"),
    refused("id argument is the envelope's", #"{"id":"1","cmd":"edit","room":"r","target":"1-0","text":"x","idx":"2"}"#, id: "1", .invalidArgument, field: "idx"),
    refused("missing cmid", #"{"id":"1","cmd":"send","room":"r","text":"hi"}"#, id: "1", .invalidArgument, field: "cmid"),
    refused("empty cmid", #"{"id":"1","cmd":"send","room":"r","text":"hi","cmid":""}"#, id: "1", .invalidArgument, field: "cmid"),
    refused("missing room", #"{"id":"1","cmd":"send","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "room"),
    refused("bad room charset", #"{"id":"1","cmd":"send","room":"grp hikers","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "room"),
    refused("room too long", #"{"id":"1","cmd":"send","room":"\#(String(repeating: "r", count: 129))","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "room"),
    refused("dm room out of order", #"{"id":"1","cmd":"send","room":"dm:bob|alice","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "room"),
    refused("dm room with one user", #"{"id":"1","cmd":"send","room":"dm:bob","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "room"),
    refused("bad user charset", #"{"id":"1","cmd":"dm","to":"bob|eve","text":"hi","cmid":"c"}"#, id: "1", .invalidArgument, field: "to"),
    refused("block without user", #"{"id":"1","cmd":"block"}"#, id: "1", .invalidArgument, field: "user"),
    refused("text not a string", #"{"id":"1","cmd":"send","room":"r","text":42,"cmid":"c"}"#, id: "1", .invalidArgument, field: "text"),
    refused("missing text", #"{"id":"1","cmd":"edit","room":"r","target":"1-0"}"#, id: "1", .invalidArgument, field: "text"),
    refused("null replyTo", #"{"id":"1","cmd":"send","room":"r","text":"hi","cmid":"c","replyTo":null}"#, id: "1", .invalidArgument, field: "replyTo"),
    refused("event id with space", #"{"id":"1","cmd":"delete","room":"r","target":"1 0"}"#, id: "1", .invalidArgument, field: "target"),
    refused("read without event", #"{"id":"1","cmd":"read","room":"r"}"#, id: "1", .invalidArgument, field: "event"),
    refused("before and after", #"{"id":"1","cmd":"history","room":"r","before":"1-0","after":"2-0"}"#, id: "1", .invalidArgument, field: "after"),
    refused("limit not an integer", #"{"id":"1","cmd":"history","room":"r","limit":10.0}"#, id: "1", .invalidArgument, field: "limit"),
    refused("limit a string", #"{"id":"1","cmd":"history","room":"r","limit":"10"}"#, id: "1", .invalidArgument, field: "limit"),
    refused("missing token", #"{"id":"1","cmd":"connect"}"#, id: "1", .invalidArgument, field: "token"),
    refused("empty token", #"{"id":"1","cmd":"refresh","token":""}"#, id: "1", .invalidArgument, field: "token"),
    refused("positions not an array", #"{"id":"1","cmd":"connect","token":"t","positions":{}}"#, id: "1", .invalidArgument, field: "positions"),
    refused("position not an object", #"{"id":"1","cmd":"connect","token":"t","positions":["r"]}"#, id: "1", .invalidArgument, field: "positions[0]"),
    refused("position without epoch", #"{"id":"1","cmd":"connect","token":"t","positions":[{"room":"r","id":"1-0"}]}"#, id: "1", .invalidArgument, field: "positions[0].epoch"),
    refused("position with unknown member", #"{"id":"1","cmd":"connect","token":"t","positions":[{"room":"r","epoch":"e","id":"1-0","seq":3}]}"#, id: "1", .invalidArgument, field: "positions[0].seq"),
    refused("two positions for a room", #"{"id":"1","cmd":"connect","token":"t","positions":[{"room":"r","epoch":"e","id":"1-0"},{"room":"r","epoch":"e","id":"2-0"}]}"#, id: "1", .invalidArgument, field: "positions[1].room"),
    refused("client with a newline", #"{"id":"1","cmd":"connect","token":"t","client":"x\ny"}"#, id: "1", .invalidArgument, field: "client"),
    // 1003
    refused("text too long in scalars", #"{"id":"1","cmd":"send","room":"r","text":"\#(tooManyScalars)","cmid":"c"}"#, id: "1", .textTooLong, field: "text"),
    refused("text too long in bytes", #"{"id":"1","cmd":"send","room":"r","text":"\#(tooManyBytes)","cmid":"c"}"#, id: "1", .textTooLong, field: "text"),
    refused("edit text too long", #"{"id":"1","cmd":"edit","room":"r","target":"1-0","text":"\#(tooManyScalars)"}"#, id: "1", .textTooLong, field: "text"),
    // 1004
    refused("text with NUL", #"{"id":"1","cmd":"send","room":"r","text":"a\u0000b","cmid":"c"}"#, id: "1", .textInvalid, field: "text"),
    refused("empty text", #"{"id":"1","cmd":"dm","to":"bob","text":"","cmid":"c"}"#, id: "1", .textInvalid, field: "text"),
    refused("whitespace text", #"{"id":"1","cmd":"send","room":"r","text":" \n\t\u3000\u2028\u00a0","cmid":"c"}"#, id: "1", .textInvalid, field: "text"),
    // 1005
    refused("limit 0", #"{"id":"1","cmd":"history","room":"r","limit":0}"#, id: "1", .limitOutOfRange, field: "limit"),
    refused("limit 101", #"{"id":"1","cmd":"history","room":"r","limit":101}"#, id: "1", .limitOutOfRange, field: "limit"),
    refused("limit negative", #"{"id":"1","cmd":"history","room":"r","limit":-5}"#, id: "1", .limitOutOfRange, field: "limit"),
    refused("limit huge", #"{"id":"1","cmd":"history","room":"r","limit":9223372036854775807}"#, id: "1", .limitOutOfRange, field: "limit"),
]

@Test("refused commands get the right code, field and id", arguments: refusedCommands)
func refusedCommandIsReported(_ testCase: RefusedCommand) {
    switch decode(testCase.frame) {
    case .success(let envelope):
        Issue.record("decoded: \(envelope)")
    case .failure(let failure):
        #expect(failure.id == testCase.id)
        #expect(failure.error.code == testCase.code, "\(failure.error.message)")
        #expect(failure.error.field == testCase.field, "\(failure.error.message)")
        #expect(failure.error.retryAfterMs == nil)
        #expect(!failure.error.message.isEmpty)
    }
}

@Test func textLimitIsAParameter() {
    let limits = TextLimits(maxScalars: 5, maxBytes: 8)
    let frame = { (text: String) in #"{"id":"1","cmd":"send","room":"r","text":"\#(text)","cmid":"c"}"# }
    #expect((try? decode(frame("12345"), textLimits: limits).get()) != nil)
    #expect(decode(frame("123456"), textLimits: limits) == .failure(CommandDecodeError(
        id: "1", error: ProtocolError(.textTooLong, "text is longer than 5 characters", field: "text"))))
    #expect(decode(frame("éééé\u{E9}"), textLimits: limits) == .failure(CommandDecodeError(
        id: "1", error: ProtocolError(.textTooLong, "text is longer than 8 UTF-8 bytes", field: "text"))))
}

@Test func unknownArgumentNamesAreShortenedInErrors() {
    let name = String(repeating: "k", count: 500)
    let result = decode(#"{"id":"1","cmd":"rooms","\#(name)":1}"#)
    guard case .failure(let failure) = result else {
        Issue.record("decoded")
        return
    }
    #expect(failure.error.field == String(repeating: "k", count: 64))
}

@Test func errorRepliesForDecodeFailures() {
    guard case .failure(let failure) = decode(#"{"id":"c9","cmd":"send","room":"r","text":"x","cmid":"c","silent":true}"#) else {
        Issue.record("decoded")
        return
    }
    let reply = String(decoding: WireEncoder.errorReply(id: failure.id, failure.error), as: UTF8.self)
    #expect(reply == #"{"id":"c9","ok":false,"error":{"code":1002,"reason":"invalid_argument","message":"unknown argument \"silent\"","field":"silent"}}"#)
    guard case .failure(let malformed) = decode("nope") else {
        Issue.record("decoded")
        return
    }
    let nullReply = String(decoding: WireEncoder.errorReply(id: malformed.id, malformed.error), as: UTF8.self)
    #expect(nullReply == #"{"id":null,"ok":false,"error":{"code":1000,"reason":"malformed","message":"invalid JSON at byte 1: unexpected byte 0x6f"}}"#)
}
