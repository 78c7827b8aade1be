/// Per-frame rules of the state machine: control frames, fragmentation, UTF-8 and
/// decompression (RFC 6455 §5.4–5.5, §8.1; RFC 7692 §6).
extension WebSocketConnection {
    /// Handles one complete frame. `validatedPrefix` payload bytes were already checked
    /// as UTF-8 while the frame was still arriving.
    mutating func handle(
        _ frame: WebSocketFrame, validatedPrefix: Int, into actions: inout [WebSocketAction]
    ) throws(WebSocketError) {
        switch frame.opcode {
        case .ping:
            // Answered at once, even between fragments (§5.4). After our close we only
            // wait for the peer's close, so pings are no longer answered.
            if state == .open { actions.append(.sendFrame(.pong, frame.payload)) }
        case .pong:
            break  // unsolicited pongs are allowed and need no answer (§5.5.3)
        case .close:
            try handleClose(frame.payload, into: &actions)
        case .text, .binary, .continuation:
            // After our close frame, data is dropped unread (§5.5.1 lets us stop processing).
            guard state == .open else { return }
            try handleData(frame, validatedPrefix: validatedPrefix, into: &actions)
        }
    }

    private mutating func handleData(
        _ frame: WebSocketFrame, validatedPrefix: Int, into actions: inout [WebSocketAction]
    ) throws(WebSocketError) {
        if frame.opcode == .continuation {
            guard messageOpcode != nil else { throw .unexpectedContinuation }
        } else {
            guard messageOpcode == nil else { throw .expectedContinuation }
            messageOpcode = frame.opcode
            messageCompressed = frame.rsv1
        }
        let isText = messageOpcode == .text

        if messageCompressed {
            try inflate(frame.payload, isFinal: frame.fin, isText: isText)
        } else {
            // The decoder already enforces the budget at the header; this is the invariant.
            guard messageBuffer.count + frame.payload.count <= configuration.maxMessageSize else {
                throw .messageTooBig
            }
            if isText {
                let valid = frame.payload.withUnsafeBytes { raw in
                    utf8.validate(UnsafeRawBufferPointer(rebasing: raw[min(validatedPrefix, raw.count)...]))
                }
                guard valid else { throw .invalidUTF8 }
            }
            if frame.fin && messageBuffer.isEmpty {
                // Unfragmented (or empty-prefix) message: hand over the frame's own array.
                try completeMessage(frame.payload, into: &actions)
                return
            }
            if messageBuffer.isEmpty {
                messageBuffer = frame.payload
            } else {
                messageBuffer.append(contentsOf: frame.payload)
            }
        }

        if frame.fin {
            let payload = messageBuffer
            messageBuffer = []
            try completeMessage(payload, into: &actions)
        } else {
            // Narrow what the next uncompressed fragment may declare; compressed fragments
            // are bounded by their inflated size instead.
            decoder.messageBudget = messageCompressed ? .max : configuration.maxMessageSize - messageBuffer.count
        }
    }

    private mutating func completeMessage(_ payload: [UInt8], into actions: inout [WebSocketAction]) throws(WebSocketError) {
        guard let opcode = messageOpcode else { throw .unexpectedContinuation }
        if opcode == .text && !utf8.finish() { throw .invalidUTF8 }
        resetMessage()
        actions.append(.message(opcode, payload))
    }

    /// Inflates one frame of a compressed message into `messageBuffer`, validating the new
    /// output as UTF-8 for text so an invalid message fails before its last frame.
    private mutating func inflate(_ payload: [UInt8], isFinal: Bool, isText: Bool) throws(WebSocketError) {
        guard let codec else { throw .reservedBitsSet }  // unreachable: RSV1 needs deflate
        let inflater: DeflateCodec
        if ownsCodec {
            inflater = codec
        } else if let fragmentInflater {
            inflater = fragmentInflater
        } else if isFinal {
            // A single-frame message starts and ends inside this call, so the shared
            // codec is back in its initial state before anyone else uses it.
            inflater = codec
        } else {
            let own = DeflateCodec(parameters: .init(decompressWindowBits: codec.decompressWindowBits))
            fragmentInflater = own
            inflater = own
        }
        let start = messageBuffer.count
        let limit = compressedMessageLimit
        let failure = payload.withUnsafeBytes { raw -> WebSocketError? in
            do throws(WebSocketError) {
                try inflater.decompress(raw, isFinal: isFinal, appendingTo: &messageBuffer, maxSize: limit)
                return nil
            } catch {
                return error
            }
        }
        if let failure { throw failure }
        if isText && messageBuffer.count > start {
            let valid = messageBuffer.withUnsafeBytes { raw in
                utf8.validate(UnsafeRawBufferPointer(rebasing: raw[start...]))
            }
            guard valid else { throw .invalidUTF8 }
        }
    }

    /// Validates the arrived part of an incomplete uncompressed text frame, so invalid
    /// UTF-8 fails the connection before the rest of the frame is sent (Autobahn 6.4.3/6.4.4).
    mutating func validatePendingText() throws(WebSocketError) {
        guard let header = decoder.pendingHeader, !header.rsv1 else { return }
        let isText: Bool
        switch header.opcode {
        case .text: isText = messageOpcode == nil
        case .continuation: isText = messageOpcode == .text && !messageCompressed
        default: isText = false
        }
        guard isText else { return }
        guard decoder.validatePendingPayload(with: &utf8) else { throw .invalidUTF8 }
        pendingValidated = decoder.pendingUnmasked
    }

    /// Close frame rules (§5.5.1, §7.4): empty is fine, one byte is not, the code must be
    /// valid on the wire and the reason valid UTF-8. A valid close is echoed with its code.
    private mutating func handleClose(_ payload: [UInt8], into actions: inout [WebSocketAction]) throws(WebSocketError) {
        var code: UInt16? = nil
        if payload.count == 1 { throw .invalidClosePayload }
        if payload.count >= 2 {
            let received = UInt16(payload[0]) << 8 | UInt16(payload[1])
            guard CloseCode.isValidReceived(received) else { throw .invalidCloseCode(received) }
            code = received
            var reason = UTF8Validator()
            let valid = payload.withUnsafeBytes { raw in
                reason.validate(UnsafeRawBufferPointer(rebasing: raw[2...])) && reason.finish()
            }
            guard valid else { throw .invalidUTF8 }
        }
        switch state {
        case .open:
            actions.append(.sendClose(code: code, reason: ""))
            actions.append(.closeTransport)
        case .closeSent:
            actions.append(.closeTransport)
        case .closed:
            break
        }
        state = .closed
    }
}
