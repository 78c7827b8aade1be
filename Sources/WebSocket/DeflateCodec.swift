import CZlib

/// Raw DEFLATE compressor and decompressor for permessage-deflate (RFC 7692 §7.2).
///
/// Not thread-safe: confine an instance to one event loop. A codec whose both directions
/// reset after every message (the default) holds no per-connection state between
/// messages, so one instance per event loop can serve every connection that negotiated
/// no context takeover (see `canServe(_:role:)`). A connection with context takeover needs
/// its own instance. zlib state is allocated on first use and freed in `deinit`.
public final class DeflateCodec {
    /// What one codec does in each direction. A server compresses the server-to-client
    /// direction and decompresses the client-to-server one; a client the reverse.
    public struct Parameters: Sendable, Equatable {
        /// Agreed window of the direction this codec compresses (8...15; clamped).
        public var compressWindowBits: Int
        /// Reset the compressor after every message.
        public var compressNoContextTakeover: Bool
        /// Window of the direction this codec decompresses (8...15; clamped).
        public var decompressWindowBits: Int
        /// Reset the decompressor after every message.
        public var decompressNoContextTakeover: Bool
        /// zlib compression level (0...9, or -1 for zlib's default, 6).
        public var compressionLevel: Int
        /// zlib memLevel (1...9). Lower values shrink the compressor state and the cost of
        /// the per-message reset, which clears a 2^(memLevel+8)-byte hash table.
        public var memoryLevel: Int

        /// Creates parameters; the defaults are `noContextTakeover`.
        public init(
            compressWindowBits: Int = 15, compressNoContextTakeover: Bool = true,
            decompressWindowBits: Int = 15, decompressNoContextTakeover: Bool = true,
            compressionLevel: Int = -1, memoryLevel: Int = 8
        ) {
            self.compressWindowBits = PerMessageDeflate.clampWindowBits(compressWindowBits)
            self.compressNoContextTakeover = compressNoContextTakeover
            self.decompressWindowBits = PerMessageDeflate.clampWindowBits(decompressWindowBits)
            self.decompressNoContextTakeover = decompressNoContextTakeover
            self.compressionLevel = min(max(compressionLevel, -1), 9)
            self.memoryLevel = min(max(memoryLevel, 1), 9)
        }

        /// 15-bit windows, reset after every message both ways: the parameters of the one
        /// codec an event loop shares between its connections.
        public static let noContextTakeover = Parameters()
    }

    /// This codec's settings.
    public let parameters: Parameters
    /// The agreed window of the direction this codec compresses (8...15).
    public var compressWindowBits: Int { parameters.compressWindowBits }
    /// Reset the compressor after every message.
    public var compressNoContextTakeover: Bool { parameters.compressNoContextTakeover }
    /// The window of the direction this codec decompresses (8...15).
    public var decompressWindowBits: Int { parameters.decompressWindowBits }
    /// Reset the decompressor after every message.
    public var decompressNoContextTakeover: Bool { parameters.decompressNoContextTakeover }

    private var deflater: UnsafeMutablePointer<z_stream>?
    private var inflater: UnsafeMutablePointer<z_stream>?
    /// The current message contained a final (BFINAL) block; later input of the message is
    /// ignored and the inflater is reset at message end.
    private var inflateStreamEnded = false

    /// Creates a codec; zlib state is allocated on first use.
    public init(parameters: Parameters = .noContextTakeover) {
        // Rebuilt through the initializer so values assigned after construction are clamped too.
        self.parameters = Parameters(
            compressWindowBits: parameters.compressWindowBits,
            compressNoContextTakeover: parameters.compressNoContextTakeover,
            decompressWindowBits: parameters.decompressWindowBits,
            decompressNoContextTakeover: parameters.decompressNoContextTakeover,
            compressionLevel: parameters.compressionLevel, memoryLevel: parameters.memoryLevel)
    }

