/// A parsed JSON value (RFC 8259).
///
/// Objects keep their members in wire order so that a value can be re-encoded as it arrived
/// and so that encoders stay deterministic; the parser refuses duplicate keys, so a key names
/// at most one member. Integers that fit in `Int64` (no fraction, no exponent) are `.int`;
/// every other number is `.double`.
public enum JSONValue: Sendable {
    /// `null`.
    case null
    /// `true` or `false`.
    case bool(Bool)
    /// A number written without fraction or exponent that fits in Int64.
    case int(Int64)
    /// Any other (finite) number.
    case double(Double)
    /// A string (any Unicode, including U+0000).
    case string(String)
    /// An array.
    case array([JSONValue])
    /// An object: members in wire order, names unique.
    case object([(String, JSONValue)])
}

extension JSONValue: Equatable {
    /// JSON equality: objects compare as unordered sets of members (RFC 8259 §4 leaves member
    /// order without meaning), arrays in order. `.int(1)` and `.double(1.0)` are different
    /// values: the protocol distinguishes integers from other numbers.
    public static func == (lhs: JSONValue, rhs: JSONValue) -> Bool {
        switch (lhs, rhs) {
        case (.null, .null):
            return true
        case let (.bool(a), .bool(b)):
            return a == b
        case let (.int(a), .int(b)):
            return a == b
        case let (.double(a), .double(b)):
            return a == b
        case let (.string(a), .string(b)):
            return a == b
        case let (.array(a), .array(b)):
            return a == b
        case let (.object(a), .object(b)):
            guard a.count == b.count else { return false }
            // Keys are unique on both sides, so "every member of a is in b" plus equal counts
            // is set equality. Protocol objects are small: a linear lookup is fine.
            for (key, value) in a {
                guard let other = b.first(where: { $0.0 == key }), other.1 == value else { return false }
            }
            return true
        default:
            return false
        }
    }
}

extension JSONValue {
    /// The member named `key` of an object; nil for a missing key or a non-object.
    public subscript(key: String) -> JSONValue? {
        guard case .object(let members) = self else { return nil }
        return members.first(where: { $0.0 == key })?.1
    }

    /// The members of an object in wire order, or nil.
    public var objectMembers: [(String, JSONValue)]? {
        if case .object(let members) = self { return members }
        return nil
    }

    /// The elements of an array, or nil.
    public var arrayValue: [JSONValue]? {
        if case .array(let elements) = self { return elements }
        return nil
    }

    /// The string, or nil.
    public var stringValue: String? {
        if case .string(let text) = self { return text }
        return nil
    }

    /// The integer, or nil (a `.double`, even an integral one, is not an integer).
    public var int64Value: Int64? {
        if case .int(let number) = self { return number }
        return nil
    }

    /// The boolean, or nil.
    public var boolValue: Bool? {
        if case .bool(let flag) = self { return flag }
        return nil
    }

    /// Whether this is JSON `null`.
    public var isNull: Bool {
        if case .null = self { return true }
        return false
    }

    /// A short name of the value's type, for error messages.
    public var typeName: String {
        switch self {
        case .null: return "null"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "number"
        case .string: return "string"
        case .array: return "array"
        case .object: return "object"
        }
    }
}
