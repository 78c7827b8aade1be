import Testing
@testable import WebSocket

@Suite struct DeflateCodecTests {
    @Test func rfc7692HelloExample() throws {
        let codec = DeflateCodec()
        // RFC 7692 §7.2.3.1: "Hello" in one compressed frame.
        #expect(codec.compress(bytes("Hello")) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(try codec.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == bytes("Hello"))
    }

    @Test func rfc7692ContextTakeoverExample() throws {
        // RFC 7692 §7.2.3.2: the second "Hello" refers back into the shared window.
        let sender = DeflateCodec(parameters: .init(compressNoContextTakeover: false))
        #expect(sender.compress(bytes("Hello")) == [0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00])
        #expect(sender.compress(bytes("Hello")) == [0xF2, 0x00, 0x11, 0x00, 0x00])
        let receiver = DeflateCodec(parameters: .init(decompressNoContextTakeover: false))
        #expect(try receiver.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == bytes("Hello"))
        #expect(try receiver.decompress([0xF2, 0x00, 0x11, 0x00, 0x00], maxSize: 100) == bytes("Hello"))
        // Without takeover the back-reference has nothing to point at.
        let resetting = DeflateCodec()
        #expect(throws: WebSocketError.invalidCompressedData) {
            try resetting.decompress([0xF2, 0x00, 0x11, 0x00, 0x00], maxSize: 100)
        }
        // And the failure left the codec usable.
        #expect(try resetting.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == bytes("Hello"))
    }

    @Test func storedBlockAndBFinalForms() throws {
        let codec = DeflateCodec()
        // RFC 7692 §7.2.3.3: an uncompressed (stored) block.
        #expect(try codec.decompress([0x00, 0x05, 0x00, 0xFA, 0xFF] + bytes("Hello") + [0x00], maxSize: 100) == bytes("Hello"))
        // §7.2.3.4: a final block (BFINAL = 1); the appended tail is then ignored.
        #expect(try codec.decompress([0xF3, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == bytes("Hello"))
        #expect(try codec.decompress([0xF2, 0x48, 0xCD, 0xC9, 0xC9, 0x07, 0x00], maxSize: 100) == bytes("Hello"))
    }

    @Test(arguments: [0, 1, 65535, 65536, 200_000])
    func storedBlockFallbackInflates(length: Int) throws {
        // The output compress() falls back to if zlib cannot compress.
        let input = pseudoRandomBytes(count: length)
        let stored = input.withUnsafeBytes { DeflateCodec.storedBlocks($0) }
        #expect(stored.count == length + 5 * ((length + 0xFFFE) / 0xFFFF) + 1)
        #expect(try DeflateCodec().decompress(stored, maxSize: length) == input)
    }

    @Test func emptyMessageCompressesToSingleZeroByte() throws {
        let codec = DeflateCodec()
        #expect(codec.compress([]) == [0x00])
        #expect(try codec.decompress([0x00], maxSize: 10) == [])
    }

    @Test(arguments: [1, 100, 4096, 65536, 300_000])
    func roundTrip(length: Int) throws {
        let text: [UInt8] = (0..<length).map { (i: Int) -> UInt8 in UInt8(0x61 + (i * 7 + i / 13) % 26) }
        let noise = pseudoRandomBytes(count: length, seed: UInt64(length))
        for window in [8, 9, 12, 15] {
            let codec = DeflateCodec(parameters: .init(compressWindowBits: window, decompressWindowBits: window))
            for input in [text, noise] {
                let compressed = codec.compress(input)
                #expect(try codec.decompress(compressed, maxSize: length) == input)
            }
        }
    }

    @Test func streamingDecompressionAcrossFragments() throws {
        let input = (0..<50_000).map { UInt8(truncatingIfNeeded: $0 % 251) }
        let compressed = DeflateCodec().compress(input)
        for pieces in [1, 2, 7, 100] {
            let codec = DeflateCodec()
            var output: [UInt8] = []
            let size = (compressed.count + pieces - 1) / pieces
            var index = 0
            while index < compressed.count {
                let end = min(index + size, compressed.count)
                try compressed[index..<end].withUnsafeBytes { raw in
                    try codec.decompress(raw, isFinal: end == compressed.count, appendingTo: &output, maxSize: input.count)
                }
                index = end
            }
            #expect(output == input)
        }
    }

    @Test func corruptDataIsInvalidPayload() {
        let codec = DeflateCodec()
        #expect(throws: WebSocketError.invalidCompressedData) {
            try codec.decompress([0xFF, 0xFF, 0xFF, 0xFF, 0x00], maxSize: 1000)
        }
        #expect(WebSocketError.invalidCompressedData.closeCode == 1007)
    }

    @Test func exactLimitPassesAndOneMoreFails() throws {
        let input = [UInt8](repeating: 0x41, count: 1000)
        let codec = DeflateCodec()
        let compressed = codec.compress(input)
        #expect(try codec.decompress(compressed, maxSize: 1000) == input)
        #expect(throws: WebSocketError.messageTooBig) { try codec.decompress(compressed, maxSize: 999) }
    }

    @Test func deflateBombIsRefusedWithoutLargeAllocation() throws {
        // 100 MiB of zeros as one message, built from 1 MiB pieces of one deflate stream
        // (sync-flush markers re-inserted between pieces) so the test never holds 100 MiB.
        let sender = DeflateCodec(parameters: .init(compressNoContextTakeover: false))
        let zeros = [UInt8](repeating: 0, count: 1 << 20)
        var bomb: [UInt8] = []
        for piece in 0..<100 {
            if piece > 0 { bomb += [0x00, 0x00, 0xFF, 0xFF] }
            bomb += sender.compress(zeros)
        }
        #expect(bomb.count < 200_000)

        let limit = 1 << 20
        let receiver = DeflateCodec()
        var output: [UInt8] = []
        #expect(throws: WebSocketError.messageTooBig) {
            try bomb.withUnsafeBytes { raw in
                try receiver.decompress(raw, isFinal: true, appendingTo: &output, maxSize: limit)
            }
        }
        #expect(output.count <= limit + 1)
        // Capacity includes malloc rounding, hence the small slack.
        #expect(output.capacity <= limit + 1 + 4096)
        #expect(WebSocketError.messageTooBig.closeCode == 1009)
    }

    @Test func sharingRules() {
        let negotiated = PerMessageDeflate.negotiate(offers: ["permessage-deflate"], config: PerMessageDeflateConfig())
        let shared = DeflateCodec()
        #expect(negotiated.map { shared.canServe($0) } == true)

        var takeover = PerMessageDeflateConfig()
        takeover.clientNoContextTakeover = false
        let withTakeover = PerMessageDeflate.negotiate(offers: ["permessage-deflate"], config: takeover)
        #expect(withTakeover.map { shared.canServe($0) } == false)

        let small = PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; server_max_window_bits=10"], config: PerMessageDeflateConfig())
        #expect(small.map { shared.canServe($0) } == false)
        #expect(small.map { DeflateCodec(negotiated: $0).canServe($0) } == true)
    }
}
