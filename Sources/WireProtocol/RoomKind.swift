/// What kind of room a room is; fixed when the room is created.
public enum RoomKind: String, Sendable, CaseIterable {
    /// Members talk; followers read.
    case group
    /// Moderators and owners post; everyone else reads.
    case announcement
    /// Two people; the id is `DirectRoom.id(between:and:)` of the pair.
    case direct
}
