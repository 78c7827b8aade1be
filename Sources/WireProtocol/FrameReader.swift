/// Reads members of a server frame for a client. Unlike `ArgumentReader` it ignores members
/// it does not know (later minor revisions add fields) and checks types, not the server's
/// identifier syntax. Every failure is a 1000 `malformed` error naming the member's path.
struct FrameReader {
    let members: [(String, JSONValue)]
    let path: String

    init(members: [(String, JSONValue)], path: String = "") {
        self.members = members
        self.path = path
    }

    /// A reader for the object `value`, or an error naming `path`.
    init(_ value: JSONValue, path: String) throws(ProtocolError) {
        guard case .object(let members) = value else {
            if path.isEmpty { throw .malformed("a server frame must be a JSON object, not \(value.typeName)") }
            throw .malformed("\(path) must be an object, not \(value.typeName)", field: path)
        }
        self.init(members: members, path: path.isEmpty ? "" : path + ".")
    }

    func value(_ name: String) -> JSONValue? {
        members.first(where: { $0.0 == name })?.1
    }

    private func fail(_ name: String, _ problem: String) -> ProtocolError {
        .malformed("\(path)\(name) \(problem)", field: path + name)
    }

    private func present(_ name: String) throws(ProtocolError) -> JSONValue {
        guard let found = value(name) else { throw fail(name, "is required") }
        return found
    }

    func string(_ name: String) throws(ProtocolError) -> String {
        let found = try present(name)
        guard case .string(let text) = found else { throw fail(name, "must be a string, not \(found.typeName)") }
        return text
    }

    func optionalString(_ name: String) throws(ProtocolError) -> String? {
        guard value(name) != nil else { return nil }
        return try string(name)
    }

    /// A member that must be present but may be `null` (`prev`, `last`, a reply's `id`).
    func nullableString(_ name: String) throws(ProtocolError) -> String? {
        let found = try present(name)
        if found.isNull { return nil }
        guard case .string(let text) = found else { throw fail(name, "must be a string or null, not \(found.typeName)") }
        return text
    }

    func int(_ name: String) throws(ProtocolError) -> Int64 {
        let found = try present(name)
        guard case .int(let number) = found else { throw fail(name, "must be an integer, not \(found.typeName)") }
        return number
    }

    func optionalInt(_ name: String) throws(ProtocolError) -> Int64? {
        guard value(name) != nil else { return nil }
        return try int(name)
    }

    /// An integer that must fit in `Int` (the limits).
    func count(_ name: String) throws(ProtocolError) -> Int {
        guard let number = Int(exactly: try int(name)) else { throw fail(name, "is out of range") }
        return number
    }

    func bool(_ name: String) throws(ProtocolError) -> Bool {
        let found = try present(name)
        guard case .bool(let flag) = found else { throw fail(name, "must be a boolean, not \(found.typeName)") }
        return flag
    }

    func optionalBool(_ name: String) throws(ProtocolError) -> Bool? {
        guard value(name) != nil else { return nil }
        return try bool(name)
    }

    func array(_ name: String) throws(ProtocolError) -> [JSONValue] {
        let found = try present(name)
        guard case .array(let elements) = found else { throw fail(name, "must be an array, not \(found.typeName)") }
        return elements
    }

    func object(_ name: String) throws(ProtocolError) -> FrameReader {
        try FrameReader(try present(name), path: path + name)
    }

    func role(_ name: String) throws(ProtocolError) -> Role {
        let text = try string(name)
        guard let role = Role(rawValue: text) else { throw fail(name, "is not a role") }
        return role
    }

    func roomKind(_ name: String) throws(ProtocolError) -> RoomKind {
        let text = try string(name)
        guard let kind = RoomKind(rawValue: text) else { throw fail(name, "is not a room kind") }
        return kind
    }
}
