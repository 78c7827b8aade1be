import CFuzzDriver
import Foundation
import HTTP1
/// One libFuzzer input: request bytes, split into two reads at a point the first byte picks.
/// Every head is also put through the WebSocket upgrade validation.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
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

// With libFuzzer linked in, fuzz; otherwise replay every file named on the command line.
let status = fuzz_run_driver(CommandLine.argc, CommandLine.unsafeArgv)
if status == -1 {
    for path in CommandLine.arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else { continue }
        let bytes = [UInt8](data)
        _ = bytes.withUnsafeBufferPointer { LLVMFuzzerTestOneInput($0.baseAddress, $0.count) }
        print("replayed \(path)")
    }
} else {
    exit(status)
}
