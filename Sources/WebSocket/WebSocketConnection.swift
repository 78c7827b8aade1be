/// The per-connection protocol state machine: bytes in, `WebSocketAction`s out. No I/O.
///
/// Feed every read to `receive(_:into:)` and perform the appended actions in order. After
/// the connection failed or the close handshake finished, further bytes are ignored. An
/// idle connection (no partial frame or message) owns no heap storage besides the codec
/// it was given.
public struct WebSocketConnection {
    /// Lifecycle of the close handshake.
    public enum State: Sendable, Equatable {
        /// Messages flow both ways.
        case open
        /// This side sent a close frame and waits for the peer's; data is ignored.
        case closeSent
        /// Close handshake finished or connection failed; input is ignored.
        case closed
    }

    /// The limits this connection enforces.
    public let configuration: WebSocketConfiguration
    /// The negotiated permessage-deflate parameters, nil without compression. Its
    /// `responseHeaderValue` is not kept (empty): that string is heap storage every idle
    /// connection would otherwise carry, and the handshake is over once this exists.
    public let deflate: NegotiatedDeflate?
    /// The codec used for this connection (shared or private), nil without compression.
    public let codec: DeflateCodec?
    /// Current handshake state.
    public internal(set) var state: State = .open

    /// True when `codec` is this connection's alone, so a fragmented message may be
    /// inflated frame by frame through it across `receive` calls.
    let ownsCodec: Bool
    var decoder: FrameDecoder
    /// Opcode of the fragmented message in progress (.text or .binary), nil between messages.
    var messageOpcode: WebSocketOpcode?
    /// The message in progress started with RSV1.
    var messageCompressed = false
    /// Fragments (or inflated output) collected so far; released when the message ends.
    var messageBuffer: [UInt8] = []
    /// Validates the text message in progress fragment by fragment.
    var utf8 = UTF8Validator()
    /// Inflater owned for the duration of one fragmented compressed message when `codec`
    /// may be shared: its stream state must survive between frames, which a shared
    /// instance cannot promise.
    var fragmentInflater: DeflateCodec?
    /// Payload bytes of the still incomplete frame that were already UTF-8 validated.
    var pendingValidated = 0

    /// Creates a connection after a successful handshake.
    /// - Parameters:
    ///   - configuration: limits and role.
    ///   - deflate: the result of `PerMessageDeflate.negotiate`, nil without compression.
    ///   - codec: a codec to use, typically the event loop's shared one. It is used only if
    ///     it can serve these parameters (`DeflateCodec.canServe`) or is a codec keeping
    ///     context as the peer requires; otherwise (or when nil) the connection creates
    ///     its own.
    public init(configuration: WebSocketConfiguration = WebSocketConfiguration(),
                deflate: NegotiatedDeflate? = nil, codec: DeflateCodec? = nil) {
        self.configuration = configuration
        self.deflate = deflate.map { negotiated in
            var kept = negotiated
            kept.responseHeaderValue = ""
            return kept
        }
        if let deflate {
            let role = configuration.role
            let server = role == .server
            let peerNoTakeover = server ? deflate.clientNoContextTakeover : deflate.serverNoContextTakeover
            let peerBits = server ? deflate.clientMaxWindowBits : deflate.serverMaxWindowBits
            if let codec, codec.canServe(deflate, role: role) {
                self.codec = codec
                self.ownsCodec = false
            } else if let codec, !peerNoTakeover, !codec.decompressNoContextTakeover,
                      codec.decompressWindowBits >= peerBits {
                // A codec that keeps context is by contract private to one connection.
                self.codec = codec
                self.ownsCodec = true
            } else {
                self.codec = DeflateCodec(negotiated: deflate, role: role)
                self.ownsCodec = true
            }
        } else {
            self.codec = nil
            self.ownsCodec = false
        }
        var decoder = FrameDecoder(
            maxFramePayload: configuration.maxFramePayload, role: configuration.role,
            allowRSV1: deflate != nil)
        decoder.messageBudget = configuration.maxMessageSize
        self.decoder = decoder
    }

