/// Incremental frame decoder: bytes in, validated and unmasked frames out.
///
/// A value type with no I/O. Bytes that do not yet form a whole frame are kept in an
/// internal buffer, which is released as soon as everything in it has been consumed, so
/// an idle decoder holds no heap memory.
public struct FrameDecoder: Sendable {
    /// Largest accepted payload of a single frame; larger declared lengths fail with 1009.
    public let maxFramePayload: Int
    /// Server side: frames must be masked (RFC 6455 §5.1).
    public let requireMasked: Bool
    /// Client side: frames must not be masked (RFC 6455 §5.1).
    public let rejectMasked: Bool
    /// RSV1 is legal on first data frames (permessage-deflate negotiated).
    public let allowRSV1: Bool

    /// Remaining size allowed for the uncompressed message in progress. Set by
    /// WebSocketConnection so oversized messages fail at the frame header.
    var messageBudget: Int = .max

    /// Unconsumed input; bytes before `readIndex` are already decoded.
    private var buffer: [UInt8] = []
    private var readIndex = 0
    /// Payload bytes of the incomplete frame at `readIndex` that were already unmasked
    /// in place (see `validatePendingPayload`). Reset whenever a frame is completed.
    private(set) var pendingUnmasked = 0

    /// Creates a decoder.
    /// - Parameters:
    ///   - maxFramePayload: largest accepted frame payload in bytes.
    ///   - requireMasked: true on a server: unmasked frames fail with 1002. When false,
    ///     masked and unmasked frames are both accepted.
    ///   - allowRSV1: true when permessage-deflate was negotiated.
    public init(maxFramePayload: Int, requireMasked: Bool, allowRSV1: Bool) {
        self.maxFramePayload = maxFramePayload
        self.requireMasked = requireMasked
        self.rejectMasked = false
        self.allowRSV1 = allowRSV1
    }

    /// Creates a decoder with the masking rule of `role`: a server requires masked
    /// frames, a client rejects them.
    public init(maxFramePayload: Int, role: WebSocketRole, allowRSV1: Bool) {
        self.maxFramePayload = maxFramePayload
        self.requireMasked = role == .server
        self.rejectMasked = role == .client
        self.allowRSV1 = allowRSV1
    }

    /// Bytes received but not yet returned as frames.
    public var bufferedByteCount: Int { buffer.count - readIndex }

    /// Whether the decoder currently owns heap storage (false when idle).
    public var holdsStorage: Bool { buffer.capacity > 0 }

    private var rules: FrameRules {
        FrameRules(
            maxFramePayload: maxFramePayload, messageBudget: messageBudget,
            requireMasked: requireMasked, rejectMasked: rejectMasked, allowRSV1: allowRSV1)
    }

    /// Appends received bytes; call `next()` until it returns nil.
    public mutating func feed(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        if readIndex > 0 {
            // Compact before growing so the buffer holds at most one partial frame plus input.
            buffer.removeSubrange(0..<readIndex)
            readIndex = 0
        }
        buffer.append(contentsOf: bytes)
    }

    /// Returns the next complete frame, nil if more bytes are needed, or throws on a
    /// protocol violation (detected from the header, before the payload arrives).
    public mutating func next() throws(WebSocketError) -> WebSocketFrame? {
        guard readIndex < buffer.count else { return nil }
        let start = readIndex
        let unmasked = pendingUnmasked
        let rules = self.rules
        // withUnsafeBytes is not typed-throws, so the error travels out as a Result.
        let result = buffer.withUnsafeBytes { raw -> Result<(WebSocketFrame, Int)?, WebSocketError> in
            do throws(WebSocketError) {
                return .success(try Self.extract(
                    from: UnsafeRawBufferPointer(rebasing: raw[start...]), rules: rules, alreadyUnmasked: unmasked))
            } catch {
                return .failure(error)
            }
        }
        guard let (frame, consumed) = try result.get() else { return nil }
        readIndex += consumed
        pendingUnmasked = 0
        if readIndex == buffer.count {
            // Release, not just clear: idle connections must hold no decoder memory.
            buffer = []
            readIndex = 0
        }
        return frame
    }

