/// The limits a server enforces on this session, sent in the `connect` result so that a
/// client can check before sending instead of learning from refusals.
public struct Limits: Equatable, Sendable {
    /// Longest message text in Unicode scalars (1003 beyond).
    public var textMax: Int
    /// Longest message text in UTF-8 bytes (1003 beyond).
    public var textMaxBytes: Int
    /// Sustained commands per second (token bucket refill rate; 3000 beyond).
    public var commandRate: Int
    /// Commands allowed in a burst (token bucket size).
    public var commandBurst: Int
    /// Largest `limit` of a `history` command (1005 beyond).
    public var historyMax: Int
    /// Most rooms a user can be in (2006 beyond).
    public var roomsMax: Int

    /// Creates limits.
    public init(textMax: Int, textMaxBytes: Int = 16_384, commandRate: Int, commandBurst: Int, historyMax: Int, roomsMax: Int) {
        self.textMax = textMax
        self.textMaxBytes = textMaxBytes
        self.commandRate = commandRate
        self.commandBurst = commandBurst
        self.historyMax = historyMax
        self.roomsMax = roomsMax
    }

    /// The protocol's defaults: 4,000 scalars / 16 KiB of text, 10 commands a second with
    /// bursts of 20, history pages of up to 100, 1,000 rooms per user.
    public static let `default` = Limits(
        textMax: 4_000, textMaxBytes: 16_384, commandRate: 10, commandBurst: 20, historyMax: 100, roomsMax: 1_000)

    /// The text part, as the command decoder takes it.
    public var text: TextLimits { TextLimits(maxScalars: textMax, maxBytes: textMaxBytes) }
}
