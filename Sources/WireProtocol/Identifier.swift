/// The syntax of the protocol's identifiers. All of them are ASCII, so their lengths in
/// characters and in bytes agree.
///
/// | kind | rule |
/// | --- | --- |
/// | user id | `[A-Za-z0-9_.@-]{1,128}` |
/// | room id | `[A-Za-z0-9_.:|@-]{1,128}`, or a direct room id `dm:<a>|<b>` (see `DirectRoom`) |
/// | event id, epoch | opaque: 1–64 printable ASCII characters (U+0021–U+007E) |
/// | command id, cmid | 1–64 printable ASCII characters (U+0021–U+007E) |
/// | client name | 1–64 ASCII characters U+0020–U+007E |
public enum Identifier {
    /// Longest user id and (non-direct) room id.
    public static let maxNameLength = 128
    /// Longest event id, epoch, command id and cmid.
    public static let maxTokenLength = 64

    /// Whether `text` is a valid user id.
    public static func isUserID(_ text: String) -> Bool {
        matches(text, maxLength: maxNameLength, allowed: isUserByte)
    }

    /// Whether `text` is a valid room id. Ids that start with `dm:` are reserved for direct
    /// rooms and must be exactly `DirectRoom.id(between:and:)` of two valid, different users.
    public static func isRoomID(_ text: String) -> Bool {
        if text.utf8.starts(with: DirectRoom.prefix.utf8) {
            return DirectRoom.participants(of: text) != nil
        }
        return matches(text, maxLength: maxNameLength, allowed: isRoomByte)
    }

    /// Whether `text` is a valid event id or epoch (opaque server strings).
    public static func isOpaqueID(_ text: String) -> Bool {
        matches(text, maxLength: maxTokenLength, allowed: isVisibleASCII)
    }

    /// Whether `text` is a valid command id or client message id (cmid).
    public static func isClientToken(_ text: String) -> Bool {
        matches(text, maxLength: maxTokenLength, allowed: isVisibleASCII)
    }

    /// Whether `text` is a valid client name (`"rally-js/1.4.2"`).
    public static func isClientName(_ text: String) -> Bool {
        matches(text, maxLength: maxTokenLength, allowed: { $0 >= 0x20 && $0 <= 0x7E })
    }

    // MARK: - Bytes

    static func matches(_ text: String, maxLength: Int, allowed: (UInt8) -> Bool) -> Bool {
        let utf8 = text.utf8
        guard !utf8.isEmpty, utf8.count <= maxLength else { return false }
        return utf8.allSatisfy(allowed)
    }

    static func isUserByte(_ byte: UInt8) -> Bool {
        switch byte {
        case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
             UInt8(ascii: "0")...UInt8(ascii: "9"),
             UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "-"):
            return true
        default:
            return false
        }
    }

    static func isRoomByte(_ byte: UInt8) -> Bool {
        isUserByte(byte) || byte == UInt8(ascii: ":") || byte == UInt8(ascii: "|")
    }

    static func isVisibleASCII(_ byte: UInt8) -> Bool {
        byte >= 0x21 && byte <= 0x7E
    }
}
