import ArgumentParser
import Auth
import Embedded
import Glibc
import Logging
import Reactor
import Server
import WireProtocol

/// `rally-server serve` (the default): command-line options → `ServerConfiguration` → run.
struct ServeCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "serve",
        abstract: "Serve (embedded mode: SQLite under --data-dir, no Redis).")

    @Option(name: .long, help: "Address to listen on, HOST:PORT (repeatable; port 0 picks one).")
    var listen: [String] = ["127.0.0.1:8080"]

    @Option(name: .customLong("api-listen"), help: "Serve the HTTP API on its own address (plain HTTP), and not on --listen.")
    var apiListen: [String] = []

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

    @Option(name: .customLong("message-timeout"), help: "Seconds a begun WebSocket message may take to arrive whole (close 1008 beyond).")
    var messageTimeout: Double = 60

    @Flag(name: .customLong("no-deflate"), help: "Refuse permessage-deflate.")
    var noDeflate = false

    @Flag(name: .customLong("deflate-context-takeover"), help: "Allow context takeover (~300 KiB of zlib state a connection).")
    var deflateContextTakeover = false

    @Option(name: .customLong("log-level"), help: "trace, debug, info, notice, warning, error or critical.")
    var logLevel: String = "info"

    @Option(name: .customLong("data-dir"), help: "Where the embedded store keeps its SQLite file.")
    var dataDir: String = "./rally-data"

    @Option(name: .customLong("jwt-key"), help: ArgumentHelp("A token verification key (repeatable), e.g. hs256:kid=k1:secret-file=/etc/rally/secret, rs256:kid=k2:file=/etc/rally/pub.pem, es256:file=ec.pem, hs256:secret=env:RALLY_JWT_SECRET."))
    var jwtKeys: [String] = []

    @Option(name: .customLong("jwt-issuer"), help: "Required iss claim.")
    var jwtIssuer: String?

    @Option(name: .customLong("jwt-audience"), help: "Required aud claim.")
    var jwtAudience: String?

    @Option(name: .customLong("jwt-leeway"), help: "Seconds of clock skew allowed around exp and nbf (also for open connections).")
    var jwtLeeway: Int64 = 30

    @Option(name: .customLong("jwt-max-lifetime"),
            help: "Refuse tokens whose exp - iat is longer than this many seconds (iat then required). Off by default.")
    var jwtMaxLifetime: Int64?

    @Option(name: .customLong("api-key"), help: ArgumentHelp("An API key for /api/ (repeatable); env:NAME reads an environment variable."))
    var apiKeys: [String] = []

    @Flag(name: .long, help: "Development mode: GET /dev/token?user=NAME signs anyone in, demo rooms, the demo page at /. Loopback only unless --force-dev.")
    var dev = false

    @Flag(name: .customLong("force-dev"), help: "Allow --dev on a non-loopback address (never in production).")
    var forceDev = false

    @Option(name: .customLong("dm-policy"), help: "members (members who share a group, and everyone to their leaders) or leaders (only conversations with a leader).")
    var dmPolicy: String = "members"

    @Option(name: .customLong("command-rate"), help: "Commands per second per connection, and per user across their sessions (burst: --command-burst).")
    var commandRate: Int = 10

    @Option(name: .customLong("command-burst"), help: "Commands a connection may send at once.")
    var commandBurst: Int = 20

    @Option(name: .customLong("text-max"), help: "Longest message text, in Unicode scalars.")
    var textMax: Int = 4_000

    @Option(name: .customLong("rooms-max"), help: "Group and announcement rooms a user may be in (direct rooms not counted).")
    var roomsMax: Int = 1_000

    @Option(name: .customLong("direct-rooms-max"), help: "Direct rooms (conversations) a user may be in.")
    var directRoomsMax: Int = 10_000

    @Option(name: .customLong("new-dms-per-hour"), help: "New direct rooms one user may open per hour.")
    var newDirectRoomsPerHour: Int = 30

    @Option(name: .customLong("blocks-max"), help: "Users one user may block.")
    var blocksMax: Int = 1_000

    @Option(name: .customLong("recent-events"),
            help: "Recent events per room kept in memory for recovery (older recoveries are read from the store).")
    var recentEvents: Int = 1_000

    @Option(name: .customLong("reader-threads"), help: "Threads reading the store (history, recovery, unread counts).")
    var readerThreads: Int = 2

    @Option(name: .customLong("sessions-per-user"),
            help: "Sessions one user may have open on this instance; the newest beyond is refused (4006).")
    var sessionsPerUser: Int = 16

    @Option(name: .customLong("connect-timeout"), help: "Seconds a client has to send connect (else close 4004).")
    var connectTimeout: Double = 5

    @Option(name: .customLong("max-body"), help: "Largest HTTP request body in bytes (413 beyond).")
    var maxBody: Int = 1 << 20

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
        guard messageTimeout.isFinite, messageTimeout >= 1, messageTimeout <= 3_600 else {
            throw ValidationError("--message-timeout must be between 1 and 3600 seconds")
        }
        for (name, value) in [("--ping-interval", pingInterval), ("--idle-timeout", idleTimeout)] {
            guard value.isFinite, value >= 0, value <= 86_400 else {
                throw ValidationError("\(name) must be between 0 and 86400 seconds")
            }
        }
        guard Logger.Level(rawValue: logLevel) != nil else { throw ValidationError("unknown --log-level \(logLevel)") }
        guard ["members", "leaders"].contains(dmPolicy) else { throw ValidationError("--dm-policy is members or leaders") }
        guard (1...10_000).contains(commandRate), (1...10_000).contains(commandBurst) else {
            throw ValidationError("--command-rate and --command-burst must be between 1 and 10000")
        }
        guard (1...100_000).contains(textMax), (1...1_000_000).contains(roomsMax) else {
            throw ValidationError("--text-max must be 1-100000 and --rooms-max 1-1000000")
        }
        guard (1...1_000_000).contains(directRoomsMax), (1...100_000).contains(newDirectRoomsPerHour),
              (1...100_000).contains(blocksMax) else {
            throw ValidationError("--direct-rooms-max must be 1-1000000, --new-dms-per-hour and --blocks-max 1-100000")
        }
        guard (1...100_000).contains(recentEvents), (1...64).contains(readerThreads) else {
            throw ValidationError("--recent-events must be 1-100000 and --reader-threads 1-64")
        }
        guard (1...10_000).contains(sessionsPerUser) else {
            throw ValidationError("--sessions-per-user must be between 1 and 10000")
        }
        for key in apiKeys where !key.hasPrefix("env:") && key.utf8.count < 16 {
            throw ValidationError("an --api-key must be at least 16 characters")
        }
        guard (0...3_600).contains(jwtLeeway) else { throw ValidationError("--jwt-leeway must be between 0 and 3600") }
        if let jwtMaxLifetime, !(60...31_536_000).contains(jwtMaxLifetime) {
            throw ValidationError("--jwt-max-lifetime must be between 60 seconds and a year")
        }
        guard (0...(64 << 20)).contains(maxBody) else { throw ValidationError("--max-body must be between 0 and 67108864") }
        guard connectTimeout.isFinite, connectTimeout > 0, connectTimeout <= 300 else {
            throw ValidationError("--connect-timeout must be between 0 and 300 seconds")
        }
    }

    func run() throws {
        LoggingSystem.bootstrap { StreamLogHandler.standardError(label: $0) }
        var logger = Logger(label: "rally")
        logger.logLevel = Logger.Level(rawValue: logLevel) ?? .info

        var configuration = ServerConfiguration()
        configuration.listen = try listen.map { try SocketAddress(parsing: $0) }
        configuration.apiListen = try apiListen.map { try SocketAddress(parsing: $0) }
        configuration.httpLimits.maxBodyBytes = maxBody
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
        configuration.messageTimeout = UInt64(messageTimeout * 1e9)
        configuration.deflate.enabled = !noDeflate
        if deflateContextTakeover {
            configuration.deflate.serverNoContextTakeover = false
            configuration.deflate.clientNoContextTakeover = false
        }
        configuration.deflate.maxDecompressedSize = maxMessageSize

        let broker = try makeChat(&configuration, logger: logger)
        let server = try RallyServer(configuration: configuration, logger: logger, broker: broker)
        try server.run()
        broker?.stop()
    }

    /// The chat service: keys, limits and the embedded broker. Without keys and without
    /// --dev, only /healthz (and /echo) are served.
    private func makeChat(_ configuration: inout ServerConfiguration, logger: Logger) throws -> EmbeddedBroker? {
        var keys = try jwtKeys.map { try JWTKey.load(spec: $0) }
        var devSecret: [UInt8]?
        if dev {
            if !forceDev, let address = configuration.listen.first(where: { !$0.isLoopback }) {
                throw ValidationError("--dev on \(address) would let anyone sign in as anyone: use a loopback address, or --force-dev")
            }
            var generator = SystemRandomNumberGenerator()
            let secret = (0..<32).map { _ in UInt8.random(in: 0...255, using: &generator) }
            devSecret = secret
            keys.append(.hmac(secret: secret, kid: "dev"))
            logger.warning("DEVELOPMENT MODE: anyone can sign in as anyone through /dev/token. Never expose this server.")
        }
        guard !keys.isEmpty else {
            logger.warning("chat disabled: no --jwt-key (or --dev); serving /healthz\(configuration.echo ? " and /echo" : "") only")
            return nil
        }
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: keys, issuer: jwtIssuer, audience: jwtAudience,
                                                                 leewaySeconds: jwtLeeway, maxLifetimeSeconds: jwtMaxLifetime))
        var chat = ChatConfiguration(verifier: verifier)
        chat.tokenLeewaySeconds = jwtLeeway
        chat.devSecret = devSecret
        chat.apiKeys = try apiKeys.map(Self.resolveSecret)
        if chat.apiKeys.contains(where: { $0.utf8.count < 16 }) { throw ValidationError("an API key must be at least 16 characters") }
        chat.limits = Limits(textMax: textMax, commandRate: commandRate, commandBurst: commandBurst,
                             historyMax: Limits.default.historyMax, roomsMax: roomsMax)
        chat.connectTimeout = UInt64(connectTimeout * 1e9)
        chat.sessionsPerUser = sessionsPerUser
        configuration.chat = chat

        _ = mkdir(dataDir, 0o700)
        var embedded = EmbeddedConfiguration(path: dataDir + "/rally.sqlite")
        embedded.roomsPerUser = roomsMax
        embedded.directRoomsPerUser = directRoomsMax
        embedded.newDirectRoomsPerHour = newDirectRoomsPerHour
        embedded.blocksPerUser = blocksMax
        embedded.recentEventsPerRoom = recentEvents
        embedded.readerThreads = readerThreads
        embedded.directMessages = dmPolicy == "leaders" ? .leadersOnly : .membersAndLeaders
        let broker = try EmbeddedBroker(configuration: embedded)
        if dev {
            _ = try broker.prepare(.createRoom(id: DevRooms.lobby, kind: .group, name: "Lobby"))
            _ = try broker.prepare(.createRoom(id: DevRooms.news, kind: .announcement, name: "News"))
        }
        logger.info("embedded mode", metadata: ["store": "\(embedded.path)", "api": "\(chat.apiKeys.isEmpty ? "closed (no --api-key)" : "open")"])
        return broker
    }

    static func resolveSecret(_ value: String) throws -> String {
        guard value.hasPrefix("env:") else { return value }
        let name = String(value.dropFirst(4))
        guard let pointer = getenv(name), let text = String(validatingCString: pointer), !text.isEmpty else {
            throw ValidationError("environment variable \(name) is not set")
        }
        return text
    }
}