    /// Creates a codec for one connection's negotiated parameters: a server compresses
    /// with the server parameters and decompresses with the client's, a client the reverse.
    public convenience init(
        negotiated: NegotiatedDeflate, role: WebSocketRole = .server,
        compressionLevel: Int = -1, memoryLevel: Int = 8
    ) {
        let server = role == .server
        self.init(parameters: Parameters(
            compressWindowBits: server ? negotiated.serverMaxWindowBits : negotiated.clientMaxWindowBits,
            compressNoContextTakeover: server ? negotiated.serverNoContextTakeover : negotiated.clientNoContextTakeover,
            decompressWindowBits: server ? negotiated.clientMaxWindowBits : negotiated.serverMaxWindowBits,
            decompressNoContextTakeover: server ? negotiated.clientNoContextTakeover : negotiated.serverNoContextTakeover,
            compressionLevel: compressionLevel, memoryLevel: memoryLevel))
    }

    deinit {
        if let deflater {
            deflateEnd(deflater)
            deflater.deinitialize(count: 1)
            deflater.deallocate()
        }
        if let inflater {
            inflateEnd(inflater)
            inflater.deinitialize(count: 1)
            inflater.deallocate()
        }
    }

    /// Whether this instance may be shared by a connection with these parameters: it
    /// resets both directions, decompresses with a window at least the peer's, and never
    /// compresses with a larger window than agreed.
    public func canServe(_ negotiated: NegotiatedDeflate, role: WebSocketRole = .server) -> Bool {
        let server = role == .server
        let sendBits = server ? negotiated.serverMaxWindowBits : negotiated.clientMaxWindowBits
        let receiveBits = server ? negotiated.clientMaxWindowBits : negotiated.serverMaxWindowBits
        let peerNoTakeover = server ? negotiated.clientNoContextTakeover : negotiated.serverNoContextTakeover
        return compressNoContextTakeover && decompressNoContextTakeover && peerNoTakeover
            && Self.zlibWindowBits(compressWindowBits) <= Self.zlibWindowBits(sendBits)
            && decompressWindowBits >= receiveBits
    }

    /// zlib refuses 8 window bits for raw deflate (it would silently use 9 for the zlib
    /// format). 9 is still correct for an agreed 8: zlib never emits a distance above
    /// 2^bits - 262, which for 9 bits is 250, inside the 256-byte window the peer keeps.
    /// The inflater gets the same mapping so a peer with that zlib behaviour is accepted.
    static func zlibWindowBits(_ bits: Int) -> Int { max(bits, 9) }

    // MARK: Compression

    /// Compresses one whole message: raw deflate, `Z_SYNC_FLUSH`, trailing `00 00 FF FF`
    /// removed (RFC 7692 §7.2.1). The result is the payload of a frame with RSV1 set.
    ///
    /// Never fails: should zlib itself fail (out of memory), the message is sent as
    /// uncompressed DEFLATE blocks, which any peer inflates; the compressor is then reset,
    /// which is always allowed, since a compressor need not refer to earlier messages.
    public func compress(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        deflateMessage(message) ?? Self.storedBlocks(message)
    }

    /// Compresses one whole message held in an array.
    public func compress(_ message: [UInt8]) -> [UInt8] {
        message.withUnsafeBytes { compress($0) }
    }

    private func deflateMessage(_ message: UnsafeRawBufferPointer) -> [UInt8]? {
        guard let stream = deflateStream() else { return nil }
        var produced = 0
        let bound = Int(deflateBound(stream, uLong(message.count))) + 16
        var output = [UInt8](repeating: 0, count: bound)
        stream.pointee.next_in = message.baseAddress.map { UnsafeMutablePointer(mutating: $0.assumingMemoryBound(to: Bytef.self)) }
        stream.pointee.avail_in = uInt(message.count)
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        while true {
            let status = output.withUnsafeMutableBytes { raw -> Int32 in
                stream.pointee.next_out = raw.baseAddress.map { ($0 + produced).assumingMemoryBound(to: Bytef.self) }
                stream.pointee.avail_out = uInt(raw.count - produced)
                let status = deflate(stream, Z_SYNC_FLUSH)
                produced = raw.count - Int(stream.pointee.avail_out)
                return status
            }
            guard status == Z_OK || status == Z_BUF_ERROR else {
                deflateReset(stream)
                return nil
            }
            // Room left over means the flush completed; a full buffer means zlib may
            // have more to write and must be called again with more space.
            if stream.pointee.avail_out != 0 && stream.pointee.avail_in == 0 { break }
            output.append(contentsOf: repeatElement(0, count: max(64, output.count / 2)))
        }
        output.removeSubrange(produced...)
        if output.count >= 4 && output[output.count - 4] == 0 && output[output.count - 3] == 0
            && output[output.count - 2] == 0xFF && output[output.count - 1] == 0xFF {
            output.removeLast(4)
        }
        if compressNoContextTakeover { deflateReset(stream) }
        return output
    }

