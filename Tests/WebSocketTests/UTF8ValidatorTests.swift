import Testing
@testable import WebSocket

@Suite struct UTF8ValidatorTests {
    private func isValid(_ input: [UInt8]) -> Bool {
        var validator = UTF8Validator()
        return input.withUnsafeBytes { validator.validate($0) } && validator.finish()
    }

    @Test(arguments: [
        "", "plain ASCII that is longer than eight bytes", "κόσμε", "日本語テキスト", "😀 emoji 𝄞",
        "\u{7F}\u{80}\u{7FF}\u{800}\u{FFFF}\u{10000}\u{10FFFF}", "mixed ascii é and more ascii 1234567890",
    ])
    func validSamples(_ text: String) {
        #expect(isValid(bytes(text)))
    }

    @Test(arguments: [
        [0xC0, 0x80], [0xC1, 0xBF], [0xE0, 0x80, 0x80], [0xE0, 0x9F, 0xBF], [0xED, 0xA0, 0x80],
        [0xED, 0xBF, 0xBF], [0xF0, 0x80, 0x80, 0x80], [0xF4, 0x90, 0x80, 0x80], [0xF5, 0x80, 0x80, 0x80],
        [0xFE], [0xFF], [0x80], [0xBF], [0x41, 0x80], [0xC2], [0xE2, 0x82], [0xF0, 0x9F, 0x98],
        [0xC2, 0x41], [0xE2, 0x28, 0xA1],
    ] as [[UInt8]])
    func invalidSamples(_ input: [UInt8]) {
        #expect(!isValid(input))
    }

    @Test func truncatedSequenceIsOnlyInvalidAtEnd() {
        var validator = UTF8Validator()
        #expect(([0xF0, 0x9F] as [UInt8]).withUnsafeBytes { validator.validate($0) })
        #expect(!validator.isComplete)
        let finished = validator.finish()
        #expect(!finished)
    }

    @Test func failsAtTheFirstInvalidByte() {
        let prefix = bytes("κόσμε")
        let input = prefix + [0xED, 0xA0, 0x80] + bytes("edited")
        var validator = UTF8Validator()
        // ED is a fine lead byte; A0 is the first byte that cannot continue it.
        #expect(input.withUnsafeBytes { validator.firstInvalidIndex(in: $0) } == prefix.count + 1)
        #expect(validator.hasFailed)
        // Sticky until reset.
        #expect(!bytes("ok").withUnsafeBytes { validator.validate($0) })
        validator.reset()
        #expect(bytes("ok").withUnsafeBytes { validator.validate($0) })

        var other = UTF8Validator()
        let withFF = prefix + [0xFF] + bytes("more")
        #expect(withFF.withUnsafeBytes { other.firstInvalidIndex(in: $0) } == prefix.count)
    }

    @Test func failureInsideLongASCIIRunIsFoundAtItsIndex() {
        for position in 0..<40 {
            var input = [UInt8](repeating: 0x61, count: 40)
            input[position] = 0x80
            var validator = UTF8Validator()
            #expect(input.withUnsafeBytes { validator.firstInvalidIndex(in: $0) } == position)
        }
    }

    @Test func sequencesSplitAcrossChunksValidate() {
        let input = bytes("a€b😀c\u{10FFFF}")
        for cut1 in 0...input.count {
            for cut2 in cut1...input.count {
                var validator = UTF8Validator()
                let parts = [Array(input[..<cut1]), Array(input[cut1..<cut2]), Array(input[cut2...])]
                let ok = parts.allSatisfy { part in part.withUnsafeBytes { validator.validate($0) } }
                #expect(ok && validator.finish(), "cuts \(cut1) \(cut2)")
            }
        }
    }

    @Test func invalidSplitAcrossChunksFailsInSecondChunk() {
        var validator = UTF8Validator()
        #expect(([0xF4] as [UInt8]).withUnsafeBytes { validator.validate($0) })
        #expect(([0x90, 0x80, 0x80] as [UInt8]).withUnsafeBytes { validator.firstInvalidIndex(in: $0) } == 0)
    }

    @Test func agreesWithStandardLibraryOnAllTwoByteInputsAndBoundaries() {
        // Exhaustive over two bytes, plus every three-byte input with lead E0/ED/EF/F0/F4.
        for a in 0...255 {
            for b in 0...255 {
                let input: [UInt8] = [UInt8(a), UInt8(b)]
                #expect(isValid(input) == (String(validating: input, as: UTF8.self) != nil))
            }
        }
        for lead: UInt8 in [0xE0, 0xED, 0xEF, 0xF0, 0xF4] {
            for b in 0x70...0xC5 {
                for c in [0x41, 0x80, 0xBF, 0xC0] {
                    let input: [UInt8] = [lead, UInt8(b), UInt8(c)] + (lead >= 0xF0 ? [0x80] : [])
                    #expect(isValid(input) == (String(validating: input, as: UTF8.self) != nil))
                }
            }
        }
    }
}