    /// Decodes directly from `input` starting at `consumed`, without copying whole frames
    /// into the internal buffer: the fast path used by WebSocketConnection.
    ///
    /// Equivalent to `feed` of the unconsumed input followed by `next()`. Returns nil when
    /// the remaining input is an incomplete frame (it is then buffered and `consumed`
    /// becomes `input.count`).
    public mutating func next(from input: UnsafeRawBufferPointer, consumed: inout Int) throws(WebSocketError)
        -> WebSocketFrame?
    {
        let start = min(max(consumed, 0), input.count)
        if readIndex < buffer.count {
            // A frame straddles reads: finish it (and any frames after it) from the buffer.
            if start < input.count {
                feed(UnsafeRawBufferPointer(rebasing: input[start...]))
                consumed = input.count
            }
            return try next()
        }
        guard start < input.count else { return nil }
        let rest = UnsafeRawBufferPointer(rebasing: input[start...])
        if let (frame, length) = try Self.extract(from: rest, rules: rules, alreadyUnmasked: 0) {
            consumed = start + length
            return frame
        }
        feed(rest)
        consumed = input.count
        return nil
    }

    /// Header of the incomplete frame at the front of the buffer, once its header is whole.
    var pendingHeader: FrameHeader? {
        guard readIndex < buffer.count else { return nil }
        let rules = self.rules
        let start = readIndex
        return buffer.withUnsafeBytes { raw in
            try? FrameHeader.parse(UnsafeRawBufferPointer(rebasing: raw[start...]), rules: rules)
        }
    }

    /// Unmasks, in place, the payload bytes of the incomplete pending frame that arrived
    /// since the last call and feeds them to `validator`, so a text frame can fail at its
    /// first invalid byte before the frame is complete. Returns the validator's verdict.
    mutating func validatePendingPayload(with validator: inout UTF8Validator) -> Bool {
        guard let header = pendingHeader else { return true }
        let available = min(buffer.count - readIndex - header.headerLength, header.payloadLength)
        let from = pendingUnmasked
        guard available > from else { return true }
        let payloadStart = readIndex + header.headerLength
        let ok = buffer.withUnsafeMutableBytes { raw -> Bool in
            guard let base = raw.baseAddress else { return true }
            let chunk = base + payloadStart + from
            if let key = header.maskKey {
                Masking.apply(key: key, phase: from, from: UnsafeRawPointer(chunk), to: chunk, count: available - from)
            }
            return validator.validate(UnsafeRawBufferPointer(start: chunk, count: available - from))
        }
        pendingUnmasked = available
        return ok
    }

    /// Parses one whole frame from the start of `bytes`, copying and unmasking its payload.
    /// The first `alreadyUnmasked` payload bytes were unmasked in place earlier.
    private static func extract(
        from bytes: UnsafeRawBufferPointer, rules: FrameRules, alreadyUnmasked: Int
    ) throws(WebSocketError) -> (WebSocketFrame, Int)? {
        guard let header = try FrameHeader.parse(bytes, rules: rules),
              bytes.count >= header.frameLength
        else { return nil }
        let length = header.payloadLength
        var payload: [UInt8] = []
        if length > 0, let base = bytes.baseAddress {
            let source = base + header.headerLength
            payload = [UInt8](unsafeUninitializedCapacity: length) { out, initialized in
                guard let destination = out.baseAddress else { return }
                if let key = header.maskKey {
                    let plain = min(alreadyUnmasked, length)
                    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: plain)
                    Masking.apply(
                        key: key, phase: plain, from: source + plain,
                        to: UnsafeMutableRawPointer(destination + plain), count: length - plain)
                } else {
                    UnsafeMutableRawPointer(destination).copyMemory(from: source, byteCount: length)
                }
                initialized = length
            }
        }
        let frame = WebSocketFrame(fin: header.fin, rsv1: header.rsv1, opcode: header.opcode, payload: payload)
        return (frame, header.frameLength)
    }
}
