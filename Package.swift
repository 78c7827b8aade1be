// swift-tools-version:6.0
import PackageDescription

// One target per layer; arrows point down to pure code (see docs/ARCHITECTURE.md).
// C libraries are reached through small shim targets: Swift cannot call C macros or
// variadic functions, and Glibc does not export epoll/eventfd/signalfd/tcp headers.
// Dynamic exclusivity checks cost ~7% of the CPU of an echoed message (a thread-local access
// set consulted on every class-property access). The reactor, the codec and the server are
// single-threaded per loop and checked in debug builds (tests run there with the checks on).
let hotPath: [SwiftSetting] = [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "Rally",
    products: [
        .executable(name: "rally-server", targets: ["rally-server"]),
        .executable(name: "rally-bench", targets: ["rally-bench"]),
        // The pure layers, for the fuzz package (Fuzz/) and other tools.
        .library(name: "HTTP1", targets: ["HTTP1"]),
        .library(name: "WebSocket", targets: ["WebSocket"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
    ],
    targets: [
        // C shims
        .target(name: "CEpoll"),
        .target(name: "COpenSSL", linkerSettings: [.linkedLibrary("ssl"), .linkedLibrary("crypto")]),
        .target(name: "CZlib", linkerSettings: [.linkedLibrary("z")]),
        .target(name: "CHiredis", linkerSettings: [.linkedLibrary("hiredis")]),
        .target(name: "CSQLite", linkerSettings: [.linkedLibrary("sqlite3")]),

        // Pure layers: no sockets, no clock, no threads.
        .target(name: "HTTP1"),
        .target(name: "WebSocket", dependencies: ["CZlib"], swiftSettings: hotPath),
        .target(name: "WireProtocol", swiftSettings: hotPath),
        .target(name: "Chat", dependencies: ["WireProtocol"]),
        .target(name: "Broker", dependencies: ["WireProtocol"]),
        .target(name: "Embedded", dependencies: ["Broker", "Chat", "Store", "WireProtocol"],
                swiftSettings: [.swiftLanguageMode(.v5)]),

        // I/O layers.
        .target(name: "Reactor", dependencies: ["CEpoll"],
                swiftSettings: [.swiftLanguageMode(.v5)] + hotPath),
        .target(name: "Store", dependencies: ["CSQLite"],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .target(name: "Auth", dependencies: ["COpenSSL"],
                swiftSettings: [.enableUpcomingFeature("MemberImportVisibility")]),
        .target(name: "TLS", dependencies: ["COpenSSL"],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .target(name: "Server",
                dependencies: ["Reactor", "TLS", "HTTP1", "WebSocket", "WireProtocol", "Chat", "Broker",
                               "Embedded", "Auth", .product(name: "Logging", package: "swift-log")],
                swiftSettings: [.swiftLanguageMode(.v5)] + hotPath),
        .target(name: "RallyClient", dependencies: ["Reactor", "HTTP1", "WebSocket", "WireProtocol"],
                swiftSettings: [.swiftLanguageMode(.v5)]),
        .executableTarget(name: "rally-server",
                          dependencies: ["Server",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser"),
                                         .product(name: "Logging", package: "swift-log")],
                          swiftSettings: [.swiftLanguageMode(.v5)]),

        .executableTarget(name: "rally-bench",
                          dependencies: ["RallyClient", "Auth", "Reactor", "WireProtocol",
                                         .product(name: "ArgumentParser", package: "swift-argument-parser")],
                          swiftSettings: [.swiftLanguageMode(.v5)]),

        // Tests mirror targets.
        .testTarget(name: "AuthTests", dependencies: ["Auth", "COpenSSL"]),
        .testTarget(name: "CHiredisTests", dependencies: ["CHiredis"]),
        .testTarget(name: "HTTP1Tests", dependencies: ["HTTP1"]),
        .testTarget(name: "WireProtocolTests", dependencies: ["WireProtocol"]),
        .testTarget(name: "ChatTests", dependencies: ["Chat", "WireProtocol"]),
        .testTarget(name: "WebSocketTests", dependencies: ["WebSocket"]),
        .testTarget(name: "ReactorTests", dependencies: ["Reactor", "CEpoll"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "EmbeddedTests", dependencies: ["Embedded", "Broker", "WireProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "RallyClientTests", dependencies: ["RallyClient", "Server", "Embedded", "Broker", "Auth", "WireProtocol", "Reactor",
                                                            .product(name: "Logging", package: "swift-log")],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "StoreTests", dependencies: ["Store"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "TLSTests", dependencies: ["TLS", "COpenSSL"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
        .testTarget(name: "ServerTests", dependencies: ["Server", "Reactor", "WebSocket", "HTTP1", "WireProtocol"],
                    swiftSettings: [.swiftLanguageMode(.v5)]),
    ]
)
