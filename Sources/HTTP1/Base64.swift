/// Base64 with the standard alphabet and `=` padding (RFC 4648 §4).
public enum Base64 {
    private static let alphabet: [UInt8] =
        Array("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8)
    private static let pad = UInt8(ascii: "=")

    /// The padded Base64 text of `bytes`.
    public static func encode(_ bytes: [UInt8]) -> String {
        var out: [UInt8] = []
        out.reserveCapacity((bytes.count + 2) / 3 * 4)
        var index = 0
        while index + 3 <= bytes.count {
            let group = UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8 | UInt32(bytes[index + 2])
            appendSextets(group, count: 4, to: &out)
            index += 3
        }
        switch bytes.count - index {
        case 1:
            appendSextets(UInt32(bytes[index]) << 16, count: 2, to: &out)
            out.append(contentsOf: [pad, pad])
        case 2:
            appendSextets(UInt32(bytes[index]) << 16 | UInt32(bytes[index + 1]) << 8, count: 3, to: &out)
            out.append(pad)
        default:
            break
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The bytes encoded by `text`, or nil unless it is canonical padded Base64.
    ///
    /// Strict on purpose (RFC 4648 §3.3, §3.5): no whitespace or line breaks, no URL-safe
    /// alphabet, padding required and only at the end, and the unused bits of the last
    /// character must be zero — so every byte string has exactly one accepted encoding.
    public static func decode(_ text: String) -> [UInt8]? {
        let chars = Array(text.utf8)
        guard chars.count % 4 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(chars.count / 4 * 3)
        var index = 0
        while index < chars.count {
            // Padding may appear only in the final group of four.
            let isLast = index + 4 == chars.count
            guard let v0 = value(chars[index]), let v1 = value(chars[index + 1]) else { return nil }
            out.append(v0 << 2 | v1 >> 4)
            if chars[index + 2] == pad {
                // "xx==": one byte; the low 4 bits of the second character are unused and must be 0.
                guard isLast, chars[index + 3] == pad, v1 & 0x0F == 0 else { return nil }
                break
            }
            guard let v2 = value(chars[index + 2]) else { return nil }
            out.append((v1 & 0x0F) << 4 | v2 >> 2)
            if chars[index + 3] == pad {
                // "xxx=": two bytes; the low 2 bits of the third character must be 0.
                guard isLast, v2 & 0x03 == 0 else { return nil }
                break
            }
            guard let v3 = value(chars[index + 3]) else { return nil }
            out.append((v2 & 0x03) << 6 | v3)
            index += 4
        }
        return out
    }

    private static func appendSextets(_ group: UInt32, count: Int, to out: inout [UInt8]) {
        for position in 0..<count {
            let shift = UInt32(18 - 6 * position)
            out.append(alphabet[Int((group >> shift) & 0x3F)])
        }
    }

    /// The 6-bit value of a Base64 character, or nil.
    private static func value(_ char: UInt8) -> UInt8? {
        switch char {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"): return char - UInt8(ascii: "A")
        case UInt8(ascii: "a")...UInt8(ascii: "z"): return char - UInt8(ascii: "a") + 26
        case UInt8(ascii: "0")...UInt8(ascii: "9"): return char - UInt8(ascii: "0") + 52
        case UInt8(ascii: "+"): return 62
        case UInt8(ascii: "/"): return 63
        default: return nil
        }
    }
}
