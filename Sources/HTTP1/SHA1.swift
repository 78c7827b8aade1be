/// SHA-1 (FIPS 180-4), for the WebSocket handshake's `Sec-WebSocket-Accept` only.
///
/// SHA-1 is broken for collision resistance; RFC 6455 uses it as a fixed transform, not for
/// security, and nothing else in Rally should.
public enum SHA1 {
    /// The 20-byte digest of `bytes`.
    public static func hash(_ bytes: [UInt8]) -> [UInt8] {
        var state = State()
        // The message schedule lives on the stack: hashing allocates only the tail and result.
        withUnsafeTemporaryAllocation(of: UInt32.self, capacity: 80) { schedule in
            let fullBlocks = bytes.count / 64
            bytes.withUnsafeBufferPointer { message in
                for block in 0..<fullBlocks {
                    state.compress(message.slice((block * 64)..<(block * 64 + 64)), schedule: schedule)
                }
            }
            // Padding (FIPS 180-4 §5.1.1): 0x80, zeros up to 56 mod 64, then the bit length.
            var tail = Array(bytes[(fullBlocks * 64)...])
            tail.append(0x80)
            while tail.count % 64 != 56 { tail.append(0) }
            let bitLength = UInt64(bytes.count) &* 8
            for shift in stride(from: 56, through: 0, by: -8) {
                tail.append(UInt8(truncatingIfNeeded: bitLength >> UInt64(shift)))
            }
            tail.withUnsafeBufferPointer { padded in
                for block in 0..<(padded.count / 64) {
                    state.compress(padded.slice((block * 64)..<(block * 64 + 64)), schedule: schedule)
                }
            }
        }
        return state.digest
    }

    /// The five chaining words.
    private struct State {
        var h0: UInt32 = 0x6745_2301
        var h1: UInt32 = 0xEFCD_AB89
        var h2: UInt32 = 0x98BA_DCFE
        var h3: UInt32 = 0x1032_5476
        var h4: UInt32 = 0xC3D2_E1F0

        var digest: [UInt8] {
            var out: [UInt8] = []
            out.reserveCapacity(20)
            for word in [h0, h1, h2, h3, h4] {
                out.append(UInt8(truncatingIfNeeded: word >> 24))
                out.append(UInt8(truncatingIfNeeded: word >> 16))
                out.append(UInt8(truncatingIfNeeded: word >> 8))
                out.append(UInt8(truncatingIfNeeded: word))
            }
            return out
        }

        /// Processes one 64-byte block (FIPS 180-4 §6.1.2); `schedule` holds 80 words of scratch.
        mutating func compress(_ block: UnsafeBufferPointer<UInt8>, schedule w: UnsafeMutableBufferPointer<UInt32>) {
            for i in 0..<16 {
                w[i] = UInt32(block[4 * i]) << 24 | UInt32(block[4 * i + 1]) << 16
                    | UInt32(block[4 * i + 2]) << 8 | UInt32(block[4 * i + 3])
            }
            for i in 16..<80 {
                w[i] = rotateLeft(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], by: 1)
            }
            var a = h0, b = h1, c = h2, d = h3, e = h4
            // Four loops of 20 rounds, one per round function, rather than a switch per round.
            @inline(__always)
            func round(_ f: UInt32, _ k: UInt32, _ word: UInt32) {
                let temp = rotateLeft(a, by: 5) &+ f &+ e &+ k &+ word
                e = d
                d = c
                c = rotateLeft(b, by: 30)
                b = a
                a = temp
            }
            for i in 0..<20 { round((b & c) | (~b & d), 0x5A82_7999, w[i]) }
            for i in 20..<40 { round(b ^ c ^ d, 0x6ED9_EBA1, w[i]) }
            for i in 40..<60 { round((b & c) | (b & d) | (c & d), 0x8F1B_BCDC, w[i]) }
            for i in 60..<80 { round(b ^ c ^ d, 0xCA62_C1D6, w[i]) }
            h0 &+= a
            h1 &+= b
            h2 &+= c
            h3 &+= d
            h4 &+= e
        }
    }
}

@inline(__always)
private func rotateLeft(_ x: UInt32, by n: UInt32) -> UInt32 {
    (x << n) | (x >> (32 - n))
}
