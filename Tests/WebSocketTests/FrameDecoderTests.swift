import Testing
@testable import WebSocket

/// One decoder scenario: input bytes and what must come out, however the input is cut.
struct DecoderCase: CustomStringConvertible, Sendable {
    var name: String
    var input: [UInt8]
    var expected: DecodeOutcome
    var maxFramePayload = 1 << 20
    var requireMasked = true
    var allowRSV1 = false
    var description: String { name }
}


private func frame(_ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false) -> WebSocketFrame {
    WebSocketFrame(fin: fin, rsv1: rsv1, opcode: opcode, payload: payload)
}

/// A masked header with an explicit 16- or 64-bit length field, for non-minimal encodings.
private func extendedHeader(opcode: UInt8, lengthBytes: [UInt8], payload: [UInt8]) -> [UInt8] {
    let marker: UInt8 = lengthBytes.count == 2 ? 126 : 127
    var out: [UInt8] = [0x80 | opcode, 0x80 | marker] + lengthBytes + [testKey.0, testKey.1, testKey.2, testKey.3]
    var masked = payload
    for i in masked.indices {
        let k = [testKey.0, testKey.1, testKey.2, testKey.3][i % 4]
        masked[i] ^= k
    }
    out += masked
    return out
}

let decoderCases: [DecoderCase] = {
    let hello = bytes("Hello")
    var cases: [DecoderCase] = []
    cases.append(DecoderCase(name: "masked text", input: clientFrame(.text, hello),
                             expected: DecodeOutcome(frames: [frame(.text, hello)])))
    cases.append(DecoderCase(name: "empty binary", input: clientFrame(.binary, []),
                             expected: DecodeOutcome(frames: [frame(.binary, [])])))
    for length in [125, 126, 127, 65535, 65536, 70000] {
        let payload = pseudoRandomBytes(count: length, seed: UInt64(length))
        cases.append(DecoderCase(name: "length \(length)", input: clientFrame(.binary, payload),
                                 expected: DecodeOutcome(frames: [frame(.binary, payload)])))
    }
    cases.append(DecoderCase(
        name: "three frames in a row",
        input: clientFrame(.text, hello, fin: false) + clientFrame(.ping, [1, 2]) + clientFrame(.continuation, hello),
        expected: DecodeOutcome(frames: [frame(.text, hello, fin: false), frame(.ping, [1, 2]), frame(.continuation, hello)])))
    cases.append(DecoderCase(name: "non-minimal 16-bit length", input: extendedHeader(opcode: 2, lengthBytes: [0, 5], payload: hello),
                             expected: DecodeOutcome(frames: [frame(.binary, hello)])))
    cases.append(DecoderCase(name: "non-minimal 64-bit length",
                             input: extendedHeader(opcode: 2, lengthBytes: [0, 0, 0, 0, 0, 0, 0, 5], payload: hello),
                             expected: DecodeOutcome(frames: [frame(.binary, hello)])))
    cases.append(DecoderCase(name: "unmasked client frame", input: FrameEncoder.encode(opcode: .text, payload: hello),
                             expected: DecodeOutcome(error: .unmaskedFrame)))
    cases.append(DecoderCase(name: "RSV2", input: rawMaskedFrame(byte0: 0x80 | 0x20 | 0x2, payload: hello),
                             expected: DecodeOutcome(error: .reservedBitsSet)))
    cases.append(DecoderCase(name: "RSV3", input: rawMaskedFrame(byte0: 0x80 | 0x10 | 0x2, payload: hello),
                             expected: DecodeOutcome(error: .reservedBitsSet)))
    cases.append(DecoderCase(name: "RSV1 without deflate", input: clientFrame(.text, hello, rsv1: true),
                             expected: DecodeOutcome(error: .reservedBitsSet)))
    cases.append(DecoderCase(name: "RSV1 with deflate", input: clientFrame(.text, hello, rsv1: true),
                             expected: DecodeOutcome(frames: [frame(.text, hello, rsv1: true)]), allowRSV1: true))
    cases.append(DecoderCase(name: "RSV1 on continuation", input: clientFrame(.continuation, hello, rsv1: true),
                             expected: DecodeOutcome(error: .reservedBitsSet), allowRSV1: true))
    cases.append(DecoderCase(name: "RSV1 on ping", input: clientFrame(.ping, hello, rsv1: true),
                             expected: DecodeOutcome(error: .reservedBitsSet), allowRSV1: true))
    for opcode: UInt8 in [3, 4, 5, 6, 7, 11, 12, 13, 14, 15] {
        cases.append(DecoderCase(name: "reserved opcode \(opcode)", input: rawMaskedFrame(byte0: 0x80 | opcode, payload: hello),
                                 expected: DecodeOutcome(error: .reservedOpcode(opcode))))
    }
    cases.append(DecoderCase(name: "fragmented ping", input: clientFrame(.ping, hello, fin: false),
                             expected: DecodeOutcome(error: .fragmentedControlFrame)))
    cases.append(DecoderCase(name: "ping of 125 bytes", input: clientFrame(.ping, Array(repeating: 7, count: 125)),
                             expected: DecodeOutcome(frames: [frame(.ping, Array(repeating: 7, count: 125))])))
    cases.append(DecoderCase(name: "ping of 126 bytes", input: clientFrame(.ping, Array(repeating: 7, count: 126)),
                             expected: DecodeOutcome(error: .controlFrameTooLarge)))
    cases.append(DecoderCase(name: "64-bit length with top bit",
                             input: [0x82, 0xFF, 0x80, 0, 0, 0, 0, 0, 0, 1, 1, 2, 3, 4],
                             expected: DecodeOutcome(error: .invalidPayloadLength)))
    cases.append(DecoderCase(name: "payload over limit", input: clientFrame(.binary, Array(repeating: 1, count: 101)),
                             expected: DecodeOutcome(error: .frameTooBig), maxFramePayload: 100))
    cases.append(DecoderCase(name: "payload at limit", input: clientFrame(.binary, Array(repeating: 1, count: 100)),
                             expected: DecodeOutcome(frames: [frame(.binary, Array(repeating: 1, count: 100))]),
                             maxFramePayload: 100))
    cases.append(DecoderCase(name: "valid frame then reserved opcode",
                             input: clientFrame(.text, hello) + rawMaskedFrame(byte0: 0x83, payload: []),
                             expected: DecodeOutcome(frames: [frame(.text, hello)], error: .reservedOpcode(3))))
    return cases
}()

