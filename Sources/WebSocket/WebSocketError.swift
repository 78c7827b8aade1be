/// Every way a peer can break the protocol, each mapped to the close code the
/// connection answers with. One closed enum so callers can switch exhaustively.
public enum WebSocketError: Error, Equatable, Sendable {
    /// A client frame without the MASK bit (server side).
    case unmaskedFrame
    /// A server frame with the MASK bit (client side).
    case maskedFrame
    /// RSV2/RSV3 set, RSV1 without permessage-deflate, or RSV1 on a continuation or control frame.
    case reservedBitsSet
    /// Opcode 3–7 or 11–15.
    case reservedOpcode(UInt8)
    /// A control frame with FIN clear.
    case fragmentedControlFrame
    /// A control frame payload above 125 bytes.
    case controlFrameTooLarge
    /// A 64-bit payload length with the most significant bit set.
    case invalidPayloadLength
    /// A frame payload above the configured per-frame limit.
    case frameTooBig
    /// A message above the configured per-message limit (counted while it arrives).
    case messageTooBig
    /// A continuation frame with no fragmented message in progress.
    case unexpectedContinuation
    /// A text or binary frame while a fragmented message is still open.
    case expectedContinuation
    /// A text message (or close reason) that is not valid UTF-8.
    case invalidUTF8
    /// A close frame whose payload is exactly one byte.
    case invalidClosePayload
    /// A close frame with a status code RFC 6455 §7.4 forbids on the wire.
    case invalidCloseCode(UInt16)
    /// A compressed message that zlib rejects.
    case invalidCompressedData
    /// zlib failed for a reason that is not the peer's fault (e.g. out of memory).
    case compressionFailure

    /// The close code to send when failing the connection for this error.
    public var closeCode: UInt16 {
        switch self {
        case .unmaskedFrame, .maskedFrame, .reservedBitsSet, .reservedOpcode,
             .fragmentedControlFrame, .controlFrameTooLarge, .invalidPayloadLength,
             .unexpectedContinuation, .expectedContinuation, .invalidClosePayload,
             .invalidCloseCode:
            return CloseCode.protocolError
        case .frameTooBig, .messageTooBig:
            return CloseCode.messageTooBig
        case .invalidUTF8, .invalidCompressedData:
            return CloseCode.invalidPayload
        case .compressionFailure:
            return CloseCode.internalError
        }
    }

    /// A short ASCII reason for the close frame (always well under the 123-byte limit).
    public var reason: String {
        switch self {
        case .unmaskedFrame: return "unmasked client frame"
        case .maskedFrame: return "masked server frame"
        case .reservedBitsSet: return "reserved bits set"
        case .reservedOpcode: return "reserved opcode"
        case .fragmentedControlFrame: return "fragmented control frame"
        case .controlFrameTooLarge: return "control frame too large"
        case .invalidPayloadLength: return "invalid payload length"
        case .frameTooBig: return "frame too big"
        case .messageTooBig: return "message too big"
        case .unexpectedContinuation: return "unexpected continuation frame"
        case .expectedContinuation: return "expected continuation frame"
        case .invalidUTF8: return "invalid UTF-8"
        case .invalidClosePayload: return "invalid close payload"
        case .invalidCloseCode: return "invalid close code"
        case .invalidCompressedData: return "invalid compressed data"
        case .compressionFailure: return "compression failure"
        }
    }
}
