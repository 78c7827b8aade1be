/// Where a client is in a room's log: the last event it received in order.
///
/// Sent back in `connect` to recover what was missed. An `epoch` different from the room's
/// current one means the log was recreated; the answer is then `recovered: false`.
public struct Position: Equatable, Sendable {
    /// The room id.
    public var room: String
    /// The room log's epoch the id belongs to.
    public var epoch: String
    /// The id of the last event received.
    public var id: String

    /// Creates a position.
    public init(room: String, epoch: String, id: String) {
        self.room = room
        self.epoch = epoch
        self.id = id
    }
}
