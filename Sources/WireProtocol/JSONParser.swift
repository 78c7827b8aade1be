/// A strict RFC 8259 parser: bytes in, one `JSONValue` out.
///
/// Strict means: no comments, no trailing commas, no leading byte-order mark, no `NaN` or
/// `Infinity`, numbers exactly as the grammar allows, strings valid UTF-8 with no raw control
/// characters and no unpaired surrogate escapes, no duplicate keys, and nothing but whitespace
/// after the value. `\u0000` is accepted (it is valid JSON); refusing NUL in chat text is the
/// protocol layer's rule, with its own error code.
///
/// Recursive descent over a borrowed buffer; `JSONLimits.maxDepth` bounds the recursion.
public struct JSONParser {
    let bytes: UnsafeRawBufferPointer
    let limits: JSONLimits
    var index = 0
    /// Reused buffer for strings that contain escapes.
    var scratch: [UInt8] = []

    init(bytes: UnsafeRawBufferPointer, limits: JSONLimits) {
        self.bytes = bytes
        self.limits = limits
    }

    /// Parses one complete JSON text.
    /// - Throws: `JSONError` naming the broken rule and its byte offset.
    public static func parse(_ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        guard bytes.count <= limits.maxBytes else { throw JSONError(.inputTooLarge, at: limits.maxBytes) }
        var parser = JSONParser(bytes: bytes, limits: limits)
        parser.skipWhitespace()
        let value = try parser.parseValue(depth: 0)
        parser.skipWhitespace()
        guard parser.index == bytes.count else { throw JSONError(.trailingData, at: parser.index) }
        return value
    }

    /// Parses a JSON text held in a byte array (a convenience for tests and tools).
    public static func parse(_ bytes: [UInt8], limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
        let result = bytes.withUnsafeBytes { raw in
            Result { () throws(JSONError) -> JSONValue in try parse(raw, limits: limits) }
        }
        return try result.get()
    }

    // MARK: - Structure

    /// The byte at the cursor, or nil at the end.
    var current: UInt8? { index < bytes.count ? bytes[index] : nil }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x09, 0x0A, 0x0D: index += 1
            default: return
            }
        }
    }

    /// Parses the value at the cursor; `depth` counts the containers around it.
    mutating func parseValue(depth: Int) throws(JSONError) -> JSONValue {
        guard let byte = current else { throw JSONError(.unexpectedEnd, at: index) }
        switch byte {
        case UInt8(ascii: "{"): return try parseObject(depth: depth + 1)
        case UInt8(ascii: "["): return try parseArray(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try parseString())
        case UInt8(ascii: "t"): try expectLiteral("true"); return .bool(true)
        case UInt8(ascii: "f"): try expectLiteral("false"); return .bool(false)
        case UInt8(ascii: "n"): try expectLiteral("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return try parseNumber()
        default: throw JSONError(.unexpectedByte(byte), at: index)
        }
    }

    private mutating func expectLiteral(_ word: StaticString) throws(JSONError) {
        let count = word.utf8CodeUnitCount
        for offset in 0..<count {
            guard index + offset < bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
            let expected = word.utf8Start[offset]
            guard bytes[index + offset] == expected else {
                throw JSONError(.unexpectedByte(bytes[index + offset]), at: index + offset)
            }
        }
        index += count
    }

    /// Consumes `byte` after optional whitespace, or throws.
    private mutating func expect(_ byte: UInt8) throws(JSONError) {
        skipWhitespace()
        guard let found = current else { throw JSONError(.unexpectedEnd, at: index) }
        guard found == byte else { throw JSONError(.unexpectedByte(found), at: index) }
        index += 1
    }

    private mutating func parseArray(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw JSONError(.tooDeep, at: index) }
        index += 1  // "["
        var elements: [JSONValue] = []
        skipWhitespace()
        if current == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            skipWhitespace()
            guard elements.count < limits.maxArrayCount else { throw JSONError(.arrayTooLong, at: index) }
            elements.append(try parseValue(depth: depth))
            skipWhitespace()
            guard let byte = current else { throw JSONError(.unexpectedEnd, at: index) }
            index += 1
            switch byte {
            case UInt8(ascii: ","): continue  // a value must follow: "[1,]" fails in parseValue
            case UInt8(ascii: "]"): return .array(elements)
            default: throw JSONError(.unexpectedByte(byte), at: index - 1)
            }
        }
    }

    private mutating func parseObject(depth: Int) throws(JSONError) -> JSONValue {
        guard depth <= limits.maxDepth else { throw JSONError(.tooDeep, at: index) }
        index += 1  // "{"
        var members: [(String, JSONValue)] = []
        // Small objects (every protocol object) check duplicates by scanning; a set is built
        // only for larger ones so that a hostile 1,000-member object stays linear.
        var seen: Set<String>? = nil
        skipWhitespace()
        if current == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            skipWhitespace()
            let keyOffset = index
            guard let byte = current else { throw JSONError(.unexpectedEnd, at: index) }
            guard byte == UInt8(ascii: "\"") else { throw JSONError(.unexpectedByte(byte), at: index) }
            guard members.count < limits.maxObjectCount else { throw JSONError(.objectTooLarge, at: index) }
            let key = try parseString()
            if seen == nil && members.count >= 16 {
                seen = Set(members.map(\.0))
            }
            let duplicate = seen.map { $0.contains(key) } ?? members.contains(where: { $0.0 == key })
            guard !duplicate else { throw JSONError(.duplicateKey(key), at: keyOffset) }
            seen?.insert(key)
            try expect(UInt8(ascii: ":"))
            skipWhitespace()
            members.append((key, try parseValue(depth: depth)))
            skipWhitespace()
            guard let next = current else { throw JSONError(.unexpectedEnd, at: index) }
            index += 1
            switch next {
            case UInt8(ascii: ","): continue  // a key must follow: "{"a":1,}" fails above
            case UInt8(ascii: "}"): return .object(members)
            default: throw JSONError(.unexpectedByte(next), at: index - 1)
            }
        }
    }
}
