/// Builds frames for sending. Server frames are unmasked; clients pass a masking key.
///
/// `encode` returns one array holding header and payload, so a broadcast can encode a
/// frame once and hand the same (copy-on-write shared) array to every recipient.
/// `encodeHeader` writes only the header into caller storage, for vectored writes.
public enum FrameEncoder {
    /// Largest close reason in bytes: 125-byte control payload minus the 2-byte code.
    public static let maxCloseReasonBytes = 123

    /// Header size in bytes for a payload of `payloadLength` bytes (2, 4 or 10, plus 4 if masked).
    @inlinable
    public static func headerSize(payloadLength: Int, masked: Bool) -> Int {
        let base: Int
        if payloadLength < 126 {
            base = 2
        } else if payloadLength <= 0xFFFF {
            base = 4
        } else {
            base = 10
        }
        return masked ? base + 4 : base
    }

    /// Writes a frame header into `buffer` and returns the number of bytes written, or 0
    /// if `buffer` is shorter than `headerSize(payloadLength:masked:)` or the length is negative.
    /// Always uses the minimal length encoding (RFC 6455 §5.2).
    @discardableResult
    public static func encodeHeader(
        into buffer: UnsafeMutableRawBufferPointer,
        opcode: WebSocketOpcode,
        payloadLength: Int,
        fin: Bool = true,
        rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> Int {
        let size = headerSize(payloadLength: payloadLength, masked: maskingKey != nil)
        guard payloadLength >= 0, buffer.count >= size else { return 0 }
        buffer[0] = (fin ? 0x80 : 0) | (rsv1 ? 0x40 : 0) | opcode.rawValue
        let maskBit: UInt8 = maskingKey != nil ? 0x80 : 0
        var offset: Int
        if payloadLength < 126 {
            buffer[1] = maskBit | UInt8(payloadLength)
            offset = 2
        } else if payloadLength <= 0xFFFF {
            buffer[1] = maskBit | 126
            buffer[2] = UInt8(truncatingIfNeeded: payloadLength >> 8)
            buffer[3] = UInt8(truncatingIfNeeded: payloadLength)
            offset = 4
        } else {
            buffer[1] = maskBit | 127
            let length = UInt64(payloadLength)
            for i in 0..<8 {
                buffer[2 + i] = UInt8(truncatingIfNeeded: length >> UInt64(56 - 8 * i))
            }
            offset = 10
        }
        if let key = maskingKey {
            buffer[offset] = key.0
            buffer[offset + 1] = key.1
            buffer[offset + 2] = key.2
            buffer[offset + 3] = key.3
            offset += 4
        }
        return offset
    }

    /// Encodes a whole frame (header + payload, masked when a key is given) into one allocation.
    public static func encode(
        opcode: WebSocketOpcode,
        payload: UnsafeRawBufferPointer,
        fin: Bool = true,
        rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        let length = payload.count
        let total = headerSize(payloadLength: length, masked: maskingKey != nil) + length
        return [UInt8](unsafeUninitializedCapacity: total) { out, initialized in
            let raw = UnsafeMutableRawBufferPointer(out)
            let header = encodeHeader(
                into: raw, opcode: opcode, payloadLength: length, fin: fin, rsv1: rsv1,
                maskingKey: maskingKey)
            if length > 0, let source = payload.baseAddress, let base = raw.baseAddress {
                let destination = base + header
                if let key = maskingKey {
                    Masking.apply(key: key, from: source, to: destination, count: length)
                } else {
                    destination.copyMemory(from: source, byteCount: length)
                }
            }
            initialized = header + length
        }
    }

    /// Encodes a whole frame from an array payload.
    public static func encode(
        opcode: WebSocketOpcode,
        payload: [UInt8],
        fin: Bool = true,
        rsv1: Bool = false,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        payload.withUnsafeBytes {
            encode(opcode: opcode, payload: $0, fin: fin, rsv1: rsv1, maskingKey: maskingKey)
        }
    }

    /// The payload of a close frame: 2-byte big-endian code plus the reason truncated to
    /// 123 bytes on a character boundary. A nil code, or 1005 (which must never be sent),
    /// yields an empty payload.
    public static func closePayload(code: UInt16?, reason: String) -> [UInt8] {
        guard let code, code != CloseCode.noStatusReceived else { return [] }
        var payload: [UInt8] = [UInt8(code >> 8), UInt8(code & 0xFF)]
        payload.append(contentsOf: truncatedReason(reason))
        return payload
    }

    /// Encodes a complete close frame; see `closePayload(code:reason:)`.
    public static func encodeClose(
        code: UInt16?, reason: String, maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        encode(opcode: .close, payload: closePayload(code: code, reason: reason), maskingKey: maskingKey)
    }

    /// `reason` as UTF-8, cut to at most 123 bytes without splitting a character.
    static func truncatedReason(_ reason: String) -> [UInt8] {
        var bytes = Array(reason.utf8)
        guard bytes.count > maxCloseReasonBytes else { return bytes }
        var end = maxCloseReasonBytes
        // Back up over continuation bytes so the cut lands on a scalar boundary.
        while end > 0 && bytes[end] & 0xC0 == 0x80 { end -= 1 }
        bytes.removeSubrange(end...)
        return bytes
    }
}
