import ArgumentParser
import Logging
import Reactor
import Server

/// `rally-server`: command-line options → `ServerConfiguration` → run.
struct RallyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rally-server",
        abstract: "Rally: a real-time messaging server.")

    @Option(name: .long, help: "Address to listen on, HOST:PORT (repeatable; port 0 picks one).")
    var listen: [String] = ["127.0.0.1:8080"]

    @Option(name: .long, help: "Event loops (threads); default: the CPUs available.")
    var loops: Int?

    @Flag(name: .long, help: "Serve ws://HOST:PORT/echo, echoing every message (conformance, benchmarks).")
    var echo = false

    @Option(name: .customLong("tls-cert"), help: "PEM certificate chain: serve wss:// with --tls-key.")
    var tlsCert: String?

    @Option(name: .customLong("tls-key"), help: "PEM private key for --tls-cert.")
    var tlsKey: String?

    @Option(name: .customLong("allowed-origin"), help: "Origin allowed to open a WebSocket (repeatable; none: any).")
    var allowedOrigins: [String] = []

    @Option(name: .customLong("max-message-size"), help: "Largest message in bytes, after decompression (close 1009).")
    var maxMessageSize: Int = 16 << 20

    @Option(name: .customLong("max-outbound-bytes"), help: "Outbound bytes queued per connection before it is closed as a slow consumer (4001).")
    var maxOutboundBytes: Int = 1 << 20

    @Option(name: .customLong("loop-outbound-budget"), help: "Outbound bytes queued per loop before the largest queues are cut.")
    var loopOutboundBudget: Int = 256 << 20

    @Option(name: .customLong("ping-interval"), help: "Seconds of silence before the server pings (0: never).")
    var pingInterval: Double = 30

    @Option(name: .customLong("idle-timeout"), help: "Seconds of silence before a connection is closed with 4002 (0: never).")
    var idleTimeout: Double = 75

    @Flag(name: .customLong("no-deflate"), help: "Refuse permessage-deflate.")
    var noDeflate = false

    @Flag(name: .customLong("deflate-context-takeover"), help: "Allow context takeover (~300 KiB of zlib state a connection).")
    var deflateContextTakeover = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    func validate() throws {
        if (tlsCert == nil) != (tlsKey == nil) { throw ValidationError("--tls-cert and --tls-key go together") }
        if let loops, loops < 1 || loops > 256 { throw ValidationError("--loops must be between 1 and 256") }
        if maxMessageSize < 125 || maxMessageSize > 1 << 30 {
            throw ValidationError("--max-message-size must be between 125 and 1073741824")
        }
        if maxOutboundBytes < 4096 || maxOutboundBytes > 1 << 30 {
            throw ValidationError("--max-outbound-bytes must be between 4096 and 1073741824")
        }
        if loopOutboundBudget < maxOutboundBytes || loopOutboundBudget > 1 << 40 {
            throw ValidationError("--loop-outbound-budget must be at least --max-outbound-bytes")
        }
        for (name, value) in [("--ping-interval", pingInterval), ("--idle-timeout", idleTimeout)] {
            guard value.isFinite, value >= 0, value <= 86_400 else {
                throw ValidationError("\(name) must be between 0 and 86400 seconds")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "rally")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var configuration = ServerConfiguration()
        configuration.listen = try listen.map { try SocketAddress(parsing: $0) }
        if let loops { configuration.loops = loops }
        configuration.echo = echo
        configuration.tlsCertificate = tlsCert
        configuration.tlsKey = tlsKey
        configuration.allowedOrigins = allowedOrigins
        configuration.maxMessageSize = maxMessageSize
        configuration.loop.maxOutboundBytesPerChannel = maxOutboundBytes
        configuration.loop.outboundBudget = loopOutboundBudget
        configuration.pingInterval = UInt64(pingInterval * 1e9)
        configuration.idleTimeout = UInt64(idleTimeout * 1e9)
        configuration.deflate.enabled = !noDeflate
        if deflateContextTakeover {
            configuration.deflate.serverNoContextTakeover = false
            configuration.deflate.clientNoContextTakeover = false
        }
        configuration.deflate.maxDecompressedSize = maxMessageSize

        let server = try RallyServer(configuration: configuration, logger: logger)
        try server.run()
    }
}
