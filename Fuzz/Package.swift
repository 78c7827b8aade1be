// swift-tools-version:6.0
import PackageDescription

// libFuzzer targets for Rally's parsers. Built with
//   swift build --product NAME -Xswiftc -sanitize=fuzzer,address --scratch-path .build-fuzz
// by run.sh. Without the sanitizer flags each target replays the files it is given, which is
// how FailCases/ stays a regression suite.
let package = Package(
    name: "RallyFuzz",
    dependencies: [.package(name: "Rally", path: "..")],
    targets: [
        .target(name: "CFuzzDriver"),
        .executableTarget(name: "FuzzFrameDecoder", dependencies: [
            "CFuzzDriver", .product(name: "WebSocket", package: "Rally"),
        ]),
        .executableTarget(name: "FuzzHTTPParser", dependencies: [
            "CFuzzDriver", .product(name: "HTTP1", package: "Rally"),
        ]),
    ]
)
