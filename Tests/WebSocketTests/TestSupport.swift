@testable import WebSocket

/// Masking key used by test "clients".
let testKey: (UInt8, UInt8, UInt8, UInt8) = (0x37, 0xFA, 0x21, 0x3D)

/// A masked frame as a client sends it.
func clientFrame(
    _ opcode: WebSocketOpcode, _ payload: [UInt8], fin: Bool = true, rsv1: Bool = false
) -> [UInt8] {
    FrameEncoder.encode(opcode: opcode, payload: payload, fin: fin, rsv1: rsv1, maskingKey: testKey)
}

/// A frame header with arbitrary (possibly invalid) first byte and length, masked.
func rawMaskedFrame(byte0: UInt8, payload: [UInt8]) -> [UInt8] {
    var frame = clientFrame(.binary, payload)
    frame[0] = byte0
    return frame
}

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// What decoding produced: frames in order, then the error that stopped it (if any).
struct DecodeOutcome: Equatable {
    var frames: [WebSocketFrame] = []
    var error: WebSocketError? = nil
}

/// The ways an input is cut into reads: whole, one byte at a time, and split in two at
/// every index. For inputs over `exhaustiveLimit` bytes the two-way split uses every index
/// inside the first and last 40 bytes plus every 997th index, to keep the test fast.
func chunkings(of input: [UInt8], exhaustiveLimit: Int = 4096) -> [[[UInt8]]] {
    var result: [[[UInt8]]] = [[input]]
    result.append(input.map { [$0] })
    let indices: [Int]
    if input.count <= exhaustiveLimit {
        indices = Array(0...input.count)
    } else {
        indices = Array(Set(Array(0..<40) + Array(stride(from: 0, to: input.count, by: 997))
            + Array((input.count - 40)...input.count))).sorted()
    }
    for i in indices {
        result.append([Array(input[..<i]), Array(input[i...])])
    }
    return result
}

/// Decodes chunks with the public feed/next API.
func decodeByFeeding(_ chunks: [[UInt8]], decoder: FrameDecoder) -> DecodeOutcome {
    var decoder = decoder
    var outcome = DecodeOutcome()
    do throws(WebSocketError) {
        for chunk in chunks {
            chunk.withUnsafeBytes { decoder.feed($0) }
            while let frame = try decoder.next() { outcome.frames.append(frame) }
        }
    } catch {
        outcome.error = error
    }
    return outcome
}

/// Decodes chunks with the zero-copy `next(from:consumed:)` path.
func decodeDirectly(_ chunks: [[UInt8]], decoder: FrameDecoder) -> DecodeOutcome {
    var decoder = decoder
    var outcome = DecodeOutcome()
    for chunk in chunks {
        let failure = chunk.withUnsafeBytes { raw -> WebSocketError? in
            var consumed = 0
            do throws(WebSocketError) {
                while let frame = try decoder.next(from: raw, consumed: &consumed) {
                    outcome.frames.append(frame)
                }
            } catch {
                return error
            }
            return nil
        }
        if let failure {
            outcome.error = failure
            break
        }
    }
    return outcome
}

/// Runs reads through a connection and collects every action.
func run(_ connection: inout WebSocketConnection, _ chunks: [[UInt8]]) -> [WebSocketAction] {
    var actions: [WebSocketAction] = []
    for chunk in chunks {
        chunk.withUnsafeBytes { connection.receive($0, into: &actions) }
    }
    return actions
}

/// The actions that failing with `error` produces.
func failure(_ error: WebSocketError) -> [WebSocketAction] {
    [.sendClose(code: error.closeCode, reason: error.reason), .closeTransport]
}

/// Deterministic pseudo-random bytes (xorshift), so test data is reproducible.
func pseudoRandomBytes(count: Int, seed: UInt64 = 0x9E37_79B9_7F4A_7C15) -> [UInt8] {
    var state = seed
    return (0..<count).map { _ in
        state ^= state << 13
        state ^= state >> 7
        state ^= state << 17
        return UInt8(truncatingIfNeeded: state)
    }
}
