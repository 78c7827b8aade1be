/// An ordered list of HTTP header fields.
///
/// Order and repetition are kept exactly as received or added: a repeated field is several
/// entries, never merged, so validators can tell "one `Host`" from "two `Host`s". Name lookups are
/// ASCII case-insensitive (RFC 9110 §5.1); values are compared as given.
public struct HTTPHeaders: Sequence, Equatable, Sendable, ExpressibleByDictionaryLiteral {
    /// One header field.
    public typealias Element = (name: String, value: String)

    private var fields: [Element]

    /// An empty header list. It holds no heap storage until the first `add`.
    public init() {
        fields = []
    }

    /// A header list with `fields` in the given order.
    public init(_ fields: [(String, String)]) {
        self.fields = fields.map { (name: $0.0, value: $0.1) }
    }

    /// A header list from a literal such as `["Upgrade": "websocket"]`, keeping the literal's order.
    public init(dictionaryLiteral elements: (String, String)...) {
        self.init(elements)
    }

    /// The number of fields, counting each repetition.
    public var count: Int { fields.count }

    /// The value of the first field named `name`, or nil.
    public subscript(_ name: String) -> String? {
        guard let index = index(of: name, from: 0) else { return nil }
        return fields[index].value
    }

    /// The values of every field named `name`, in order.
    public func values(_ name: String) -> [String] {
        var result: [String] = []
        var next = index(of: name, from: 0)
        while let index = next {
            result.append(fields[index].value)
            next = self.index(of: name, from: index + 1)
        }
        return result
    }

    /// Whether at least one field is named `name`.
    public func contains(_ name: String) -> Bool {
        index(of: name, from: 0) != nil
    }

    /// The index of the first field at or after `start` named `name`.
    ///
    /// Lookups walk indices rather than iterating elements: copying each `(name, value)` out of
    /// the array would retain and release two strings per field per lookup.
    private func index(of name: String, from start: Int) -> Int? {
        var index = start
        while index < fields.count {
            if ASCII.equalsIgnoringCase(fields[index].name, name) { return index }
            index += 1
        }
        return nil
    }

    /// The number of fields named `name`.
    public func count(named name: String) -> Int {
        var total = 0
        var next = index(of: name, from: 0)
        while let index = next {
            total += 1
            next = self.index(of: name, from: index + 1)
        }
        return total
    }

    /// Whether any field named `name` lists `token` as a comma-separated element, compared ASCII
    /// case-insensitively after trimming SP/HTAB — `tokens(name).contains(token.lowercased())`
    /// without allocating.
    public func containsToken(_ name: String, _ token: String) -> Bool {
        guard !token.isEmpty else { return false }
        var next = index(of: name, from: 0)
        while let index = next {
            if Self.list(fields[index].value, containsToken: token) { return true }
            next = self.index(of: name, from: index + 1)
        }
        return false
    }

    /// Reserves room for `capacity` fields.
    mutating func reserveCapacity(_ capacity: Int) {
        fields.reserveCapacity(capacity)
    }

    /// Appends a field; an existing field of the same name is kept (fields are never merged).
    public mutating func add(_ name: String, _ value: String) {
        fields.append((name: name, value: value))
    }

    /// Removes every field named `name`.
    public mutating func remove(_ name: String) {
        fields.removeAll { ASCII.equalsIgnoringCase($0.name, name) }
    }

    /// The comma-separated list elements of every field named `name`, trimmed of SP/HTAB and
    /// ASCII-lowercased, in order; empty elements are dropped (RFC 9110 §5.6.1).
    ///
    /// For `Connection: keep-alive, Upgrade` this is `["keep-alive", "upgrade"]`. Use it for
    /// case-insensitive tokens only; `listElements` keeps the case.
    public func tokens(_ name: String) -> [String] {
        listElements(name).map { Self.asciiLowercased($0) }
    }

    /// Like `tokens`, but keeping each element's case (for case-sensitive lists such as
    /// `Sec-WebSocket-Protocol`).
    public func listElements(_ name: String) -> [String] {
        var result: [String] = []
        for value in values(name) {
            for element in value.utf8.split(separator: ASCII.comma, omittingEmptySubsequences: false) {
                guard let trimmed = Self.trimmed(element) else { continue }
                result.append(trimmed)
            }
        }
        return result
    }

    /// Iterates the fields in order.
    public func makeIterator() -> IndexingIterator<[Element]> {
        fields.makeIterator()
    }

    /// Exact, order-sensitive comparison of names and values.
    public static func == (lhs: HTTPHeaders, rhs: HTTPHeaders) -> Bool {
        guard lhs.fields.count == rhs.fields.count else { return false }
        for (a, b) in zip(lhs.fields, rhs.fields) where a.name != b.name || a.value != b.value {
            return false
        }
        return true
    }

    private static func list(_ value: String, containsToken token: String) -> Bool {
        var value = value
        var token = token
        return value.withUTF8 { list in
            token.withUTF8 { wanted in
                var start = 0
                while start <= list.count {
                    let end = list.firstIndex(of: ASCII.comma, from: start) ?? list.count
                    let element = list.slice(list.trimmingWhitespace(start..<end))
                    if ASCII.equalsIgnoringCase(element, wanted) { return true }
                    start = end + 1
                }
                return false
            }
        }
    }

    /// `element` without surrounding SP/HTAB, or nil when nothing is left.
    private static func trimmed(_ element: Substring.UTF8View) -> String? {
        var lower = element.startIndex
        var upper = element.endIndex
        while lower < upper, ASCII.isWhitespace(element[lower]) {
            lower = element.index(after: lower)
        }
        while upper > lower, ASCII.isWhitespace(element[element.index(before: upper)]) {
            upper = element.index(before: upper)
        }
        guard lower < upper else { return nil }
        return String(Substring(element[lower..<upper]))
    }

    private static func asciiLowercased(_ string: String) -> String {
        // Only ASCII letters fold: `String.lowercased()` would apply Unicode rules to obs-text.
        guard string.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) else { return string }
        return String(decoding: string.utf8.map(ASCII.lowercased), as: UTF8.self)
    }
}

extension HTTPHeaders: CustomStringConvertible {
    /// The fields as `name: value` lines, for diagnostics.
    public var description: String {
        fields.map { "\($0.name): \($0.value)" }.joined(separator: "\n")
    }
}
