import Testing
@testable import WebSocket

@Suite struct ConnectionCompressionTests {
    private let negotiated = PerMessageDeflate.negotiate(offers: ["permessage-deflate"], config: PerMessageDeflateConfig())!

    /// A client's compressed message, split into `fragments` frames with RSV1 on the first only.
    private func compressedFrames(_ message: [UInt8], opcode: WebSocketOpcode = .text, fragments: Int = 1,
                                  compressor: DeflateCodec = DeflateCodec()) throws -> [UInt8] {
        let compressed = compressor.compress(message)
        let size = max(1, (compressed.count + fragments - 1) / fragments)
        var out: [UInt8] = []
        var index = 0
        var first = true
        repeat {
            let end = min(index + size, compressed.count)
            out += clientFrame(first ? opcode : .continuation, Array(compressed[index..<end]),
                               fin: end == compressed.count, rsv1: first)
            first = false
            index = end
        } while index < compressed.count
        return out
    }

    @Test func compressedMessage() throws {
        let message = bytes("Hello compressed world, κόσμε")
        let input = try compressedFrames(message)
        for chunks in chunkings(of: input) {
            var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
            #expect(run(&connection, chunks) == [.message(.text, message)])
            #expect(!connection.holdsHeapStorage)
        }
    }

    @Test func uncompressedMessageStillAllowedWithDeflate() {
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        #expect(run(&connection, [clientFrame(.binary, [1, 2])]) == [.message(.binary, [1, 2])])
    }

    @Test func fragmentedCompressedMessageWithInterleavedPing() throws {
        let message = (0..<5000).map { UInt8(0x41 + $0 % 23) }
        var input = try compressedFrames(message, opcode: .binary, fragments: 4)
        input = clientFrame(.ping, [9]) + input
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        #expect(run(&connection, [input]) == [.sendFrame(.pong, [9]), .message(.binary, message)])
        #expect(!connection.holdsHeapStorage)
    }

    @Test func sharedCodecSurvivesInterleavedFragmentedMessages() throws {
        let shared = DeflateCodec()
        var first = WebSocketConnection(deflate: negotiated, codec: shared)
        var second = WebSocketConnection(deflate: negotiated, codec: shared)
        let long = bytes(String(repeating: "first connection's long message ", count: 50))
        let frames = try compressedFrames(long, fragments: 3)
        let cut = frames.count / 2
        #expect(run(&first, [Array(frames[..<cut])]).isEmpty)
        #expect(run(&second, [try compressedFrames(bytes("second"))]) == [.message(.text, bytes("second"))])
        #expect(run(&first, [Array(frames[cut...])]) == [.message(.text, long)])
    }

    @Test func sharedCodecStillWorksAfterAnotherConnectionFailed() throws {
        let shared = DeflateCodec()
        var broken = WebSocketConnection(deflate: negotiated, codec: shared)
        #expect(run(&broken, [clientFrame(.text, [0xF2, 0x00, 0x11, 0x00, 0x00], rsv1: true)]) == failure(.invalidCompressedData))
        var healthy = WebSocketConnection(deflate: negotiated, codec: shared)
        #expect(run(&healthy, [try compressedFrames(bytes("Hello"))]) == [.message(.text, bytes("Hello"))])
        #expect(healthy.codec === shared)
        #expect(healthy.deflate?.responseHeaderValue == "")
    }

    @Test func sharedCodecIsNotUsedWhenItCannotServe() throws {
        let small = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; server_max_window_bits=8"], config: PerMessageDeflateConfig()))
        let shared = DeflateCodec()
        let connection = WebSocketConnection(deflate: small, codec: shared)
        #expect(connection.codec !== shared)
        #expect(connection.codec?.compressWindowBits == 8)
    }

    @Test func contextTakeoverConnectionOwnsItsCodec() throws {
        let takeover = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate"],
            config: PerMessageDeflateConfig(serverNoContextTakeover: false, clientNoContextTakeover: false)))
        var connection = WebSocketConnection(deflate: takeover, codec: DeflateCodec())
        #expect(connection.codec?.decompressNoContextTakeover == false)
        let client = DeflateCodec(parameters: .init(compressNoContextTakeover: false))
        for round in 0..<3 {
            let message = bytes("Hello again, round \(round)")
            #expect(run(&connection, [try compressedFrames(message, fragments: 2, compressor: client)])
                    == [.message(.text, message)])
        }
    }

    @Test func rsv1OnContinuationFails() throws {
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        let input = clientFrame(.text, DeflateCodec().compress(bytes("ab")), fin: false, rsv1: true)
            + clientFrame(.continuation, [0x00], rsv1: true)
        #expect(run(&connection, [input]) == failure(.reservedBitsSet))
    }

    @Test func rsv1WithoutNegotiationFails() throws {
        var connection = WebSocketConnection()
        #expect(run(&connection, [try compressedFrames(bytes("x"))]) == failure(.reservedBitsSet))
    }

    @Test func compressedInvalidUTF8Fails() throws {
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        #expect(run(&connection, [try compressedFrames([0x61, 0xC0, 0x80])]) == failure(.invalidUTF8))
    }

    @Test func compressedInvalidUTF8FailsBeforeFinalFragment() throws {
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        // Hard-to-compress letters after the bad byte make the deflate stream long, so the
        // first of four fragments already inflates past the 0xFF.
        let letters = pseudoRandomBytes(count: 4000).map { 0x61 + $0 % 26 }
        let bad = bytes("ok ") + [0xFF] + letters
        let frames = try compressedFrames(bad, fragments: 4)
        // Send only the first frame.
        var decoder = FrameDecoder(maxFramePayload: 1 << 20, requireMasked: true, allowRSV1: true)
        frames.withUnsafeBytes { decoder.feed($0) }
        let firstFrame = try #require(try decoder.next())
        let firstLength = FrameEncoder.headerSize(payloadLength: firstFrame.payload.count, masked: true) + firstFrame.payload.count
        #expect(run(&connection, [Array(frames[..<firstLength])]) == failure(.invalidUTF8))
    }

    @Test func corruptCompressedDataFailsWith1007() {
        var connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        #expect(run(&connection, [clientFrame(.binary, [0xFF, 0xFF, 0xFF], rsv1: true)]) == failure(.invalidCompressedData))
    }

    @Test func compressedMessageOverLimitFails() throws {
        let configuration = WebSocketConfiguration(maxMessageSize: 1000, maxFramePayload: 1000)
        var connection = WebSocketConnection(configuration: configuration, deflate: negotiated, codec: DeflateCodec())
        let input = try compressedFrames([UInt8](repeating: 0, count: 1001), opcode: .binary)
        #expect(input.count < 100)
        #expect(run(&connection, [input]) == failure(.messageTooBig))
    }

    @Test func maxDecompressedSizeAlsoLimits() throws {
        var small = negotiated
        small.maxDecompressedSize = 100
        var connection = WebSocketConnection(deflate: small, codec: DeflateCodec())
        let input = try compressedFrames([UInt8](repeating: 0, count: 101), opcode: .binary)
        #expect(run(&connection, [input]) == failure(.messageTooBig))
    }

    @Test func encodeMessageCompressesWhenNegotiated() {
        let connection = WebSocketConnection(deflate: negotiated, codec: DeflateCodec())
        let frame = bytes("Hello").withUnsafeBytes { connection.encodeMessage(.text, $0) }
        #expect(frame == [0xC1, 0x07, 0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        let plain = WebSocketConnection()
        let unframed = bytes("Hello").withUnsafeBytes { plain.encodeMessage(.text, $0) }
        #expect(unframed == [0x81, 0x05] + bytes("Hello"))
    }
}
