import Testing
@testable import WireProtocol

@Test func writerEscapesExactly() {
    let cases: [(String, String)] = [
        ("plain", #""plain""#),
        ("quote \" backslash \\ slash /", #""quote \" backslash \\ slash /""#),
        ("\u{08}\u{09}\u{0A}\u{0C}\u{0D}", #""\b\t\n\f\r""#),
        ("\u{0}\u{1}\u{1F}\u{0B}", #""\u0000\u0001\u001f\u000b""#),
        ("\u{7F}", "\"\u{7F}\""),
        ("é € 😀 日本", "\"é € 😀 日本\""),
        ("a\u{2028}b\u{2029}c", #""a\u2028b\u2029c""#),
        // Other scalars encoded with a leading E2 byte stay raw.
        ("\u{2027}\u{202A}\u{2030}\u{20AC}", "\"\u{2027}\u{202A}\u{2030}\u{20AC}\""),
        ("", #""""#),
    ]
    for (input, expected) in cases {
        #expect(written(.string(input)) == expected)
    }
}

/// One representative of every class of code points the writer treats differently, plus the
/// boundaries of the UTF-8 length classes.
let codePointClasses: [UInt32] = [
    0x00, 0x01, 0x08, 0x09, 0x0A, 0x0B, 0x0C, 0x0D, 0x1F,   // control characters
    0x20, 0x22, 0x2F, 0x5C, 0x41, 0x7E, 0x7F,               // ASCII, quote, slash, backslash, DEL
    0x80, 0xE9, 0x7FF,                                      // two bytes
    0x800, 0x2027, 0x2028, 0x2029, 0x202A, 0x20AC, 0xD7FF,  // three bytes, around U+2028/9
    0xE000, 0xFEFF, 0xFFFD, 0xFFFF,                         // after the surrogates, BOM, noncharacter
    0x10000, 0x1F600, 0x10FFFF,                             // four bytes
]

@Test("every code point class round-trips through writer and parser", arguments: codePointClasses)
func codePointRoundTrip(_ value: UInt32) throws {
    let scalar = try #require(Unicode.Scalar(value))
    let text = "a" + String(Character(scalar)) + "b" + String(Character(scalar))
    let json = written(.string(text))
    #expect(try parse(json) == .string(text))
    // Nothing the writer emits is a raw control character, quote or line separator.
    let inner = Array(json.utf8.dropFirst().dropLast())
    #expect(!inner.contains(where: { $0 < 0x20 }))
    #expect(!json.unicodeScalars.dropFirst().dropLast().contains("\u{2028}"))
    #expect(!json.unicodeScalars.dropFirst().dropLast().contains("\u{2029}"))
}

@Test func everyBMPScalarAndEveryEscapeFormRoundTrips() throws {
    var all = String.UnicodeScalarView()
    for value in UInt32(0)...0xFFFF {
        if let scalar = Unicode.Scalar(value) { all.append(scalar) }
    }
    let text = String(all)
    #expect(try parse(written(.string(text)), limits: fileLimits) == .string(text))
    // The parser also reads every scalar written as \u escapes (surrogate pairs above the BMP).
    var escaped = "\""
    for scalar in ["\u{0}", "\u{1F}", "\u{E9}", "\u{2028}", "\u{FFFF}", "\u{10000}", "\u{10FFFF}"].flatMap(\.utf16) {
        let hex = String(scalar, radix: 16)
        escaped += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
    }
    escaped += "\""
    #expect(try parse(escaped) == .string("\u{0}\u{1F}\u{E9}\u{2028}\u{FFFF}\u{10000}\u{10FFFF}"))
}

@Test func writerStructureAndCommas() {
    var writer = JSONWriter()
    writer.beginObject()
    writer.key("a")
    writer.beginArray()
    writer.int(1)
    writer.beginObject()
    writer.endObject()
    writer.beginArray()
    writer.endArray()
    writer.null()
    writer.endArray()
    writer.key("b" as String)
    writer.bool(false)
    writer.key("c\"d" as String)
    writer.double(0.5)
    writer.endObject()
    #expect(String(decoding: writer.bytes, as: UTF8.self) == #"{"a":[1,{},[],null],"b":false,"c\"d":0.5}"#)
}

@Test func valueRoundTripKeepsOrder() throws {
    let text = #"{"z":1,"a":[true,null,"x",{"k":-2.5}],"m":{}}"#
    #expect(written(try parse(text)) == text)
}
