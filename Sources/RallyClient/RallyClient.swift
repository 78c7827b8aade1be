import Reactor
import WireProtocol

/// A Swift client of the Rally protocol on Rally's own event loop: signs in, sends commands
/// and matches their replies, receives pushes, keeps each room's position from events
/// received in order, and reconnects after transient closes with recovery — resending
/// unacknowledged messages with their original client message ids.
///
/// All methods and callbacks run on `loop`'s thread (use `loop.execute` from elsewhere).
public final class RallyClient {
    public enum Status: Equatable {
        case connecting
        case connected(ConnectedResult)
        /// Closed with a code: reconnecting when `willReconnect`.
        case closed(code: UInt16?, reason: String, willReconnect: Bool)
    }

    public struct Options {
        public var host = "127.0.0.1"
        public var port: Int
        public var path = "/ws"
        /// A token for each (re)connect.
        public var token: () -> String
        public var reconnect = true

        public init(port: Int, token: @escaping () -> String) {
            self.port = port
            self.token = token
        }
    }

    public let loop: EventLoop
    public let options: Options
    public var onPush: (Push) -> Void = { _ in }
    public var onStatus: (Status) -> Void = { _ in }
    /// The last event received in order, per room.
    public private(set) var positions: [String: Position] = [:]
    public private(set) var user: String?
    /// Rooms whose recovery was refused at the last connect (history must be paged).
    public private(set) var unrecovered: Set<String> = []

    private var transport: ClientTransport?
    private var pending: [String: (order: Int, command: Command, retry: Bool, completion: (Result<ReplyPayload, ProtocolError>) -> Void)] = [:]
    private var nextID = 1
    private var open = false
    private var stopped = false
    private var backoff: UInt64 = 200_000_000

    public init(loop: EventLoop, options: Options) {
        self.loop = loop
        self.options = options
    }

    /// Connects and signs in (and does so again after transient closes).
    public func start() {
        stopped = false
        dial()
    }

    /// Closes for good.
    public func stop() {
        stopped = true
        transport?.close()
    }

    /// Sends `command`; `completion` gets the reply. Sends (`send`, `dm`) are kept until
    /// acknowledged and resent after a reconnect (their `cmid` makes that safe).
    public func command(_ command: Command, completion: @escaping (Result<ReplyPayload, ProtocolError>) -> Void) {
        let id = String(nextID)
        nextID += 1
        var retry = false
        switch command {
        case .send, .dm: retry = true
        default: break
        }
        pending[id] = (nextID, command, retry, completion)
        if open { transmit(id, command) }
    }

    private func transmit(_ id: String, _ command: Command) {
        transport?.send(WireEncoder.command(CommandEnvelope(id: id, command: command)))
    }

    private func dial() {
        onStatus(.connecting)
        let fd: Int32
        do {
            fd = try Sockets.startConnect(to: SocketAddress(host: options.host, port: options.port))
        } catch {
            return closed(code: nil, reason: "\(error)")
        }
        do {
            let channel = try loop.adopt(fd: fd)
            let transport = ClientTransport(channel: channel, host: "\(options.host):\(options.port)", path: options.path,
                                            subprotocol: "rally.v1") { [weak self] event in self?.handle(event) }
            channel.handler = transport
            self.transport = transport
        } catch {
            closed(code: nil, reason: "\(error)")
        }
    }

    private func handle(_ event: ClientTransport.Event) {
        switch event {
        case .open:
            signIn()
        case .message(let payload):
            receive(payload)
        case .closed(let code, let reason):
            closed(code: code, reason: reason)
        }
    }

    private func signIn() {
        let id = "connect-\(nextID)"
        nextID += 1
        // A room whose log was empty has no event to name: it gets no position.
        let positions = Array(self.positions.values).filter { !$0.id.isEmpty }.sorted { $0.room < $1.room }
        let connect = ConnectCommand(token: options.token(), positions: positions.isEmpty ? nil : positions, client: "RallyClient/1")
        pending[id] = (0, .connect(connect), false, { [weak self] result in self?.signedIn(result) })
        transmit(id, .connect(connect))
    }

    private func signedIn(_ result: Result<ReplyPayload, ProtocolError>) {
        guard case .success(let payload) = result, let connected = try? payload.connected() else {
            // A refused connect that the server did not close on (overloaded, ...): close and
            // try again later, rather than wait for ever.
            transport?.close(code: 4000, reason: "connect failed")
            return
        }
        open = true
        backoff = 200_000_000
        user = connected.user
        unrecovered = []
        for state in connected.rooms {
            let known = positions[state.room]
            if state.recovered == false || known == nil || known?.epoch != state.epoch {
                if state.recovered == false { unrecovered.insert(state.room) }
                positions[state.room] = Position(room: state.room, epoch: state.epoch, id: state.last ?? "")
            }
        }
        for room in positions.keys where !connected.rooms.contains(where: { $0.room == room }) { positions[room] = nil }
        onStatus(.connected(connected))
        for (id, entry) in pending.sorted(by: { $0.value.order < $1.value.order }) where !id.hasPrefix("connect-") {
            transmit(id, entry.command)
        }
    }

    private func receive(_ payload: [UInt8]) {
        switch WireDecoder.decodeServerFrame(payload) {
        case .success(.reply(let id, let result)):
            guard let id, let entry = pending.removeValue(forKey: id) else { return }
            entry.completion(result)
        case .success(.push(let push)):
            if case .event(let event) = push {
                // Advance only in order: an event whose prev is not our position means a gap.
                if let known = positions[event.room], known.epoch == event.epoch, known.id != (event.prev ?? "") {
                    if known.id == event.id { return }  // already seen
                    transport?.close(code: 4003, reason: "gap")
                    return
                }
                positions[event.room] = Position(room: event.room, epoch: event.epoch, id: event.id)
            } else if case .roomJoined(let state) = push {
                positions[state.room] = Position(room: state.room, epoch: state.epoch, id: state.last ?? "")
            } else if case .roomLeft(let room) = push {
                positions[room] = nil
            }
            onPush(push)
        case .failure:
            break
        }
    }

    private func closed(code: UInt16?, reason: String) {
        open = false
        transport = nil
        for (id, entry) in pending where !entry.retry {
            pending[id] = nil
            entry.completion(.failure(ProtocolError(.unavailable, "connection closed")))
        }
        let transient = code.map { $0 == 1001 || $0 == 1006 || $0 == 1011 || $0 == 1012 || (4000...4099).contains($0) || $0 == 4101 } ?? true
        let again = options.reconnect && !stopped && transient
        onStatus(.closed(code: code, reason: reason, willReconnect: again))
        guard again else { return }
        // Full jitter: reconnect storms spread out instead of arriving together.
        let delay = UInt64.random(in: backoff / 2...backoff)
        backoff = min(backoff * 2, 5_000_000_000)
        loop.schedule(after: delay) { [weak self] in
            guard let self, !self.stopped else { return }
            self.dial()
        }
    }
}

extension RallyClient {
    /// Drops the connection without a closing handshake, as a network failure would (tests).
    public func dropForTests() {
        transport?.channel?.close()
    }
}
