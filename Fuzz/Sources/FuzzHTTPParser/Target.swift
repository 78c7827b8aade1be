import HTTP1

/// One libFuzzer input: request bytes, split into two reads at a point the first byte picks.
/// Every head is also put through the WebSocket upgrade validation.
@_cdecl("LLVMFuzzerTestOneInput")
func fuzzOne(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let split = max(1, Int(input[0]) % size)
    var limits = HTTPParserLimits.default
    limits.maxBodyBytes = 64 << 10
    var parser = HTTPRequestParser(limits: limits)
    parser.feed(UnsafeRawBufferPointer(rebasing: input[1..<split]))
    drain(&parser)
    parser.feed(UnsafeRawBufferPointer(rebasing: input[split...]))
    drain(&parser)
    return 0
}

private func drain(_ parser: inout HTTPRequestParser) {
    for _ in 0..<10_000 {
        guard let event = try? parser.next() else { return }
        if case .head(let head) = event {
            _ = WebSocketUpgrade.validate(head, allowedOrigins: ["https://example.org"])
        }
    }
}
