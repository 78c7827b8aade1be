import Broker
import Logging
import Reactor
import TLS

/// A Rally server: N event loops, each with its own `SO_REUSEPORT` listener per address.
///
/// `init` binds every listener (so the ports are known, and a bad address fails at once);
/// `run` serves on the calling thread until SIGINT/SIGTERM or `stop`; `start`/`wait` serve
/// entirely on background threads (tests).
public final class RallyServer {
    public let configuration: ServerConfiguration
    /// The bound port of each `configuration.listen` address, in order.
    public private(set) var ports: [Int] = []
    let logger: Logger
    private var contexts: [LoopContext] = []
    private var threads: [LoopThread] = []
    private let directory = HubDirectory()

    /// The chat service's broker, when `configuration.chat` is set.
    let broker: Broker?

    public init(configuration: ServerConfiguration, logger: Logger, broker: Broker? = nil) throws {
        self.configuration = configuration
        self.logger = logger
        self.broker = configuration.chat == nil ? nil : broker
        var tls: TLSContext?
        if let certificate = configuration.tlsCertificate, let key = configuration.tlsKey {
            tls = try TLSContext(certificateChainFile: certificate, privateKeyFile: key)
        }
        let routes = Routes(echo: configuration.echo)
        for index in 0..<max(1, configuration.loops) {
            let loop = try EventLoop(index: index, configuration: configuration.loop)
            let context = LoopContext(loop: loop, configuration: configuration, logger: logger, tls: tls, routes: routes)
            loop.onWarning = { [logger] message in logger.warning("\(message)", metadata: ["loop": "\(index)"]) }
            loop.onStop.append { [unowned loop] in
                loop.forEachChannel { ($0.handler as? Connection)?.goAway() }
            }
            // unowned, not weak: a weak reference gives the context a side table, and every
            // retain of it on the data path would take the slow path.
            loop.repeating(every: 1_000_000_000) { [unowned context] in
                context.sweep()
                return true
            }
            if let chat = configuration.chat, let broker = self.broker {
                if index == 0 {
                    directory.userLimits = UserLimits(maxSessions: chat.sessionsPerUser, rate: chat.limits.commandRate,
                                                      burst: chat.limits.commandBurst)
                }
                let hub = ChatHub(loop: loop, broker: broker, configuration: chat, directory: directory)
                hub.loopIndex = broker.attach(hub, delegate: hub)
                directory.hubs.append(hub)
                context.hub = hub
            }
            contexts.append(context)
        }
        broker?.start()
        for address in configuration.listen {
            var port = address.port
            for context in contexts {
                // With port 0 the first listener picks the port; the others share it.
                let bound = try SocketAddress(host: address.host, port: port)
                let listener = try context.loop.listen(on: bound) { [unowned context] channel in
                    Self.accept(channel, context: context)
                }
                port = listener.port
            }
            ports.append(port)
            let scheme = tls == nil ? "ws" : "wss"
            let shown = try SocketAddress(host: address.host, port: port)
            logger.info("listening on \(scheme)://\(shown)", metadata: ["loops": "\(contexts.count)"])
        }
        for address in configuration.apiListen {
            // The API's own listener: plain HTTP, /api/ and /healthz only, for the platform's
            // network; the public listeners then do not serve /api/ at all.
            var port = address.port
            for context in contexts {
                let bound = try SocketAddress(host: address.host, port: port)
                let listener = try context.loop.listen(on: bound) { [unowned context] channel in
                    channel.handler = Connection(context: context, channel: channel, tls: nil, apiOnly: true)
                }
                port = listener.port
            }
            apiPorts.append(port)
            let shown = try SocketAddress(host: address.host, port: port)
            logger.info("API listening on http://\(shown)")
        }
    }

    /// The bound port of each `configuration.apiListen` address.
    public private(set) var apiPorts: [Int] = []

    deinit {
        stop()
        wait()
        broker?.stop()
        directory.hubs = []
    }

    /// A loop's context, for the HTTP API's operations that reach every loop.
    var loopContexts: [LoopContext] { contexts }

    private static func accept(_ channel: Channel, context: LoopContext) {
        var session: TLSSession?
        if let tls = context.tls {
            do {
                session = try TLSSession(context: tls)
            } catch {
                context.logger.error("cannot create a TLS session", metadata: ["error": "\(error)"])
                channel.close()
                return
            }
        }
        channel.handler = Connection(context: context, channel: channel, tls: session)
    }

    /// Serves on background threads, one per loop.
    public func start() throws {
        for context in contexts {
            let thread = LoopThread(loop: context.loop)
            try thread.start()
            threads.append(thread)
        }
    }

    /// Serves until SIGINT or SIGTERM (or `stop`): loop 0 runs on the calling thread, which
    /// also receives the signals; the others on threads of their own. Returns once all stopped.
    /// `blockTerminationSignals()` must have been called before.
    public func run() throws {
        let first = contexts[0].loop
        try first.watchTerminationSignals { [weak self] signal in
            self?.logger.notice("signal \(signal): stopping")
            self?.stop()
        }
        for context in contexts.dropFirst() {
            let thread = LoopThread(loop: context.loop)
            try thread.start()
            threads.append(thread)
        }
        first.run()
        wait()
        logger.notice("stopped")
    }

    /// Asks every loop to stop: open WebSockets get a 1001 close, then loops exit. Any thread.
    public func stop() {
        for context in contexts { context.loop.stop() }
    }

    /// Waits for the loop threads started by `start` or `run`.
    public func wait() {
        for thread in threads { thread.join() }
        threads.removeAll()
    }
}
