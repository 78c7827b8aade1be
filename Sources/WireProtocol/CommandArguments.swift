/// Arguments of `connect`.
public struct ConnectCommand: Equatable, Sendable {
    /// The platform-signed JWT (1–8,192 bytes; checked by the server).
    public var token: String
    /// Where the client is in rooms it wants to recover, at most one per room; nil when the
    /// argument was absent (the same as empty).
    public var positions: [Position]?
    /// The client's name and version (`"rally-js/1.4.2"`), for logs and metrics.
    public var client: String?

    /// Creates the arguments.
    public init(token: String, positions: [Position]? = nil, client: String? = nil) {
        self.token = token
        self.positions = positions
        self.client = client
    }

    /// Longest accepted token, in bytes.
    public static let maxTokenBytes = 8_192
}

/// Arguments of `send`.
public struct SendCommand: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The message text.
    public var text: String
    /// The client message id: resending the same cmid returns the first send's result and
    /// delivers nothing twice.
    public var cmid: String
    /// The id of the message this one answers.
    public var replyTo: String?

    /// Creates the arguments.
    public init(room: String, text: String, cmid: String, replyTo: String? = nil) {
        self.room = room
        self.text = text
        self.cmid = cmid
        self.replyTo = replyTo
    }
}

/// Arguments of `dm`.
public struct DirectCommand: Equatable, Sendable {
    /// The recipient's user id.
    public var to: String
    /// The message text.
    public var text: String
    /// The client message id (as in `send`).
    public var cmid: String
    /// The id of the message this one answers, in the direct room.
    public var replyTo: String?

    /// Creates the arguments.
    public init(to: String, text: String, cmid: String, replyTo: String? = nil) {
        self.to = to
        self.text = text
        self.cmid = cmid
        self.replyTo = replyTo
    }
}

/// Arguments of `edit`.
public struct EditCommand: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The id of the message event to edit (the `target` argument on the wire).
    public var id: String
    /// The new text.
    public var text: String

    /// Creates the arguments.
    public init(room: String, id: String, text: String) {
        self.room = room
        self.id = id
        self.text = text
    }
}

/// Arguments of `history`.
public struct HistoryCommand: Equatable, Sendable {
    /// Where a page starts. `before` and `after` exclude one another, so they are one enum.
    public enum Anchor: Equatable, Sendable {
        /// The newest events of the room.
        case latest
        /// The newest events strictly before this id.
        case before(String)
        /// The oldest events strictly after this id.
        case after(String)
    }

    /// The room id.
    public var room: String
    /// Where the page starts.
    public var anchor: Anchor
    /// The requested page size; nil when absent (the server uses `defaultLimit`).
    public var limit: Int?

    /// Creates the arguments.
    public init(room: String, anchor: Anchor = .latest, limit: Int? = nil) {
        self.room = room
        self.anchor = anchor
        self.limit = limit
    }

    /// The page size when `limit` is absent.
    public static let defaultLimit = 50

    /// The page size to serve.
    public var effectiveLimit: Int { limit ?? Self.defaultLimit }

    /// The `before` argument, if that is the anchor.
    public var before: String? {
        if case .before(let id) = anchor { return id }
        return nil
    }

    /// The `after` argument, if that is the anchor.
    public var after: String? {
        if case .after(let id) = anchor { return id }
        return nil
    }
}
