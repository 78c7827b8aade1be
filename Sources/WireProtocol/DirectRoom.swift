/// The id of the direct room between two users: `dm:<a>|<b>` with `a < b` in byte order.
///
/// Both sides derive the same id from the pair, so a direct room needs no lookup table and
/// cannot exist twice. User ids contain neither `:` nor `|`, so the id splits back into its
/// two users unambiguously. A direct room id can be up to 3 + 128 + 1 + 128 = 260 bytes:
/// the 128-byte limit of room ids applies to the other kinds.
public enum DirectRoom {
    /// The prefix every direct room id starts with (and no other room id may).
    public static let prefix = "dm:"

    /// The direct room id for two users, whichever order they are given in.
    ///
    /// Order is by UTF-8 bytes, not by Swift's `String` comparison (which follows Unicode
    /// canonical ordering): every implementation in every language must agree on it.
    public static func id(between first: String, and second: String) -> String {
        let firstLower = first.utf8.lexicographicallyPrecedes(second.utf8)
        let (low, high) = firstLower ? (first, second) : (second, first)
        return prefix + low + "|" + high
    }

    /// The two users of a direct room id, lowest first; nil unless `roomID` is exactly the
    /// id `id(between:and:)` gives for two valid, different user ids.
    public static func participants(of roomID: String) -> (String, String)? {
        let utf8 = Array(roomID.utf8)
        let prefixBytes = Array(prefix.utf8)
        guard utf8.starts(with: prefixBytes) else { return nil }
        let rest = utf8[prefixBytes.count...]
        guard let bar = rest.firstIndex(of: UInt8(ascii: "|")) else { return nil }
        let low = String(decoding: rest[..<bar], as: UTF8.self)
        let high = String(decoding: rest[(bar + 1)...], as: UTF8.self)
        guard Identifier.isUserID(low), Identifier.isUserID(high),
              low.utf8.lexicographicallyPrecedes(high.utf8)
        else { return nil }
        return (low, high)
    }

    /// The other participant of a direct room, seen from `user`; nil if `user` is not in it.
    public static func peer(of user: String, in roomID: String) -> String? {
        guard let (low, high) = participants(of: roomID) else { return nil }
        if user == low { return high }
        if user == high { return low }
        return nil
    }
}
