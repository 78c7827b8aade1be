import Testing
@testable import WireProtocol

/// RFC 8259 texts that must parse, with the value they must give.
let validJSON: [(String, JSONValue)] = [
    ("{}", .object([])),
    ("[]", .array([])),
    ("null", .null),
    ("true", .bool(true)),
    ("false", .bool(false)),
    ("0", .int(0)),
    ("\"\"", .string("")),
    (" \t\r\n{ \"a\" : [ 1 , 2 ] } \n", .object([("a", .array([.int(1), .int(2)]))])),
    ("{\"a\":{\"b\":{\"c\":null}}}", .object([("a", .object([("b", .object([("c", .null)]))]))])),
    ("[[], {}, [[]], \"x\"]", .array([.array([]), .object([]), .array([.array([])]), .string("x")])),
    // RFC 8259 §13, first example (abridged).
    ("""
    {"Image": {"Width": 800, "Height": 600, "Title": "View from 15th Floor",
      "Thumbnail": {"Url": "http://www.example.com/image/481989943", "Height": 125, "Width": 100},
      "Animated": false, "IDs": [116, 943, 234, 38793]}}
    """, .object([("Image", .object([
        ("Width", .int(800)), ("Height", .int(600)), ("Title", .string("View from 15th Floor")),
        ("Thumbnail", .object([("Url", .string("http://www.example.com/image/481989943")),
                               ("Height", .int(125)), ("Width", .int(100))])),
        ("Animated", .bool(false)), ("IDs", .array([.int(116), .int(943), .int(234), .int(38793)])),
    ]))])),
    // RFC 8259 §13, second example: numbers with fractions.
    ("[{\"Latitude\": 37.7668, \"Longitude\": -122.3959}]",
     .array([.object([("Latitude", .double(37.7668)), ("Longitude", .double(-122.3959))])])),
    // Escapes.
    (#""\"\\\/\b\f\n\r\t""#, .string("\"\\/\u{08}\u{0C}\n\r\t")),
    (#""\u0041\u00e9\u20AC\ud83d\ude00""#, .string("Aé€😀")),
    (#""\u0000""#, .string("\u{0}")),
    ("\"é€😀\"", .string("é€😀")),
    ("\"\u{7F}\"", .string("\u{7F}")),
]

/// Texts that must be refused, with the reason.
let invalidJSON: [(String, JSONError.Kind)] = [
    ("", .unexpectedEnd),
    ("   ", .unexpectedEnd),
    ("{", .unexpectedEnd),
    ("[1,", .unexpectedEnd),
    ("{\"a\":", .unexpectedEnd),
    ("\"abc", .unexpectedEnd),
    ("[1,]", .unexpectedByte(UInt8(ascii: "]"))),
    ("{\"a\":1,}", .unexpectedByte(UInt8(ascii: "}"))),
    ("[1 2]", .unexpectedByte(UInt8(ascii: "2"))),
    ("{\"a\" 1}", .unexpectedByte(UInt8(ascii: "1"))),
    ("{a:1}", .unexpectedByte(UInt8(ascii: "a"))),
    ("{1:1}", .unexpectedByte(UInt8(ascii: "1"))),
    ("['a']", .unexpectedByte(UInt8(ascii: "'"))),
    ("// c\n{}", .unexpectedByte(UInt8(ascii: "/"))),
    ("{} /* c */", .trailingData),
    ("{}{}", .trailingData),
    ("1 2", .trailingData),
    ("tru", .unexpectedEnd),
    ("True", .unexpectedByte(UInt8(ascii: "T"))),
    ("nul", .unexpectedEnd),
    ("nulL", .unexpectedByte(UInt8(ascii: "L"))),
    ("NaN", .unexpectedByte(UInt8(ascii: "N"))),
    ("Infinity", .unexpectedByte(UInt8(ascii: "I"))),
    ("\u{FEFF}{}", .unexpectedByte(0xEF)),
    ("\"a\nb\"", .controlCharacterInString),
    ("\"a\tb\"", .controlCharacterInString),
    ("\"\u{0}\"", .controlCharacterInString),
    (#""\x41""#, .invalidEscape),
    (#""\'""#, .invalidEscape),
    (#""\u12""#, .invalidUnicodeEscape),
    (#""\u12G4""#, .invalidUnicodeEscape),
    (#""\ud83d""#, .invalidUnicodeEscape),
    (#""\ud83dx""#, .invalidUnicodeEscape),
    (#""\ud83d\u0041""#, .invalidUnicodeEscape),
    (#""\ude00""#, .invalidUnicodeEscape),
    ("{\"a\":1,\"a\":2}", .duplicateKey("a")),
    ("{\"a\":1,\"b\":{\"c\":1,\"c\":1}}", .duplicateKey("c")),
]

@Test("valid RFC 8259 texts parse to the expected value", arguments: validJSON.indices)
func validTextsParse(_ index: Int) throws {
    let (text, expected) = validJSON[index]
    #expect(try parse(text) == expected, "\(text)")
}

@Test("invalid texts are refused with the right reason", arguments: invalidJSON.indices)
func invalidTextsAreRefused(_ index: Int) {
    let (text, expected) = invalidJSON[index]
    #expect(parseError(text) == expected, "\(text)")
}

@Test func invalidUTF8InStringsIsRefused() {
    let cases: [[UInt8]] = [
        [0x22, 0xFF, 0x22],                   // never valid
        [0x22, 0xC3, 0x22],                   // truncated 2-byte sequence
        [0x22, 0xC0, 0xAF, 0x22],             // overlong "/"
        [0x22, 0xED, 0xA0, 0x80, 0x22],       // encoded surrogate U+D800
        [0x22, 0xF4, 0x90, 0x80, 0x80, 0x22], // above U+10FFFF
        [0x22, 0x5C, 0x6E, 0xFF, 0x22],       // invalid after an escape (slow path)
    ]
    for input in cases {
        #expect(parseError(input) == .invalidUTF8, "\(input)")
    }
    // Outside strings a non-ASCII byte is simply unexpected.
    #expect(parseError([0xC3, 0xA9]) == .unexpectedByte(0xC3))
}

@Test func objectsKeepMemberOrderAndCompareUnordered() throws {
    let value = try parse("{\"b\":1,\"a\":2,\"c\":[3]}")
    #expect(value.objectMembers?.map(\.0) == ["b", "a", "c"])
    #expect(value == (try parse("{\"c\":[3],\"a\":2,\"b\":1}")))
    #expect(value != (try parse("{\"c\":[3],\"a\":2}")))
    #expect(value != (try parse("{\"c\":[3],\"a\":2,\"b\":1.0}")))
    #expect(value["a"] == .int(2))
}

@Test func duplicateKeysAreFoundInLargeObjects() {
    let members = (0..<40).map { "\"k\($0)\":\($0)" }
    #expect(parseError("{" + members.joined(separator: ",") + "}") == nil)
    #expect(parseError("{" + (members + ["\"k3\":0"]).joined(separator: ",") + "}") == .duplicateKey("k3"))
    #expect(parseError("{" + (members + ["\"k39\":0"]).joined(separator: ",") + "}") == .duplicateKey("k39"))
}

@Test func depthLimitIsEnforced() {
    let limits = JSONLimits.default
    let ok = String(repeating: "[", count: limits.maxDepth) + String(repeating: "]", count: limits.maxDepth)
    let deep = "[" + ok + "]"
    #expect(parseError(ok) == nil)
    #expect(parseError(deep) == .tooDeep)
    let objects = String(repeating: "{\"a\":", count: limits.maxDepth + 1) + "1" + String(repeating: "}", count: limits.maxDepth + 1)
    #expect(parseError(objects) == .tooDeep)
    // Far deeper than any stack could take recursively: refused at depth 33, not a crash.
    #expect(parseError(String(repeating: "[", count: 100_000)) == .inputTooLarge)
    #expect(parseError(String(repeating: "[", count: 60_000)) == .tooDeep)
}

@Test func sizeLimitsAreEnforced() {
    let limits = JSONLimits(maxBytes: 100, maxDepth: 4, maxStringBytes: 8, maxArrayCount: 3, maxObjectCount: 2)
    #expect(parseError(String(repeating: " ", count: 101) , limits: limits) == .inputTooLarge)
    #expect(parseError("\"12345678\"", limits: limits) == nil)
    #expect(parseError("\"123456789\"", limits: limits) == .stringTooLong)
    // The limit counts unescaped bytes: eight escapes are eight bytes.
    #expect(parseError(#""\n\n\n\n\n\n\n\n""#, limits: limits) == nil)
    #expect(parseError(#""\u00e9\u00e9\u00e9\u00e9x""#, limits: limits) == .stringTooLong)
    #expect(parseError("{\"123456789\":1}", limits: limits) == .stringTooLong)
    #expect(parseError("[1,2,3]", limits: limits) == nil)
    #expect(parseError("[1,2,3,4]", limits: limits) == .arrayTooLong)
    #expect(parseError("{\"a\":1,\"b\":2}", limits: limits) == nil)
    #expect(parseError("{\"a\":1,\"b\":2,\"c\":3}", limits: limits) == .objectTooLarge)
}

@Test func errorsReportTheirOffset() {
    do {
        _ = try parse("{\"a\":[1,2,}")
        Issue.record("parsed")
    } catch {
        #expect(error.offset == 10)
        #expect(error.description == "invalid JSON at byte 10: unexpected byte 0x7d")
    }
}
