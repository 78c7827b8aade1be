/// Bounds on what `JSONParser` accepts, so that a hostile input costs bounded memory and time.
///
/// Every limit is checked while parsing, before the offending value is built.
public struct JSONLimits: Sendable, Equatable {
    /// Largest accepted input, in bytes.
    public var maxBytes: Int
    /// Deepest accepted nesting of arrays and objects (a top-level object is depth 1).
    /// The parser recurses once per level, so this also bounds its stack use.
    public var maxDepth: Int
    /// Longest accepted string (keys included), in UTF-8 bytes after unescaping.
    public var maxStringBytes: Int
    /// Most elements accepted in one array.
    public var maxArrayCount: Int
    /// Most members accepted in one object.
    public var maxObjectCount: Int

    /// Creates limits.
    public init(maxBytes: Int, maxDepth: Int, maxStringBytes: Int, maxArrayCount: Int, maxObjectCount: Int) {
        self.maxBytes = maxBytes
        self.maxDepth = maxDepth
        self.maxStringBytes = maxStringBytes
        self.maxArrayCount = maxArrayCount
        self.maxObjectCount = maxObjectCount
    }

    /// Limits for one client command: a chat frame is at most 64 KiB, so nothing in it can be
    /// longer; 10,000 array elements leave room for a `connect` with a position per room.
    public static let `default` = JSONLimits(
        maxBytes: 65_536, maxDepth: 32, maxStringBytes: 65_536, maxArrayCount: 10_000, maxObjectCount: 1_000)

    /// Limits for frames a client receives from a server: a `connect` reply lists up to
    /// `roomsMax` rooms and a history page carries up to 100 messages of 16 KiB each.
    public static let serverFrame = JSONLimits(
        maxBytes: 16 << 20, maxDepth: 32, maxStringBytes: 1 << 20, maxArrayCount: 100_000, maxObjectCount: 1_000)
}
