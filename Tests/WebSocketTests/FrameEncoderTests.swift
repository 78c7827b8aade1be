import Testing
@testable import WebSocket

@Suite struct FrameEncoderTests {
    @Test func headerSizes() {
        #expect(FrameEncoder.headerSize(payloadLength: 0, masked: false) == 2)
        #expect(FrameEncoder.headerSize(payloadLength: 125, masked: false) == 2)
        #expect(FrameEncoder.headerSize(payloadLength: 126, masked: false) == 4)
        #expect(FrameEncoder.headerSize(payloadLength: 65535, masked: false) == 4)
        #expect(FrameEncoder.headerSize(payloadLength: 65536, masked: false) == 10)
        #expect(FrameEncoder.headerSize(payloadLength: 65536, masked: true) == 14)
    }

    @Test func serverFrameBytes() {
        #expect(FrameEncoder.encode(opcode: .text, payload: bytes("Hello")) == [0x81, 0x05] + bytes("Hello"))
        #expect(FrameEncoder.encode(opcode: .binary, payload: [UInt8](repeating: 0, count: 256))[0..<4] == [0x82, 0x7E, 0x01, 0x00])
        let big = FrameEncoder.encode(opcode: .binary, payload: [UInt8](repeating: 0, count: 65536))
        #expect(big[0..<10] == [0x82, 0x7F, 0, 0, 0, 0, 0, 1, 0, 0])
        #expect(FrameEncoder.encode(opcode: .text, payload: [], fin: false, rsv1: true) == [0x41, 0x00])
    }

    @Test func rfcMaskedExample() {
        // RFC 6455 §5.7: a masked "Hello".
        let frame = FrameEncoder.encode(opcode: .text, payload: bytes("Hello"), maskingKey: (0x37, 0xFA, 0x21, 0x3D))
        #expect(frame == [0x81, 0x85, 0x37, 0xFA, 0x21, 0x3D, 0x7F, 0x9F, 0x4D, 0x51, 0x58])
    }

    @Test(arguments: [0, 1, 125, 126, 127, 65535, 65536, 100_000])
    func clientEncodeServerDecodeRoundTrip(length: Int) throws {
        let payload = pseudoRandomBytes(count: length, seed: UInt64(length) + 1)
        for opcode in [WebSocketOpcode.text, .binary, .continuation] {
            let encoded = clientFrame(opcode, payload, fin: opcode != .continuation)
            var decoder = FrameDecoder(maxFramePayload: 1 << 20, requireMasked: true, allowRSV1: false)
            encoded.withUnsafeBytes { decoder.feed($0) }
            let frame = try #require(try decoder.next())
            #expect(frame == WebSocketFrame(fin: opcode != .continuation, rsv1: false, opcode: opcode, payload: payload))
            #expect(try decoder.next() == nil)
        }
    }

    @Test func encodeHeaderIntoCallerBuffer() {
        var storage = [UInt8](repeating: 0, count: 14)
        let written = storage.withUnsafeMutableBytes {
            FrameEncoder.encodeHeader(into: $0, opcode: .binary, payloadLength: 300, maskingKey: (1, 2, 3, 4))
        }
        #expect(written == 8)
        #expect(storage[0..<8] == [0x82, 0xFE, 0x01, 0x2C, 1, 2, 3, 4])
        var small = [UInt8](repeating: 0, count: 3)
        let refused = small.withUnsafeMutableBytes {
            FrameEncoder.encodeHeader(into: $0, opcode: .binary, payloadLength: 300)
        }
        #expect(refused == 0)
    }

    @Test func closePayloads() {
        #expect(FrameEncoder.closePayload(code: 1000, reason: "") == [0x03, 0xE8])
        #expect(FrameEncoder.closePayload(code: 1001, reason: "bye") == [0x03, 0xE9] + bytes("bye"))
        #expect(FrameEncoder.closePayload(code: CloseCode.noStatusReceived, reason: "ignored") == [])
        #expect(FrameEncoder.closePayload(code: nil, reason: "ignored") == [])
        #expect(FrameEncoder.encodeClose(code: nil, reason: "") == [0x88, 0x00])
    }

    @Test func closeReasonIsCutOnACharacterBoundary() {
        let reason = String(repeating: "a", count: 122) + "é"  // 124 bytes, é straddles 123
        let payload = FrameEncoder.closePayload(code: 1000, reason: reason)
        #expect(payload.count == 2 + 122)
        let long = String(repeating: "€", count: 100)  // 300 bytes, 3 per character
        #expect(FrameEncoder.closePayload(code: 1000, reason: long).count == 2 + 123)
        var validator = UTF8Validator()
        let tail = Array(FrameEncoder.closePayload(code: 1000, reason: reason)[2...])
        #expect(tail.withUnsafeBytes { validator.validate($0) } && validator.finish())
    }

    @Test func actionEncoding() {
        #expect(WebSocketAction.sendFrame(.pong, [1]).encodedFrame() == [0x8A, 0x01, 0x01])
        #expect(WebSocketAction.sendClose(code: 1002, reason: "x").encodedFrame() == [0x88, 0x03, 0x03, 0xEA, 0x78])
        #expect(WebSocketAction.closeTransport.encodedFrame() == nil)
    }
}
