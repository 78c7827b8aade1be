import Logging
import Reactor
import TLS
import WebSocket

/// What one loop's connections share: scratch buffers, the deflate codec for connections
/// without context takeover (one per loop, so a message is compressed once and zlib memory
/// does not grow with connections), and the reused action list.
final class LoopContext {
    let loop: EventLoop
    let configuration: ServerConfiguration
    let logger: Logger
    let tls: TLSContext?
    let routes: Routes
    /// The chat service on this loop, when configured.
    var hub: ChatHub?
    /// `/pubsub` (with `--echo`): topic → connections, for fan-out benchmarks.
    let pubsub = SubscriptionIndex<Connection>()
    /// Shared by every connection that negotiated no context takeover in both directions.
    lazy var sharedDeflate = DeflateCodec(parameters: .noContextTakeover)
    /// Reused by every `WebSocketConnection.receive` call on this loop.
    var actions: [WebSocketAction] = []
    /// Decrypted records (16 KiB of plaintext at most each) and drained ciphertext. Two
    /// buffers: a read's plaintext may cause an early encryption of pending output.
    let tlsReadScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 17 << 10, alignment: 16)
    let tlsWriteScratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 18 << 10, alignment: 16)

    init(loop: EventLoop, configuration: ServerConfiguration, logger: Logger, tls: TLSContext?, routes: Routes) {
        self.loop = loop
        self.configuration = configuration
        self.logger = logger
        self.tls = tls
        self.routes = routes
    }

    deinit {
        tlsReadScratch.deallocate()
        tlsWriteScratch.deallocate()
    }

    /// Once a second: ping quiet WebSockets, close dead ones, drop stalled handshakes.
    func sweep() {
        hub?.handleLostEvents()
        if let hub, hub.loopIndex == 0 { hub.directory.userLimits.sweep(now: loop.now) }
        let now = loop.now
        loop.forEachChannel { channel in
            guard let connection = channel.handler as? Connection else { return }
            connection.sweep(now: now)
        }
    }
}

/// Which endpoints exist.
struct Routes {
    var echo: Bool
}
