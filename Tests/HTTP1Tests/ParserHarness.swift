@testable import HTTP1
import Testing

/// The bytes of `text` (UTF-8).
func bytes(_ text: String) -> [UInt8] {
    Array(text.utf8)
}

/// Everything a caller observes from feeding a parser: the events (adjacent `.body` chunks
/// merged, since how a body is cut depends on how it arrived), the error if one was thrown, and
/// the bytes handed over after the head of a WebSocket upgrade.
struct ParseOutcome: Equatable, CustomTestStringConvertible {
    var events: [HTTPRequestEvent] = []
    var error: HTTPParseError?
    var upgradedBytes: [UInt8]?

    mutating func record(_ event: HTTPRequestEvent) {
        if case .body(let more) = event, case .body(let earlier)? = events.last {
            events[events.count - 1] = .body(earlier + more)
        } else {
            events.append(event)
        }
    }

    var testDescription: String {
        "events: \(events), error: \(String(describing: error)), upgraded: \(String(describing: upgradedBytes))"
    }
}

/// Feeds `pieces` one after another the way the event loop does — feed, then pull events until
/// nil — and acts like the caller: after the `.head` of an upgrade request it takes the remaining
/// bytes and sends everything later to the WebSocket side instead of the parser.
///
/// Also checks two contract points on every run: an error is sticky, and a parser that has
/// consumed everything holds no buffer storage.
func parse(_ pieces: [[UInt8]], limits: HTTPParserLimits = .default) -> ParseOutcome {
    var parser = HTTPRequestParser(limits: limits)
    var outcome = ParseOutcome()
    for piece in pieces {
        if let upgraded = outcome.upgradedBytes {
            outcome.upgradedBytes = upgraded + piece
            continue
        }
        parser.feed(piece)
        do {
            while let event = try parser.next() {
                outcome.record(event)
                if case .head(let head) = event, WebSocketUpgrade.isUpgradeRequest(head) {
                    outcome.upgradedBytes = parser.takeRemainingBytes()
                    break
                }
            }
        } catch {
            outcome.error = error
            #expect(throws: error) { try parser.next() }
            parser.feed(bytes("GET / HTTP/1.1\r\nHost: a\r\n\r\n"))
            #expect(throws: error) { try parser.next() }
            return outcome
        }
        if parser.bufferedByteCount == 0 {
            #expect(parser.bufferCapacity == 0, "an idle parser must hold no buffer storage")
        }
    }
    return outcome
}

/// Parses `input` whole, byte by byte, and split in two at every index, expects every way to give
/// the same outcome, and returns it for the caller's own expectations.
@discardableResult
func parseEverySplit(
    _ input: [UInt8],
    limits: HTTPParserLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) -> ParseOutcome {
    let whole = parse([input], limits: limits)
    let byteByByte = parse(input.map { [$0] }, limits: limits)
    #expect(byteByByte == whole, "byte by byte", sourceLocation: sourceLocation)
    for split in 0...input.count {
        let outcome = parse([Array(input[..<split]), Array(input[split...])], limits: limits)
        if outcome != whole {
            Issue.record("split at \(split): \(outcome.testDescription) != \(whole.testDescription)",
                         sourceLocation: sourceLocation)
            break
        }
    }
    return whole
}

/// Like `parseEverySplit` for input that must fail: expects the error's status to be `status`
/// (and, when given, the exact error), and no `.head` event unless `headFirst`.
func expectFailure(
    _ input: [UInt8],
    status: Int,
    exactly expected: HTTPParseError? = nil,
    headFirst: Bool = false,
    limits: HTTPParserLimits = .default,
    sourceLocation: SourceLocation = #_sourceLocation
) {
    let outcome = parseEverySplit(input, limits: limits, sourceLocation: sourceLocation)
    #expect(outcome.error?.status == status, "\(outcome.testDescription)", sourceLocation: sourceLocation)
    if let expected {
        #expect(outcome.error == expected, sourceLocation: sourceLocation)
    }
    let sawHead = outcome.events.contains { if case .head = $0 { true } else { false } }
    #expect(sawHead == headFirst, "\(outcome.testDescription)", sourceLocation: sourceLocation)
}

/// A head as the parser should build it from an origin-form target.
func expectedHead(
    _ method: String,
    _ target: String,
    versionMinor: Int = 1,
    _ headers: [(String, String)]
) -> HTTPRequestHead {
    let parts = target.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false)
    return HTTPRequestHead(
        method: method,
        target: target,
        path: String(parts[0]),
        query: parts.count > 1 ? String(parts[1]) : nil,
        versionMinor: versionMinor,
        headers: HTTPHeaders(headers)
    )
}
