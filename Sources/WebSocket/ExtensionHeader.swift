/// One element of a `Sec-WebSocket-Extensions` list: `name; param; param=value`.
struct ExtensionElement: Equatable, Sendable {
    /// Lower-cased extension token.
    var name: String
    /// Parameters in order; names lower-cased, values unquoted (nil when valueless).
    var parameters: [(name: String, value: String?)]

    static func == (lhs: ExtensionElement, rhs: ExtensionElement) -> Bool {
        lhs.name == rhs.name && lhs.parameters.elementsEqual(rhs.parameters) { $0.name == $1.name && $0.value == $1.value }
    }
}

/// Parser for the RFC 6455 §9.1 extension grammar:
///
///     extension-list = 1#extension
///     extension      = extension-token *( ";" extension-param )
///     extension-param = token [ "=" (token | quoted-string) ]
///
/// A quoted value must itself be a token after unescaping (§9.1). A malformed element
/// becomes nil instead of failing the whole header, so negotiation can skip it and look
/// at the client's next offer.
enum ExtensionHeader {
    /// Parses one header value into its comma-separated elements (empty elements skipped).
    static func parse(_ value: String) -> [ExtensionElement?] {
        let bytes = Array(value.utf8)
        var elements: [ExtensionElement?] = []
        var start = 0
        var index = 0
        var inQuotes = false
        // Split on commas outside quoted strings first, so one bad element cannot
        // swallow the next one.
        while index <= bytes.count {
            if index == bytes.count || (!inQuotes && bytes[index] == UInt8(ascii: ",")) {
                let slice = bytes[start..<index]
                if !slice.allSatisfy(isWhitespace) {
                    elements.append(parseElement(slice))
                }
                start = index + 1
            } else if bytes[index] == UInt8(ascii: "\"") {
                inQuotes.toggle()
            } else if inQuotes && bytes[index] == UInt8(ascii: "\\") {
                index += 1  // skip the escaped byte
            }
            index += 1
        }
        return elements
    }

    private static func parseElement(_ bytes: ArraySlice<UInt8>) -> ExtensionElement? {
        var cursor = bytes.startIndex
        let end = bytes.endIndex

        func skipWhitespace() {
            while cursor < end && isWhitespace(bytes[cursor]) { cursor += 1 }
        }
        func token() -> String? {
            let begin = cursor
            while cursor < end && isTokenByte(bytes[cursor]) { cursor += 1 }
            guard cursor > begin else { return nil }
            return lowercasedString(bytes[begin..<cursor])
        }
        func quotedValue() -> String? {
            cursor += 1  // opening quote
            var value: [UInt8] = []
            while cursor < end {
                let byte = bytes[cursor]
                if byte == UInt8(ascii: "\"") {
                    cursor += 1
                    guard !value.isEmpty, value.allSatisfy(isTokenByte) else { return nil }
                    return String(decoding: value, as: UTF8.self)
                }
                if byte == UInt8(ascii: "\\") {
                    cursor += 1
                    guard cursor < end else { return nil }
                }
                value.append(bytes[cursor])
                cursor += 1
            }
            return nil  // unterminated
        }

        skipWhitespace()
        guard let name = token() else { return nil }
        var parameters: [(name: String, value: String?)] = []
        skipWhitespace()
        while cursor < end {
            guard bytes[cursor] == UInt8(ascii: ";") else { return nil }
            cursor += 1
            skipWhitespace()
            guard let parameterName = token() else { return nil }
            skipWhitespace()
            var value: String? = nil
            if cursor < end && bytes[cursor] == UInt8(ascii: "=") {
                cursor += 1
                skipWhitespace()
                guard cursor < end else { return nil }
                if bytes[cursor] == UInt8(ascii: "\"") {
                    guard let quoted = quotedValue() else { return nil }
                    value = quoted
                } else {
                    // Parameter values keep their case; only names are case-insensitive.
                    let begin = cursor
                    while cursor < end && isTokenByte(bytes[cursor]) { cursor += 1 }
                    guard cursor > begin else { return nil }
                    value = String(decoding: bytes[begin..<cursor], as: UTF8.self)
                }
                skipWhitespace()
            }
            parameters.append((parameterName, value))
        }
        return ExtensionElement(name: name, parameters: parameters)
    }

    private static func isWhitespace(_ byte: UInt8) -> Bool {
        byte == UInt8(ascii: " ") || byte == UInt8(ascii: "\t")
    }

    /// RFC 7230 tchar.
    private static func isTokenByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "a")...UInt8(ascii: "z"), UInt8(ascii: "A")...UInt8(ascii: "Z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"):
            return true
        default:
            return "!#$%&'*+-.^_`|~".utf8.contains(byte)
        }
    }

    private static func lowercasedString(_ bytes: ArraySlice<UInt8>) -> String {
        String(decoding: bytes.map { $0 >= 0x41 && $0 <= 0x5A ? $0 | 0x20 : $0 }, as: UTF8.self)
    }
}
