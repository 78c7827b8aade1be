/// The syntax rules of string arguments, with the words an error message uses for each.
enum StringRule {
    case userID, roomID, opaqueID, clientToken, clientName, token

    func accepts(_ text: String) -> Bool {
        switch self {
        case .userID: return Identifier.isUserID(text)
        case .roomID: return Identifier.isRoomID(text)
        case .opaqueID: return Identifier.isOpaqueID(text)
        case .clientToken: return Identifier.isClientToken(text)
        case .clientName: return Identifier.isClientName(text)
        case .token: return !text.isEmpty && text.utf8.count <= ConnectCommand.maxTokenBytes
        }
    }

    var expectation: String {
        switch self {
        case .userID: return "a user id (1-128 characters of A-Z a-z 0-9 _ . @ -)"
        case .roomID: return "a room id (1-128 characters of A-Z a-z 0-9 _ . : | @ -, or dm:<user>|<user>)"
        case .opaqueID: return "an id (1-64 printable ASCII characters)"
        case .clientToken: return "1-64 printable ASCII characters"
        case .clientName: return "1-64 ASCII characters"
        case .token: return "a token (1-8192 bytes)"
        }
    }
}

/// Reads the members of a command (or of an object inside one) by the spec's rules, naming
/// the argument in every error (`"text"`, `"positions[2].epoch"`).
///
/// Absent and `null` are different: an optional argument is either absent or valid, so
/// `"replyTo": null` is refused like any other wrong type.
struct ArgumentReader {
    let members: [(String, JSONValue)]
    /// Prefix of every field name this reader reports (`"positions[2]."` or empty).
    let path: String

    init(members: [(String, JSONValue)], path: String = "") {
        self.members = members
        self.path = path
    }

    func value(_ name: String) -> JSONValue? {
        members.first(where: { $0.0 == name })?.1
    }

    func field(_ name: String) -> String { path + name }

    /// Refuses the first member whose name is not in `allowed`.
    func refuseUnknown(allowed: [String]) throws(ProtocolError) {
        for (name, _) in members where !allowed.contains(name) {
            // The name is the client's own string: keep errors small whatever it sent.
            let shown = String(String.UnicodeScalarView(name.unicodeScalars.prefix(64)))
            throw .invalidArgument(field(shown), "unknown argument \"\(shown)\"")
        }
    }

    /// A required string that follows `rule`.
    func required(_ name: String, _ rule: StringRule) throws(ProtocolError) -> String {
        guard let found = value(name) else { throw .invalidArgument(field(name), "\(field(name)) is required") }
        return try check(found, name, rule)
    }

    /// An optional string that follows `rule` when present.
    func optional(_ name: String, _ rule: StringRule) throws(ProtocolError) -> String? {
        guard let found = value(name) else { return nil }
        return try check(found, name, rule)
    }

    /// A required message text: a string (1002), within `limits` (1003), with content and
    /// no NUL (1004).
    func text(_ name: String, limits: TextLimits) throws(ProtocolError) -> String {
        guard let found = value(name) else { throw .invalidArgument(field(name), "\(field(name)) is required") }
        guard case .string(let text) = found else { throw wrongType(found, name, "a string") }
        if let violation = limits.violation(in: text, field: field(name)) { throw violation }
        return text
    }

    /// An optional integer.
    func optionalInt(_ name: String) throws(ProtocolError) -> Int64? {
        guard let found = value(name) else { return nil }
        guard case .int(let number) = found else { throw wrongType(found, name, "an integer") }
        return number
    }

    /// An optional array.
    func optionalArray(_ name: String) throws(ProtocolError) -> [JSONValue]? {
        guard let found = value(name) else { return nil }
        guard case .array(let elements) = found else { throw wrongType(found, name, "an array") }
        return elements
    }

    private func check(_ found: JSONValue, _ name: String, _ rule: StringRule) throws(ProtocolError) -> String {
        guard case .string(let text) = found else { throw wrongType(found, name, rule.expectation) }
        guard rule.accepts(text) else {
            throw .invalidArgument(field(name), "\(field(name)) must be \(rule.expectation)")
        }
        return text
    }

    private func wrongType(_ found: JSONValue, _ name: String, _ expected: String) -> ProtocolError {
        .invalidArgument(field(name), "\(field(name)) must be \(expected), not \(found.typeName)")
    }
}
