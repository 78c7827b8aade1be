import CFuzzDriver
import Foundation
import WebSocket
/// One libFuzzer input: the bytes a client sends after the upgrade, to a connection that
/// negotiated permessage-deflate (so RSV1 frames are inflated). The first byte picks where the
/// input is split into two reads, so split-frame paths are covered too.
@_cdecl("LLVMFuzzerTestOneInput")
public func LLVMFuzzerTestOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> Int32 {
    guard let data, size > 0 else { return 0 }
    let input = UnsafeRawBufferPointer(start: data, count: size)
    let split = Int(input[0]) % size
    let negotiated = PerMessageDeflate.negotiate(offers: ["permessage-deflate"], config: fuzzDeflateConfig)
    var configuration = WebSocketConfiguration()
    configuration.maxMessageSize = 1 << 20
    configuration.maxFramePayload = 1 << 20
    var connection = WebSocketConnection(configuration: configuration, deflate: negotiated, codec: fuzzCodec)
    var actions: [WebSocketAction] = []
    connection.receive(UnsafeRawBufferPointer(rebasing: input[1..<max(1, split)]), into: &actions)
    connection.receive(UnsafeRawBufferPointer(rebasing: input[max(1, split)...]), into: &actions)
    // Invariant: nothing is delivered after the transport was told to close.
    if let close = actions.firstIndex(of: .closeTransport) {
        for action in actions[close...] {
            if case .message = action { fatalError("message after closeTransport") }
        }
    }
    return 0
}

nonisolated(unsafe) let fuzzDeflateConfig: PerMessageDeflateConfig = {
    var config = PerMessageDeflateConfig()
    config.maxDecompressedSize = 1 << 20
    return config
}()
nonisolated(unsafe) let fuzzCodec = DeflateCodec(parameters: .noContextTakeover)

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
