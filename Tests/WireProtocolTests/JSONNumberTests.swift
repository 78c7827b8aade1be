import Testing
@testable import WireProtocol

@Test func integersAreExactUpToInt64Bounds() throws {
    #expect(try parse("9223372036854775807") == .int(.max))
    #expect(try parse("-9223372036854775808") == .int(.min))
    #expect(try parse("123456789012") == .int(123_456_789_012))
    #expect(try parse("-1") == .int(-1))
    // Beyond Int64 a number is still JSON: it becomes a Double (and a protocol integer check fails).
    #expect(try parse("9223372036854775808") == .double(9_223_372_036_854_775_808.0))
    #expect(try parse("-9223372036854775809") == .double(-9_223_372_036_854_775_809.0))
    #expect(try parse("100000000000000000000000") == .double(1e23))
}

@Test func negativeZero() throws {
    // -0 is an integer literal; integers have no signed zero.
    #expect(try parse("-0") == .int(0))
    let double = try parse("-0.0")
    guard case .double(let value) = double else {
        Issue.record("not a double: \(double)")
        return
    }
    #expect(value == 0 && value.sign == .minus)
    #expect(written(double) == "-0.0")
}

@Test func fractionsAndExponents() throws {
    let cases: [(String, Double)] = [
        ("1.5", 1.5), ("-0.25", -0.25), ("1e2", 100), ("1E2", 100), ("1e+2", 100), ("1e-2", 0.01),
        ("-1.5E-3", -0.0015), ("0e0", 0), ("0.1", 0.1), ("1.7976931348623157e308", .greatestFiniteMagnitude),
        ("5e-324", 5e-324), ("1e-400", 0), ("123.456e1", 1234.56), ("10E0001", 100),
    ]
    for (text, expected) in cases {
        #expect(try parse(text) == .double(expected), "\(text)")
    }
}

@Test func malformedNumbersAreRefused() {
    let cases: [(String, JSONError.Kind)] = [
        ("01", .trailingData), ("-01", .trailingData), ("[01]", .unexpectedByte(UInt8(ascii: "1"))),
        ("1.", .unexpectedEnd), ("[1.]", .invalidNumber), (".5", .unexpectedByte(UInt8(ascii: "."))),
        ("+1", .unexpectedByte(UInt8(ascii: "+"))), ("-", .unexpectedEnd), ("[-]", .invalidNumber),
        ("1e", .unexpectedEnd), ("[1e]", .invalidNumber), ("[1e+]", .invalidNumber), ("1.e3", .invalidNumber),
        ("0x10", .trailingData), ("1_000", .trailingData), ("- 1", .invalidNumber),
        ("1e400", .numberOutOfRange), ("-1e400", .numberOutOfRange),
    ]
    for (text, expected) in cases {
        #expect(parseError(text) == expected, "\(text)")
    }
}

@Test func writerRoundTripsNumbers() throws {
    let ints: [Int64] = [0, 1, -1, 9, 10, 99, 100, 1_764_147_600_000, .max, .min, .max - 1, .min + 1]
    for value in ints {
        #expect(written(.int(value)) == String(value))
        #expect(try parse(written(.int(value))) == .int(value))
    }
    let doubles: [Double] = [0.1, -2.5, 1e-7, 1e21, 123_456.789, 5e-324, .greatestFiniteMagnitude, 100]
    for value in doubles {
        #expect(try parse(written(.double(value))) == .double(value), "\(value)")
    }
    // JSON has no NaN or infinity.
    #expect(written(.double(.nan)) == "null")
    #expect(written(.array([.double(.infinity), .int(1)])) == "[null,1]")
}
