/// Why `JSONParser` refused an input, and where.
public struct JSONError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The rule that was broken.
    public enum Kind: Equatable, Sendable {
        /// The input ended inside a value (or was empty).
        case unexpectedEnd
        /// A byte that cannot start or continue a value here.
        case unexpectedByte(UInt8)
        /// A number that breaks the RFC 8259 grammar (`01`, `1.`, `.5`, `+1`, `1e`).
        case invalidNumber
        /// A number too large for a `Double` (e.g. `1e400`).
        case numberOutOfRange
        /// A backslash followed by something other than `" \ / b f n r t u`.
        case invalidEscape
        /// A `\u` escape that is not four hex digits, or a surrogate without its pair.
        case invalidUnicodeEscape
        /// An unescaped character below U+0020 inside a string.
        case controlCharacterInString
        /// A string whose bytes are not valid UTF-8.
        case invalidUTF8
        /// An object with two members of the same name.
        case duplicateKey(String)
        /// Arrays and objects nested deeper than `JSONLimits.maxDepth`.
        case tooDeep
        /// More input than `JSONLimits.maxBytes`.
        case inputTooLarge
        /// A string longer than `JSONLimits.maxStringBytes`.
        case stringTooLong
        /// An array with more elements than `JSONLimits.maxArrayCount`.
        case arrayTooLong
        /// An object with more members than `JSONLimits.maxObjectCount`.
        case objectTooLarge
        /// Something other than whitespace after the top-level value.
        case trailingData
    }

    /// The rule that was broken.
    public var kind: Kind
    /// Byte offset in the input where the problem was found.
    public var offset: Int

    /// Creates an error.
    public init(_ kind: Kind, at offset: Int) {
        self.kind = kind
        self.offset = offset
    }

    /// A one-line English explanation, safe to put in an error reply (never echoes input
    /// bytes other than a duplicate key, which a JSON writer escapes).
    public var description: String {
        let what: String
        switch kind {
        case .unexpectedEnd: what = "unexpected end of input"
        case .unexpectedByte(let byte): what = "unexpected byte 0x\(String(byte, radix: 16))"
        case .invalidNumber: what = "invalid number"
        case .numberOutOfRange: what = "number out of range"
        case .invalidEscape: what = "invalid escape sequence"
        case .invalidUnicodeEscape: what = "invalid \\u escape or unpaired surrogate"
        case .controlCharacterInString: what = "unescaped control character in string"
        case .invalidUTF8: what = "invalid UTF-8 in string"
        case .duplicateKey(let key): what = "duplicate key \"\(key.prefix(64))\""
        case .tooDeep: what = "nesting too deep"
        case .inputTooLarge: what = "input too large"
        case .stringTooLong: what = "string too long"
        case .arrayTooLong: what = "array too long"
        case .objectTooLarge: what = "object has too many members"
        case .trailingData: what = "unexpected data after the value"
        }
        return "invalid JSON at byte \(offset): \(what)"
    }
}
