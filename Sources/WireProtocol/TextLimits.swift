/// How long a message text may be, counted both ways: a limit in characters alone would let
/// 4,000 four-byte emoji through as 16 KB, a limit in bytes alone would punish scripts that
/// need several bytes per character.
public struct TextLimits: Sendable, Equatable {
    /// Most Unicode scalars in one text.
    public var maxScalars: Int
    /// Most UTF-8 bytes in one text.
    public var maxBytes: Int

    /// Creates limits.
    public init(maxScalars: Int, maxBytes: Int) {
        self.maxScalars = maxScalars
        self.maxBytes = maxBytes
    }

    /// 4,000 scalars and 16 KiB.
    public static let `default` = TextLimits(maxScalars: 4_000, maxBytes: 16_384)

    /// Checks a message text: not longer than the limits (1003), no U+0000, and not empty or
    /// only whitespace (1004). Returns nil when the text is acceptable.
    ///
    /// NUL is refused because the archive (PostgreSQL `text`) cannot store it; other control
    /// characters are allowed. "Whitespace" is Unicode's White_Space property.
    public func violation(in text: String, field: String = "text") -> ProtocolError? {
        let byteCount = text.utf8.count
        // Bytes first: O(1) for native strings, and it bounds the scalar scan below.
        if byteCount > maxBytes {
            return ProtocolError(.textTooLong, "\(field) is longer than \(maxBytes) UTF-8 bytes", field: field)
        }
        var scalars = 0
        var hasNUL = false
        var hasContent = false
        for scalar in text.unicodeScalars {
            scalars += 1
            if scalar.value == 0 {
                hasNUL = true
            } else if !hasContent && !Self.isWhiteSpace(scalar) {
                hasContent = true
            }
        }
        if scalars > maxScalars {
            return ProtocolError(.textTooLong, "\(field) is longer than \(maxScalars) characters", field: field)
        }
        if hasNUL {
            return ProtocolError(.textInvalid, "\(field) contains U+0000", field: field)
        }
        if !hasContent {
            return ProtocolError(.textInvalid, "\(field) is empty or only whitespace", field: field)
        }
        return nil
    }

    /// Unicode's White_Space property (stable since Unicode 6.2), written out so the rule does
    /// not depend on the standard library's Unicode tables.
    static func isWhiteSpace(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09...0x0D, 0x20, 0x85, 0xA0, 0x1680, 0x2000...0x200A, 0x2028, 0x2029, 0x202F, 0x205F, 0x3000:
            return true
        default:
            return false
        }
    }
}
