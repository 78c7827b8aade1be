import CFuzzDriver
import Foundation

// With libFuzzer linked in, fuzz; otherwise replay every file named on the command line.
let status = fuzz_run_driver(CommandLine.argc, CommandLine.unsafeArgv, fuzzOne)
if status == -1 {
    for path in CommandLine.arguments.dropFirst() {
        guard let data = FileManager.default.contents(atPath: path) else { continue }
        let bytes = [UInt8](data)
        _ = bytes.withUnsafeBufferPointer { fuzzOne($0.baseAddress, $0.count) }
        print("replayed \(path)")
    }
} else {
    exit(status)
}
