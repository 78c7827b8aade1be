/// A numeric error code of an error reply, with its stable snake_case `reason`.
///
/// The range tells a client what to do without knowing the code (see `Category`), so a
/// server may add codes without breaking older clients; `ErrorCode(_:reason:)` keeps
/// codes this version does not know. Two codes are equal when their numbers are.
public struct ErrorCode: Hashable, Sendable, CustomStringConvertible {
    /// The number on the wire.
    public let value: Int
    /// The stable snake_case name on the wire.
    public let reason: String

    /// A code by number and name. Prefer the static constants; this is for decoding.
    public init(_ value: Int, reason: String) {
        self.value = value
        self.reason = reason
    }

    /// What a client should do about an error, from the code's range.
    public enum Category: Sendable, Equatable {
        /// 1000–1999: the request is wrong; sending it again unchanged fails again.
        case invalidRequest
        /// 2000–2999: refused in the current state; retry only after something changes.
        case refused
        /// 3000–3999: transient; retry after `retryAfterMs` or with backoff.
        case transient
        /// 4000–4199: the session cannot continue; the server closes with the same code (the
        /// close code's range says whether to reconnect).
        case connection
        /// Any other number (a newer server's code outside the known ranges).
        case unknown
    }

    /// The category of the code's range.
    public var category: Category {
        switch value {
        case 1000...1999: return .invalidRequest
        case 2000...2999: return .refused
        case 3000...3999: return .transient
        case 4000...4199: return .connection
        default: return .unknown
        }
    }

    /// Whether retrying the same command later can succeed without any change (3xxx).
    public var retryable: Bool { category == .transient }

    /// `"2001 not_member"`.
    public var description: String { "\(value) \(reason)" }

    /// Equal numbers are equal codes, whatever reason a decoder was given.
    public static func == (lhs: ErrorCode, rhs: ErrorCode) -> Bool { lhs.value == rhs.value }
    /// Hashes the number only, consistently with `==`.
    public func hash(into hasher: inout Hasher) { hasher.combine(value) }

    // MARK: - 1xxx: invalid request

    /// 1000: the frame is not a command envelope (not JSON, not an object, no usable id/cmd).
    public static let malformed = ErrorCode(1000, reason: "malformed")
    /// 1001: `cmd` names no command of this protocol version.
    public static let unknownCommand = ErrorCode(1001, reason: "unknown_command")
    /// 1002: an argument is missing, unknown, of the wrong type or form (`field` names it).
    public static let invalidArgument = ErrorCode(1002, reason: "invalid_argument")
    /// 1003: text longer than the limit in Unicode scalars or UTF-8 bytes.
    public static let textTooLong = ErrorCode(1003, reason: "text_too_long")
    /// 1004: text that is empty, only whitespace, or contains U+0000.
    public static let textInvalid = ErrorCode(1004, reason: "text_invalid")
    /// 1005: a `limit` outside its range.
    public static let limitOutOfRange = ErrorCode(1005, reason: "limit_out_of_range")
    /// 1006: a command other than `connect` before `connect` succeeded.
    public static let notConnected = ErrorCode(1006, reason: "not_connected")
    /// 1007: a second `connect` on a connected session.
    public static let alreadyConnected = ErrorCode(1007, reason: "already_connected")

    // MARK: - 2xxx: refused

    /// 2000: the room, event or user does not exist (or is not visible to the caller).
    public static let notFound = ErrorCode(2000, reason: "not_found")
    /// 2001: the caller is not in the room.
    public static let notMember = ErrorCode(2001, reason: "not_member")
    /// 2002: the caller's role lacks the right.
    public static let forbidden = ErrorCode(2002, reason: "forbidden")
    /// 2003: editing or deleting someone else's message without the right to.
    public static let notAuthor = ErrorCode(2003, reason: "not_author")
    /// 2004: the DM rules do not allow a direct room between the two users.
    public static let dmNotAllowed = ErrorCode(2004, reason: "dm_not_allowed")
    /// 2005: one of the two users blocked the other.
    public static let blocked = ErrorCode(2005, reason: "blocked")
    /// 2006: a new room would exceed the per-user room limit.
    public static let tooManyRooms = ErrorCode(2006, reason: "too_many_rooms")
    /// 2007: member-to-member DMs are turned off on this platform.
    public static let dmDisabled = ErrorCode(2007, reason: "dm_disabled")
    /// 2008: the caller has blocked the most users allowed; unblock one first.
    public static let tooManyBlocks = ErrorCode(2008, reason: "too_many_blocks")

    // MARK: - 3xxx: transient

    /// 3000: too many commands; wait `retryAfterMs`.
    public static let rateLimited = ErrorCode(3000, reason: "rate_limited")
    /// 3001: the server sheds load; retry later.
    public static let overloaded = ErrorCode(3001, reason: "overloaded")
    /// 3002: a backing store is unreachable; retry later.
    public static let unavailable = ErrorCode(3002, reason: "unavailable")

    // MARK: - 40xx, 41xx: connection

    /// 4006: the user has the most sessions allowed open; the connection closes with 4006.
    public static let tooManySessions = ErrorCode(4006, reason: "too_many_sessions")

    /// 4100: the token was refused; the connection closes with 4100.
    public static let authFailed = ErrorCode(4100, reason: "auth_failed")
    /// 4101: the token has expired; the connection closes with 4101.
    public static let tokenExpired = ErrorCode(4101, reason: "token_expired")
    /// 4102: the platform suspended this account; the connection closes with 4102.
    public static let disconnectedByPlatform = ErrorCode(4102, reason: "disconnected_by_platform")

    /// Every code this version defines, in numeric order.
    public static let all: [ErrorCode] = [
        malformed, unknownCommand, invalidArgument, textTooLong, textInvalid, limitOutOfRange,
        notConnected, alreadyConnected,
        notFound, notMember, forbidden, notAuthor, dmNotAllowed, blocked, tooManyRooms, dmDisabled, tooManyBlocks,
        rateLimited, overloaded, unavailable,
        tooManySessions, authFailed, tokenExpired, disconnectedByPlatform,
    ]

    /// The defined code with this number, or nil.
    public static func known(_ value: Int) -> ErrorCode? {
        all.first(where: { $0.value == value })
    }
}
