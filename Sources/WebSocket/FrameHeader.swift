/// The fixed part of a frame (RFC 6455 §5.2), validated against the decoder's rules.
@usableFromInline
struct FrameHeader: Sendable {
    var fin: Bool
    var rsv1: Bool
    var opcode: WebSocketOpcode
    /// Masking key in wire order, nil when the MASK bit is clear.
    var maskKey: (UInt8, UInt8, UInt8, UInt8)?
    /// Bytes taken by the header including extended length and masking key (2...14).
    var headerLength: Int
    /// Declared payload length; already checked against the limits, so it fits in Int.
    var payloadLength: Int

    /// Total frame size on the wire.
    var frameLength: Int { headerLength + payloadLength }
}

/// The rules a header is checked against; bundled so parsing is a static function.
@usableFromInline
struct FrameRules: Sendable {
    var maxFramePayload: Int
    /// Bytes still allowed for the current uncompressed message; the connection narrows it.
    var messageBudget: Int
    var requireMasked: Bool
    var rejectMasked: Bool
    var allowRSV1: Bool
}

extension FrameHeader {
    /// Parses a header from the start of `bytes`.
    ///
    /// Returns nil when more bytes are needed. Throws as soon as the bytes present prove
    /// the frame invalid: ordering matters here, since every check runs on the earliest
    /// byte that decides it, a frame that will be rejected is never buffered further.
    @usableFromInline
    static func parse(_ bytes: UnsafeRawBufferPointer, rules: FrameRules) throws(WebSocketError) -> FrameHeader? {
        let available = bytes.count
        guard available >= 1 else { return nil }

        // Byte 0: FIN, RSV1-3, opcode.
        let b0 = bytes[0]
        if b0 & 0x30 != 0 { throw .reservedBitsSet }
        guard let opcode = WebSocketOpcode(rawValue: b0 & 0x0F) else {
            throw .reservedOpcode(b0 & 0x0F)
        }
        let fin = b0 & 0x80 != 0
        let rsv1 = b0 & 0x40 != 0
        // RFC 7692 §6: RSV1 marks the first frame of a compressed message only, so it is
        // wrong on continuation and control frames even when deflate was negotiated.
        if rsv1 && (!rules.allowRSV1 || !(opcode == .text || opcode == .binary)) {
            throw .reservedBitsSet
        }
        if opcode.isControl && !fin { throw .fragmentedControlFrame }
        guard available >= 2 else { return nil }

        // Byte 1: MASK, 7-bit length.
        let b1 = bytes[1]
        let masked = b1 & 0x80 != 0
        if masked {
            if rules.rejectMasked { throw .maskedFrame }
        } else if rules.requireMasked {
            throw .unmaskedFrame
        }
        let shortLength = b1 & 0x7F
        if opcode.isControl && shortLength > 125 { throw .controlFrameTooLarge }

        // Extended length. Non-minimal encodings (e.g. 5 in 16 bits) are accepted: RFC 6455
        // states the minimal form as a sender rule, and Autobahn does not test rejection.
        var offset = 2
        var length = UInt64(shortLength)
        if shortLength == 126 {
            guard available >= 4 else { return nil }
            length = UInt64(bytes[2]) << 8 | UInt64(bytes[3])
            offset = 4
        } else if shortLength == 127 {
            guard available >= 10 else { return nil }
            length = 0
            for i in 2..<10 { length = length << 8 | UInt64(bytes[i]) }
            if length & (1 << 63) != 0 { throw .invalidPayloadLength }
            offset = 10
        }
        // Both limits are checked before any payload is buffered.
        if length > UInt64(max(rules.maxFramePayload, 0)) { throw .frameTooBig }
        if !opcode.isControl && !rsv1 && length > UInt64(max(rules.messageBudget, 0)) {
            throw .messageTooBig
        }

        var key: (UInt8, UInt8, UInt8, UInt8)? = nil
        if masked {
            guard available >= offset + 4 else { return nil }
            key = (bytes[offset], bytes[offset + 1], bytes[offset + 2], bytes[offset + 3])
            offset += 4
        }
        return FrameHeader(
            fin: fin, rsv1: rsv1, opcode: opcode, maskKey: key,
            headerLength: offset, payloadLength: Int(length))
    }
}
