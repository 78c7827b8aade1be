extension JSONParser {
    // MARK: - Strings

    /// Parses the string whose opening quote is at the cursor.
    ///
    /// The common case (no escapes) becomes a `String` straight from the input bytes; a string
    /// with escapes is rebuilt in `scratch`. Either way the UTF-8 is validated once at the end.
    mutating func parseString() throws(JSONError) -> String {
        let start = index
        index += 1  // opening quote
        var runStart = index
        var sawEscape = false
        var sawNonASCII = false
        scratch.removeAll(keepingCapacity: true)
        while true {
            guard index < bytes.count else { throw JSONError(.unexpectedEnd, at: index) }
            let byte = bytes[index]
            if byte == UInt8(ascii: "\"") {
                break
            } else if byte == UInt8(ascii: "\\") {
                sawEscape = true
                scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<index]))
                try parseEscape()
                runStart = index
            } else if byte < 0x20 {
                throw JSONError(.controlCharacterInString, at: index)
            } else {
                if byte >= 0x80 { sawNonASCII = true }
                index += 1
            }
            // Unescaped length so far; escapes never expand, so this is checked as we go.
            if scratch.count + (index - runStart) > limits.maxStringBytes {
                throw JSONError(.stringTooLong, at: start)
            }
        }
        let end = index
        index += 1  // closing quote
        if !sawEscape {
            let raw = UnsafeRawBufferPointer(rebasing: bytes[runStart..<end])
            // ASCII is always valid UTF-8; anything else is checked, never repaired.
            if !sawNonASCII { return String(decoding: raw, as: UTF8.self) }
            guard let text = String(validating: raw, as: UTF8.self) else { throw JSONError(.invalidUTF8, at: start) }
            return text
        }
        scratch.append(contentsOf: UnsafeRawBufferPointer(rebasing: bytes[runStart..<end]))
        guard let text = String(validating: scratch, as: UTF8.self) else { throw JSONError(.invalidUTF8, at: start) }
        return text
    }

    /// Decodes the escape at the cursor (a backslash) into `scratch`.
    private mutating func parseEscape() throws(JSONError) {
        let escapeStart = index
        guard index + 1 < bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
        let letter = bytes[index + 1]
        index += 2
        switch letter {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(letter)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            let unit = try parseHex4()
            var scalarValue = UInt32(unit)
            if (0xD800...0xDBFF).contains(unit) {
                // A high surrogate must be followed at once by an escaped low surrogate.
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u")
                else { throw JSONError(.invalidUnicodeEscape, at: escapeStart) }
                index += 2
                let low = try parseHex4()
                guard (0xDC00...0xDFFF).contains(low) else { throw JSONError(.invalidUnicodeEscape, at: escapeStart) }
                scalarValue = 0x10000 + ((UInt32(unit) - 0xD800) << 10) + (UInt32(low) - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(unit) {
                throw JSONError(.invalidUnicodeEscape, at: escapeStart)
            }
            appendUTF8(scalarValue)
        default:
            throw JSONError(.invalidEscape, at: escapeStart)
        }
    }

    /// Appends the UTF-8 form of a scalar value (never a surrogate: the caller paired them).
    private mutating func appendUTF8(_ value: UInt32) {
        switch value {
        case 0..<0x80:
            scratch.append(UInt8(value))
        case 0x80..<0x800:
            scratch.append(0xC0 | UInt8(value >> 6))
            scratch.append(0x80 | UInt8(value & 0x3F))
        case 0x800..<0x10000:
            scratch.append(0xE0 | UInt8(value >> 12))
            scratch.append(0x80 | UInt8((value >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(value & 0x3F))
        default:
            scratch.append(0xF0 | UInt8(value >> 18))
            scratch.append(0x80 | UInt8((value >> 12) & 0x3F))
            scratch.append(0x80 | UInt8((value >> 6) & 0x3F))
            scratch.append(0x80 | UInt8(value & 0x3F))
        }
    }

    /// Reads four hex digits at the cursor.
    private mutating func parseHex4() throws(JSONError) -> UInt16 {
        var value: UInt16 = 0
        for offset in 0..<4 {
            guard index + offset < bytes.count else { throw JSONError(.unexpectedEnd, at: bytes.count) }
            let byte = bytes[index + offset]
            let digit: UInt8
            switch byte {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = byte - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw JSONError(.invalidUnicodeEscape, at: index + offset)
            }
            value = value << 4 | UInt16(digit)
        }
        index += 4
        return value
    }

    // MARK: - Numbers

    /// Parses the number at the cursor: `-? (0 | [1-9][0-9]*) (. [0-9]+)? ([eE] [+-]? [0-9]+)?`.
    ///
    /// Integers that fit in Int64 stay exact; anything with a fraction or exponent, and
    /// integers beyond Int64, become Double (the `Double` initializer sees only text this
    /// grammar accepted). `-0` is the integer 0.
    mutating func parseNumber() throws(JSONError) -> JSONValue {
        let start = index
        let negative = bytes[index] == UInt8(ascii: "-")
        if negative { index += 1 }
        guard let first = current else { throw JSONError(.unexpectedEnd, at: index) }
        guard isDigit(first) else { throw JSONError(.invalidNumber, at: start) }
        index += 1
        if first != UInt8(ascii: "0") {
            while let byte = current, isDigit(byte) { index += 1 }
        }
        var isInteger = true
        if current == UInt8(ascii: ".") {
            index += 1
            try consumeDigits(numberStart: start)
            isInteger = false
        }
        if current == UInt8(ascii: "e") || current == UInt8(ascii: "E") {
            index += 1
            if current == UInt8(ascii: "+") || current == UInt8(ascii: "-") { index += 1 }
            try consumeDigits(numberStart: start)
            isInteger = false
        }
        let text = UnsafeRawBufferPointer(rebasing: bytes[start..<index])
        if isInteger, let exact = Self.exactInteger(text, negative: negative) {
            return .int(exact)
        }
        guard let number = Double(String(decoding: text, as: UTF8.self)) else {
            throw JSONError(.invalidNumber, at: start)
        }
        guard number.isFinite else { throw JSONError(.numberOutOfRange, at: start) }
        return .double(number)
    }

    private func isDigit(_ byte: UInt8) -> Bool {
        byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9")
    }

    /// One or more digits, or the number is invalid.
    private mutating func consumeDigits(numberStart: Int) throws(JSONError) {
        guard let byte = current, isDigit(byte) else {
            if current == nil { throw JSONError(.unexpectedEnd, at: index) }
            throw JSONError(.invalidNumber, at: numberStart)
        }
        while let byte = current, isDigit(byte) { index += 1 }
    }

    /// The integer spelled by `text` (an optional minus and digits), or nil when it does not
    /// fit in Int64. Accumulates negatively so that Int64.min is reachable.
    static func exactInteger(_ text: UnsafeRawBufferPointer, negative: Bool) -> Int64? {
        var value: Int64 = 0
        for byte in text where byte != UInt8(ascii: "-") {
            let (times10, overflow1) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = times10.subtractingReportingOverflow(Int64(byte - UInt8(ascii: "0")))
            if overflow1 || overflow2 { return nil }
            value = next
        }
        if negative { return value }
        return value == .min ? nil : -value
    }
}
