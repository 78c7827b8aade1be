/// Byte constants and character classes from RFC 9110/9112, shared by the parser and validators.
///
/// Everything here works on single bytes so that parsing never builds a `String` until a
/// complete, validated field is known.
enum ASCII {
    static let nul: UInt8 = 0x00
    static let tab: UInt8 = 0x09
    static let lf: UInt8 = 0x0A
    static let cr: UInt8 = 0x0D
    static let space: UInt8 = 0x20
    static let quote: UInt8 = 0x22
    static let hash: UInt8 = 0x23
    static let comma: UInt8 = 0x2C
    static let period: UInt8 = 0x2E
    static let slash: UInt8 = 0x2F
    static let zero: UInt8 = 0x30
    static let nine: UInt8 = 0x39
    static let colon: UInt8 = 0x3A
    static let semicolon: UInt8 = 0x3B
    static let questionMark: UInt8 = 0x3F
    static let backslash: UInt8 = 0x5C
    static let delete: UInt8 = 0x7F

    /// `tchar` of RFC 9110 §5.6.2: the characters allowed in methods, field names and tokens —
    /// ALPHA, DIGIT and ``!#$%&'*+-.^_`|~``. A bit set over 0–127, since this runs per byte.
    static func isTokenChar(_ byte: UInt8) -> Bool {
        // Bits 0–63: "!" 0x21, "#$%&'" 0x23–0x27, "*+" 0x2A–0x2B, "-." 0x2D–0x2E, digits 0x30–0x39.
        let low: UInt64 = 0x03FF_6CFA_0000_0000
        // Bits 64–127: letters 0x41–0x5A and 0x61–0x7A, "^_`" 0x5E–0x60, "|" 0x7C, "~" 0x7E.
        let high: UInt64 = 0x57FF_FFFF_C7FF_FFFE
        if byte < 64 { return (low >> UInt64(byte)) & 1 == 1 }
        if byte < 128 { return (high >> UInt64(byte - 64)) & 1 == 1 }
        return false
    }

    /// SP or HTAB: the optional whitespace (OWS) of RFC 9110 §5.6.3.
    static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == space || byte == tab
    }

    /// `field-vchar / SP / HTAB` (RFC 9110 §5.5): VCHAR, obs-text (0x80–0xFF), SP and HTAB.
    /// Every other control character — notably CR, LF and NUL — is refused.
    static func isFieldValueChar(_ byte: UInt8) -> Bool {
        byte == tab || (byte >= space && byte != delete)
    }

    /// Visible ASCII (VCHAR, 0x21–0x7E).
    static func isVisible(_ byte: UInt8) -> Bool {
        byte > space && byte < delete
    }

    static func isDigit(_ byte: UInt8) -> Bool {
        byte >= zero && byte <= nine
    }

    /// The value of a hexadecimal digit, or nil.
    static func hexValue(_ byte: UInt8) -> Int? {
        switch byte {
        case 0x30...0x39: return Int(byte - 0x30)
        case 0x41...0x46: return Int(byte - 0x41 + 10)
        case 0x61...0x66: return Int(byte - 0x61 + 10)
        default: return nil
        }
    }

    static func lowercased(_ byte: UInt8) -> UInt8 {
        (byte >= 0x41 && byte <= 0x5A) ? byte | 0x20 : byte
    }

    /// ASCII case-insensitive equality; non-ASCII bytes must match exactly.
    /// HTTP names are case-insensitive only in their ASCII letters (RFC 9110 §5.1).
    static func equalsIgnoringCase(_ lhs: String, _ rhs: String) -> Bool {
        guard lhs.utf8.count == rhs.utf8.count else { return false }
        // Native strings are contiguous UTF-8: compare the bytes directly (this runs for every
        // header on every lookup). The iterator path is for bridged strings, which Linux lacks.
        let fast = lhs.utf8.withContiguousStorageIfAvailable { left in
            rhs.utf8.withContiguousStorageIfAvailable { right in
                equalsIgnoringCase(left, right)
            }
        }
        if let fast, let result = fast { return result }
        for (a, b) in zip(lhs.utf8, rhs.utf8) where lowercased(a) != lowercased(b) {
            return false
        }
        return true
    }

    /// ASCII case-insensitive equality of two byte buffers.
    static func equalsIgnoringCase(_ left: UnsafeBufferPointer<UInt8>, _ right: UnsafeBufferPointer<UInt8>) -> Bool {
        guard left.count == right.count else { return false }
        for index in 0..<left.count where left[index] != right[index] {
            if lowercased(left[index]) != lowercased(right[index]) { return false }
        }
        return true
    }

    /// ASCII case-insensitive comparison of a byte buffer with a lowercase ASCII literal.
    static func matchesLowercase(_ bytes: UnsafeBufferPointer<UInt8>, _ literal: StaticString) -> Bool {
        guard bytes.count == literal.utf8CodeUnitCount else { return false }
        let expected = UnsafeBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount)
        for (a, b) in zip(bytes, expected) where lowercased(a) != b {
            return false
        }
        return true
    }

    /// A string made of bytes already validated as ASCII or field characters.
    /// Field values may carry obs-text; it is decoded as UTF-8, with invalid sequences repaired
    /// to U+FFFD (nothing Rally reads from a header is outside ASCII).
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        String(decoding: bytes, as: UTF8.self)
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The sub-buffer for `range`, with indices rebased to start at 0.
    func slice(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> {
        UnsafeBufferPointer(rebasing: self[range])
    }

    /// The index of the first occurrence of `byte` at or after `from`, or nil.
    func firstIndex(of byte: UInt8, from: Int) -> Int? {
        var index = from
        while index < count {
            if self[index] == byte { return index }
            index += 1
        }
        return nil
    }

    /// The range left after dropping SP/HTAB on both ends of `range`.
    func trimmingWhitespace(_ range: Range<Int>) -> Range<Int> {
        var lower = range.lowerBound
        var upper = range.upperBound
        while lower < upper, ASCII.isWhitespace(self[lower]) { lower += 1 }
        while upper > lower, ASCII.isWhitespace(self[upper - 1]) { upper -= 1 }
        return lower..<upper
    }
}