    /// Whether the connection holds heap memory of its own right now (partial frame,
    /// partial message or a per-message inflater). False for an idle connection.
    public var holdsHeapStorage: Bool {
        decoder.holdsStorage || messageBuffer.capacity > 0 || fragmentInflater != nil
    }

    /// The largest inflated message accepted.
    var compressedMessageLimit: Int {
        min(configuration.maxMessageSize, deflate?.maxDecompressedSize ?? configuration.maxMessageSize)
    }

    /// Processes received bytes and appends the resulting actions in order.
    ///
    /// Everything decoded before an offending byte is delivered first; the failure then
    /// appends `.sendClose` (unless this side already sent one) and `.closeTransport`.
    public mutating func receive(_ bytes: UnsafeRawBufferPointer, into actions: inout [WebSocketAction]) {
        guard state != .closed else { return }
        var consumed = 0
        do throws(WebSocketError) {
            while state != .closed, let frame = try decoder.next(from: bytes, consumed: &consumed) {
                let validated = pendingValidated
                pendingValidated = 0
                try handle(frame, validatedPrefix: validated, into: &actions)
            }
            if state == .open { try validatePendingText() }
        } catch {
            fail(error, into: &actions)
        }
        if state == .closed { releaseStorage() }
    }

    /// Starts a close handshake from this side (going away, idle timeout, slow consumer):
    /// appends `.sendClose`. Afterwards data frames are ignored and the peer's close frame
    /// yields `.closeTransport`; the caller should also close on a timeout. No-op unless open.
    public mutating func initiateClose(code: UInt16, reason: String, into actions: inout [WebSocketAction]) {
        guard state == .open else { return }
        state = .closeSent
        resetMessage()
        let reasonBytes = FrameEncoder.truncatedReason(reason)
        actions.append(.sendClose(code: code, reason: String(decoding: reasonBytes, as: UTF8.self)))
    }

    /// Array-returning form of `initiateClose(code:reason:into:)`.
    public mutating func initiateClose(code: UInt16 = CloseCode.goingAway, reason: String = "") -> [WebSocketAction] {
        var actions: [WebSocketAction] = []
        initiateClose(code: code, reason: reason, into: &actions)
        return actions
    }

    /// Tells the state machine the transport is gone; frees everything it holds.
    public mutating func transportClosed() {
        state = .closed
        releaseStorage()
    }

    /// Frames an outgoing data message, compressed (RSV1) with this connection's `codec`
    /// when deflate was negotiated and `compress` is true. With context takeover, frames
    /// must be sent in the order built.
    public func encodeMessage(
        _ opcode: WebSocketOpcode, _ payload: UnsafeRawBufferPointer, compress: Bool = true,
        maskingKey: (UInt8, UInt8, UInt8, UInt8)? = nil
    ) -> [UInt8] {
        guard compress, let codec else {
            return FrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: maskingKey)
        }
        let compressed = codec.compress(payload)
        return FrameEncoder.encode(opcode: opcode, payload: compressed, rsv1: true, maskingKey: maskingKey)
    }

    /// Fails the connection: close frame with the error's code (unless one was already
    /// sent), then close the transport.
    mutating func fail(_ error: WebSocketError, into actions: inout [WebSocketAction]) {
        switch state {
        case .open:
            actions.append(.sendClose(code: error.closeCode, reason: error.reason))
            actions.append(.closeTransport)
        case .closeSent:
            actions.append(.closeTransport)
        case .closed:
            break
        }
        state = .closed
    }

    /// Ends the message in progress and lets go of its storage.
    mutating func resetMessage() {
        messageOpcode = nil
        messageCompressed = false
        messageBuffer = []
        utf8.reset()
        fragmentInflater = nil
        decoder.messageBudget = configuration.maxMessageSize
    }

    private mutating func releaseStorage() {
        resetMessage()
        pendingValidated = 0
        decoder = FrameDecoder(
            maxFramePayload: configuration.maxFramePayload, role: configuration.role,
            allowRSV1: deflate != nil)
    }
}