@Suite struct FrameDecoderTests {
    @Test(arguments: decoderCases)
    func sameResultForEveryChunking(_ testCase: DecoderCase) {
        let decoder = FrameDecoder(
            maxFramePayload: testCase.maxFramePayload, requireMasked: testCase.requireMasked,
            allowRSV1: testCase.allowRSV1)
        for chunks in chunkings(of: testCase.input) {
            #expect(decodeByFeeding(chunks, decoder: decoder) == testCase.expected)
            #expect(decodeDirectly(chunks, decoder: decoder) == testCase.expected)
        }
    }

    @Test func tooBigIsRaisedFromTheHeaderAlone() throws {
        var decoder = FrameDecoder(maxFramePayload: 1000, requireMasked: true, allowRSV1: false)
        // 64-bit length of 2^40, no payload bytes sent at all.
        let header: [UInt8] = [0x82, 0xFF, 0, 0, 0x01, 0, 0, 0, 0, 0]
        header.withUnsafeBytes { decoder.feed($0) }
        #expect(throws: WebSocketError.frameTooBig) { try decoder.next() }
    }

    @Test func errorsAreRaisedFromTheFirstDecidingByte() {
        var decoder = FrameDecoder(maxFramePayload: 1000, requireMasked: true, allowRSV1: false)
        let first: [UInt8] = [0x83]  // reserved opcode: known before byte 2 arrives
        first.withUnsafeBytes { decoder.feed($0) }
        #expect(throws: WebSocketError.reservedOpcode(3)) { try decoder.next() }
    }

    @Test func releasesBufferWhenConsumed() throws {
        var decoder = FrameDecoder(maxFramePayload: 1000, requireMasked: true, allowRSV1: false)
        let input = clientFrame(.text, bytes("Hello")) + clientFrame(.binary, [1, 2, 3])
        input[..<4].withUnsafeBytes { decoder.feed($0) }
        #expect(try decoder.next() == nil)
        #expect(decoder.holdsStorage)
        input[4...].withUnsafeBytes { decoder.feed($0) }
        #expect(try decoder.next()?.opcode == .text)
        #expect(try decoder.next()?.payload == [1, 2, 3])
        #expect(try decoder.next() == nil)
        #expect(!decoder.holdsStorage)
        #expect(decoder.bufferedByteCount == 0)
    }

    @Test func clientRoleRejectsMaskedAndAcceptsUnmasked() {
        let decoder = FrameDecoder(maxFramePayload: 1000, role: .client, allowRSV1: false)
        let unmasked = FrameEncoder.encode(opcode: .text, payload: bytes("hi"))
        #expect(decodeByFeeding([unmasked], decoder: decoder).frames == [frame(.text, bytes("hi"))])
        #expect(decodeByFeeding([clientFrame(.text, bytes("hi"))], decoder: decoder).error == .maskedFrame)
    }

    @Test func lenientDecoderAcceptsBothMaskings() {
        let decoder = FrameDecoder(maxFramePayload: 1000, requireMasked: false, allowRSV1: false)
        let input = FrameEncoder.encode(opcode: .text, payload: bytes("a")) + clientFrame(.text, bytes("b"))
        #expect(decodeByFeeding([input], decoder: decoder).frames == [frame(.text, bytes("a")), frame(.text, bytes("b"))])
    }
}