    /// `message` as stored (uncompressed) DEFLATE blocks of at most 65535 bytes, followed
    /// by the first byte of an empty stored block whose LEN/NLEN the receiver's appended
    /// `00 00 FF FF` supplies (RFC 1951 §3.2.4, RFC 7692 §7.2.3.3).
    static func storedBlocks(_ message: UnsafeRawBufferPointer) -> [UInt8] {
        var output: [UInt8] = []
        output.reserveCapacity(message.count + 5 * (message.count / 0xFFFF + 1) + 1)
        var offset = 0
        while offset < message.count {
            let length = min(message.count - offset, 0xFFFF)
            let len = UInt16(length)
            output.append(0x00)  // BFINAL = 0, BTYPE = 00, padding to the byte boundary
            output.append(contentsOf: [UInt8(len & 0xFF), UInt8(len >> 8), UInt8(~len & 0xFF), UInt8(~len >> 8)])
            output.append(contentsOf: UnsafeRawBufferPointer(rebasing: message[offset..<(offset + length)]))
            offset += length
        }
        output.append(0x00)
        return output
    }

    private func deflateStream() -> UnsafeMutablePointer<z_stream>? {
        if let deflater { return deflater }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        let status = czlib_deflate_init_raw(
            stream, Int32(parameters.compressionLevel), Int32(Self.zlibWindowBits(compressWindowBits)),
            Int32(parameters.memoryLevel))
        guard status == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            return nil
        }
        deflater = stream
        return stream
    }

    // MARK: Decompression

    /// Decompresses one whole message payload (the payloads of all its frames joined).
    /// Throws `.messageTooBig` as soon as the output would exceed `maxSize` (the output
    /// never grows beyond `maxSize + 1` bytes) and `.invalidCompressedData` for a corrupt stream.
    public func decompress(_ payload: [UInt8], maxSize: Int) throws(WebSocketError) -> [UInt8] {
        var output: [UInt8] = []
        let status = payload.withUnsafeBytes { raw -> WebSocketError? in
            do throws(WebSocketError) {
                try decompress(raw, isFinal: true, appendingTo: &output, maxSize: maxSize)
                return nil
            } catch {
                return error
            }
        }
        if let status { throw status }
        return output
    }

    /// Streaming form: inflates the payload of one frame of a compressed message and
    /// appends the output to `output`. `maxSize` bounds `output.count` as a whole, so one
    /// buffer can collect a fragmented message. Pass `isFinal` with the last frame: the
    /// `00 00 FF FF` tail is then appended and, without context takeover, the inflater reset.
    ///
    /// On error the inflater is reset, so the instance stays usable for other connections.
    public func decompress(
        _ input: UnsafeRawBufferPointer, isFinal: Bool, appendingTo output: inout [UInt8], maxSize: Int
    ) throws(WebSocketError) {
        let stream = try inflateStream()
        do throws(WebSocketError) {
            try inflate(stream, input, into: &output, maxSize: maxSize)
            if isFinal {
                // The tail lives in a tuple: no allocation per message.
                let tail: (UInt8, UInt8, UInt8, UInt8) = (0x00, 0x00, 0xFF, 0xFF)
                let failure = withUnsafeBytes(of: tail) { raw -> WebSocketError? in
                    do throws(WebSocketError) {
                        try inflate(stream, raw, into: &output, maxSize: maxSize)
                        return nil
                    } catch {
                        return error
                    }
                }
                if let failure { throw failure }
                if decompressNoContextTakeover || inflateStreamEnded { resetDecompressor() }
            }
        } catch {
            resetDecompressor()
            throw error
        }
    }

    /// Drops any partially decompressed message (e.g. when its connection fails).
    public func resetDecompressor() {
        if let inflater { inflateReset(inflater) }
        inflateStreamEnded = false
    }

    private func inflateStream() throws(WebSocketError) -> UnsafeMutablePointer<z_stream> {
        if let inflater { return inflater }
        let stream = UnsafeMutablePointer<z_stream>.allocate(capacity: 1)
        stream.initialize(to: z_stream())
        guard czlib_inflate_init_raw(stream, Int32(Self.zlibWindowBits(decompressWindowBits))) == Z_OK else {
            stream.deinitialize(count: 1)
            stream.deallocate()
            throw .compressionFailure
        }
        inflater = stream
        return stream
    }

    /// Feeds `input` to the inflater, growing `output` in bounded steps.
    private func inflate(
        _ stream: UnsafeMutablePointer<z_stream>, _ input: UnsafeRawBufferPointer,
        into output: inout [UInt8], maxSize: Int
    ) throws(WebSocketError) {
        guard !inflateStreamEnded, let base = input.baseAddress, input.count > 0 else { return }
        var offset = 0
        // Invariant between calls: no pointers into caller memory and no input counted as
        // pending (an error can leave avail_in > 0, which must not leak into the next call).
        stream.pointee.avail_in = 0
        defer {
            stream.pointee.next_in = nil
            stream.pointee.avail_in = 0
            stream.pointee.next_out = nil
            stream.pointee.avail_out = 0
        }
        while true {
            // avail_in is 32-bit: hand over at most 1 GiB at a time.
            if stream.pointee.avail_in == 0 && offset < input.count {
                let piece = min(input.count - offset, 1 << 30)
                stream.pointee.next_in = UnsafeMutablePointer(mutating: (base + offset).assumingMemoryBound(to: Bytef.self))
                stream.pointee.avail_in = uInt(piece)
                offset += piece
            }
            // Room for one byte beyond the limit, to detect that the limit is exceeded.
            let room = maxSize + 1 - output.count
            guard room > 0 else { throw .messageTooBig }
            let chunk = min(room, min(max(256, Int(stream.pointee.avail_in) * 3), 1 << 16))
            if output.count + chunk > output.capacity {
                // Grow geometrically but never past maxSize + 1: a deflate bomb cannot make
                // this allocate more than the limit.
                output.reserveCapacity(min(maxSize + 1, max(output.count + chunk, output.capacity * 2)))
            }
            let start = output.count
            output.append(contentsOf: repeatElement(0, count: chunk))
            let status = output.withUnsafeMutableBytes { raw -> Int32 in
                stream.pointee.next_out = raw.baseAddress.map { ($0 + start).assumingMemoryBound(to: Bytef.self) }
                stream.pointee.avail_out = uInt(chunk)
                return CZlib.inflate(stream, Z_NO_FLUSH)
            }
            let unused = Int(stream.pointee.avail_out)
            output.removeLast(unused)
            if output.count > maxSize { throw .messageTooBig }
            let inputLeft = stream.pointee.avail_in > 0 || offset < input.count
            switch status {
            case Z_OK:
                if !inputLeft && unused > 0 { return }
            case Z_BUF_ERROR:
                // No progress was possible: fine when all input is used up, otherwise
                // only more output space can help.
                if !inputLeft { return }
                if unused > 0 { throw .invalidCompressedData }
            case Z_STREAM_END:
                // A BFINAL block ended the stream (RFC 7692 §7.2.3.4); what follows in
                // this message, including the appended tail, is not part of it.
                inflateStreamEnded = true
                return
            case Z_DATA_ERROR, Z_NEED_DICT:
                throw .invalidCompressedData
            default:
                throw .compressionFailure
            }
        }
    }
}
