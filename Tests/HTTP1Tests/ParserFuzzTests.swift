import Foundation
@testable import HTTP1
import Testing

/// SplitMix64: a tiny seeded generator, so every run (and every failure) is reproducible.
private struct SplitMix64: RandomNumberGenerator {
    var state: UInt64
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

private let corpus: [String] = [
    "GET /chat?room=1 HTTP/1.1\r\nHost: h\r\nConnection: keep-alive\r\n\r\n",
    "POST /m HTTP/1.1\r\nHost: h\r\nContent-Length: 5\r\n\r\nhelloGET / HTTP/1.0\r\n\r\n",
    "POST /c HTTP/1.1\r\nHost: h\r\nTransfer-Encoding: chunked\r\n\r\n3;x=y\r\nabc\r\n0\r\nT: 1\r\n\r\n",
    "GET /ws HTTP/1.1\r\nHost: h\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n\r\n\u{81}\u{80}abcd",
]

/// Bytes that tend to sit on the parser's decision points.
private let interesting: [UInt8] = Array("\r\n :;,0aF\t\u{0}\u{7f}/?*#=".utf8) + [0x80, 0xFF]

private func mutate(_ input: [UInt8], using rng: inout SplitMix64) -> [UInt8] {
    var bytes = input
    for _ in 0..<Int.random(in: 1...4, using: &rng) {
        let position = bytes.isEmpty ? 0 : Int.random(in: 0..<bytes.count, using: &rng)
        switch Int.random(in: 0..<5, using: &rng) {
        case 0 where !bytes.isEmpty:
            bytes[position] = interesting.randomElement(using: &rng) ?? 0
        case 1:
            bytes.insert(interesting.randomElement(using: &rng) ?? 0, at: position)
        case 2 where !bytes.isEmpty:
            bytes.remove(at: position)
        case 3:
            bytes.insert(UInt8.random(in: 0...255, using: &rng), at: position)
        default:
            let end = min(bytes.count, position + Int.random(in: 1...16, using: &rng))
            bytes.insert(contentsOf: bytes[position..<end], at: position)
        }
    }
    return bytes
}

@Suite("Request parser: mutated input")
struct ParserFuzzTests {
    /// Mutated requests never crash the parser, and three-piece splits at random points give the
    /// same outcome as feeding the input whole. `HTTP1_FUZZ_ITERATIONS` runs it longer.
    @Test func mutatedRequestsAreSplitInvariantAndNeverCrash() {
        let iterations = Int(ProcessInfo.processInfo.environment["HTTP1_FUZZ_ITERATIONS"] ?? "") ?? 3000
        var rng = SplitMix64(state: 0x5EED)
        let limits = [
            HTTPParserLimits.default,
            HTTPParserLimits(maxRequestLineBytes: 20, maxHeaderCount: 2, maxHeaderBytes: 30, maxBodyBytes: 4),
        ]
        var failures = 0
        var statuses: Set<Int> = []
        var completeRequests = 0
        for iteration in 0..<iterations {
            let base = bytes(corpus[iteration % corpus.count])
            let input = mutate(base, using: &rng)
            let limit = limits[iteration % limits.count]
            let whole = parse([input], limits: limit)
            let a = Int.random(in: 0...input.count, using: &rng)
            let b = Int.random(in: a...input.count, using: &rng)
            let split = parse([Array(input[..<a]), Array(input[a..<b]), Array(input[b...])], limits: limit)
            if let error = whole.error { statuses.insert(error.status) }
            completeRequests += whole.events.filter { $0 == .end }.count
            if split != whole {
                failures += 1
                Issue.record("iteration \(iteration), splits \(a)/\(b), input \(input): \(split.testDescription) != \(whole.testDescription)")
                if failures > 3 { break }
            }
        }
        // The mutations must reach both outcomes, or this test proves nothing.
        #expect(completeRequests > iterations / 10)
        #expect(statuses.isSuperset(of: [400, 413, 414, 431]), "\(statuses)")
    }
}
