/// Close status codes (RFC 6455 §7.4) as plain `UInt16` constants, because the
/// wire carries arbitrary 16-bit values that must be checked, not just the named ones.
public enum CloseCode {
    /// 1000: normal closure.
    public static let normal: UInt16 = 1000
    /// 1001: endpoint going away (server shutdown, page navigation).
    public static let goingAway: UInt16 = 1001
    /// 1002: protocol error.
    public static let protocolError: UInt16 = 1002
    /// 1003: unsupported data type.
    public static let unsupportedData: UInt16 = 1003
    /// 1005: no status code was present. Reserved for reporting; never sent on the wire
    /// (`FrameEncoder.closePayload` turns it into an empty payload).
    public static let noStatusReceived: UInt16 = 1005
    /// 1007: payload inconsistent with the message type (e.g. invalid UTF-8).
    public static let invalidPayload: UInt16 = 1007
    /// 1008: policy violation.
    public static let policyViolation: UInt16 = 1008
    /// 1009: message too big to process.
    public static let messageTooBig: UInt16 = 1009
    /// 1011: unexpected condition inside the server.
    public static let internalError: UInt16 = 1011

    /// Whether a code received in a peer's close frame is acceptable (RFC 6455 §7.4.1/§7.4.2).
    ///
    /// Valid: 1000–1003, 1007–1014, 3000–4999. 1012 (service restart), 1013 (try again
    /// later) and 1014 (bad gateway) are IANA-registered since RFC 6455 and the current
    /// Autobahn case 7.9.X list of invalid codes (0, 999, 1004, 1005, 1006, 1016, 1100,
    /// 2000, 2999) no longer includes them, so they are accepted.
    /// Invalid: 0–999, 1004 (reserved), 1005/1006/1015 (must never appear on the wire),
    /// 1016–2999 (unassigned protocol range) and 5000 and above.
    public static func isValidReceived(_ code: UInt16) -> Bool {
        switch code {
        case 1000...1003, 1007...1014, 3000...4999:
            return true
        default:
            return false
        }
    }
}
