extension JSONWriter {
    /// Writes a string with the one escaping Rally uses everywhere:
    ///
    /// - `"` and `\` as `\"` and `\\`;
    /// - U+0008, U+0009, U+000A, U+000C, U+000D as `\b \t \n \f \r`, every other character
    ///   below U+0020 as `\u00xx` (lowercase hex);
    /// - U+2028 and U+2029 as `\u2028` and `\u2029`: valid in JSON but line terminators in
    ///   JavaScript before ES2019, so a frame pasted into a script cannot break it;
    /// - everything else, including all other non-ASCII characters, as raw UTF-8.
    ///
    /// `/` is not escaped. Runs of bytes that need nothing are copied in one append.
    public mutating func string(_ text: String) {
        var text = text
        // Native Swift strings are contiguous UTF-8; this only copies the rare other kinds.
        text.makeContiguousUTF8()
        let done: Void? = text.utf8.withContiguousStorageIfAvailable { utf8 in
            appendEscaped(utf8)
        }
        if done == nil {
            let copy = Array(text.utf8)
            copy.withUnsafeBufferPointer { appendEscaped($0) }
        }
    }

    /// Appends `"…"` for UTF-8 bytes known to be valid.
    private mutating func appendEscaped(_ utf8: UnsafeBufferPointer<UInt8>) {
        separate()
        bytes.append(UInt8(ascii: "\""))
        var runStart = 0
        var index = 0
        let count = utf8.count
        while index < count {
            let byte = utf8[index]
            if byte >= 0x20 && byte != UInt8(ascii: "\"") && byte != UInt8(ascii: "\\") && byte != 0xE2 {
                index += 1
                continue
            }
            if byte == 0xE2 {
                // U+2028 is E2 80 A8, U+2029 is E2 80 A9; any other E2 sequence is copied.
                guard index + 2 < count, utf8[index + 1] == 0x80, utf8[index + 2] == 0xA8 || utf8[index + 2] == 0xA9 else {
                    index += 1
                    continue
                }
                bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
                bytes.append(contentsOf: utf8[index + 2] == 0xA8 ? Self.lineSeparator : Self.paragraphSeparator)
                index += 3
                runStart = index
                continue
            }
            bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<index]))
            Self.appendEscape(of: byte, to: &bytes)
            index += 1
            runStart = index
        }
        bytes.append(contentsOf: UnsafeBufferPointer(rebasing: utf8[runStart..<count]))
        bytes.append(UInt8(ascii: "\""))
        needsComma = true
    }

    private static let lineSeparator: [UInt8] = Array("\\u2028".utf8)
    private static let paragraphSeparator: [UInt8] = Array("\\u2029".utf8)
    private static let hexDigits: [UInt8] = Array("0123456789abcdef".utf8)

    /// The escape for a quote, a backslash or a control character.
    private static func appendEscape(of byte: UInt8, to out: inout [UInt8]) {
        out.append(UInt8(ascii: "\\"))
        switch byte {
        case UInt8(ascii: "\""): out.append(UInt8(ascii: "\""))
        case UInt8(ascii: "\\"): out.append(UInt8(ascii: "\\"))
        case 0x08: out.append(UInt8(ascii: "b"))
        case 0x09: out.append(UInt8(ascii: "t"))
        case 0x0A: out.append(UInt8(ascii: "n"))
        case 0x0C: out.append(UInt8(ascii: "f"))
        case 0x0D: out.append(UInt8(ascii: "r"))
        default:
            out.append(contentsOf: [UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                                    hexDigits[Int(byte >> 4)], hexDigits[Int(byte & 0xF)]])
        }
    }
}
