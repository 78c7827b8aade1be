import Testing
@testable import WebSocket

@Suite struct MaskingTests {
    private func naive(_ data: [UInt8], key: [UInt8], phase: Int) -> [UInt8] {
        data.enumerated().map { $0.element ^ key[($0.offset + phase) % 4] }
    }

    @Test func wordAtATimeEqualsByteLoop() {
        let key: [UInt8] = [0xA1, 0x07, 0x5C, 0xE3]
        let source = pseudoRandomBytes(count: 64 + 8)
        for length in 0...64 {
            for sourceOffset in 0..<8 {  // unaligned starting addresses
                for phase in 0..<4 {
                    let data = Array(source[sourceOffset..<(sourceOffset + length)])
                    var output = [UInt8](repeating: 0, count: length)
                    source.withUnsafeBytes { raw in
                        output.withUnsafeMutableBytes { out in
                            if let from = raw.baseAddress, let to = out.baseAddress {
                                Masking.apply(key: (key[0], key[1], key[2], key[3]), phase: phase,
                                              from: from + sourceOffset, to: to, count: length)
                            }
                        }
                    }
                    #expect(output == naive(data, key: key, phase: phase), "length \(length) offset \(sourceOffset) phase \(phase)")
                }
            }
        }
    }

    @Test func inPlaceAndInvolution() {
        let key: (UInt8, UInt8, UInt8, UInt8) = (1, 2, 3, 4)
        let original = pseudoRandomBytes(count: 37)
        var data = original
        data.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress {
                Masking.apply(key: key, from: base, to: base, count: raw.count)
            }
        }
        #expect(data == naive(original, key: [1, 2, 3, 4], phase: 0))
        data.withUnsafeMutableBytes { raw in
            if let base = raw.baseAddress {
                Masking.apply(key: key, from: base, to: base, count: raw.count)
            }
        }
        #expect(data == original)
    }

    @Test func piecewiseWithPhaseEqualsWhole() {
        let key: (UInt8, UInt8, UInt8, UInt8) = (9, 8, 7, 6)
        let original = pseudoRandomBytes(count: 50)
        let whole = FrameEncoder.encode(opcode: .binary, payload: original, maskingKey: key)
        let maskedPayload = Array(whole[6...])
        for cut in 0...50 {
            var out = maskedPayload
            out.withUnsafeMutableBytes { raw in
                if let base = raw.baseAddress {
                    Masking.apply(key: key, phase: 0, from: base, to: base, count: cut)
                    Masking.apply(key: key, phase: cut, from: base + cut, to: base + cut, count: 50 - cut)
                }
            }
            #expect(out == original)
        }
    }
}
