import Broker
import Chat
import Foundation
import Store
import Synchronization
import WireProtocol

/// The embedded broker: one engine thread that owns the SQLite store and the authoritative
/// state, orders every room's log, and fans events out to the loops (docs/decisions/0004).
///
/// Every public method queues a job and returns. The thread takes the queued jobs as a batch,
/// runs each (checks, staged writes in its own savepoint, state changes), commits the batch
/// once, and only then sends the completions and the published events to the loops — so an
/// acknowledged message is durable, and publish order is log order.
public final class EmbeddedBroker: Broker, @unchecked Sendable {
    /// What a job leaves to do after the batch: on commit, or if the commit failed.
    struct Outcome {
        var onCommit: [() -> Void] = []
        var onFailure: (() -> Void)?
    }

    typealias Job = (EmbeddedBroker) -> Outcome

    let configuration: EmbeddedConfiguration
    let db: SQLiteDatabase
    let dmPolicy: DirectMessagePolicy
    private let jobs = Mutex<(queue: [Job], stopping: Bool)>(([], false))
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    var isStarted: Bool { started }

    // Engine-thread state (and set-up before `start`).
    var loops: [(port: LoopPort, delegate: BrokerDelegate)] = []
    var rooms: [String: RoomEntry] = [:]
    var userRooms: [String: Set<String>] = [:]
    var blocks: Set<String> = []
    var sessions: [String: Int] = [:]

    public init(configuration: EmbeddedConfiguration) throws(StoreError) {
        self.configuration = configuration
        db = try SQLiteDatabase.openStore(path: configuration.path)
        dmPolicy = DirectMessagePolicy(memberToMemberAllowed: configuration.directMessages == .membersAndLeaders)
        try load()
    }

    /// Starts the engine thread. Call after every loop is attached.
    public func start() {
        guard !started else { return }
        started = true
        let thread = Thread { [self] in run() }
        thread.name = "rally-engine"
        thread.start()
    }

    /// Finishes the queued jobs and stops the thread.
    public func stop() {
        guard started else { return }
        let already = jobs.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !already else { return }
        wakeup.signal()
        finished.wait()
    }

    public func attach(_ port: LoopPort, delegate: BrokerDelegate) -> Int {
        precondition(!started, "attach loops before starting the engine")
        loops.append((port, delegate))
        return loops.count - 1
    }

    // MARK: Jobs

    /// Queues a job; refuses with 3001 when the queue is full.
    func enqueue(_ job: @escaping Job) -> Bool {
        let accepted = jobs.withLock { state -> Bool in
            guard !state.stopping, state.queue.count < configuration.queueCapacity else { return false }
            state.queue.append(job)
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Queues a job answering `completion` on `loop`, or answers "overloaded" at once.
    func submit<T>(loop: Int, completion: @escaping (Result<T, ProtocolError>) -> Void,
                   _ body: @escaping (EmbeddedBroker, inout Outcome) -> Result<T, ProtocolError>) {
        let accepted = enqueue { broker in
            var outcome = Outcome()
            let result = body(broker, &outcome)
            outcome.onCommit.append { broker.answer(loop: loop) { completion(result) } }
            outcome.onFailure = {
                broker.answer(loop: loop) { completion(.failure(ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000))) }
            }
            return outcome
        }
        if !accepted {
            answer(loop: loop) { completion(.failure(ProtocolError(.overloaded, "server busy; retry", retryAfterMs: 500))) }
        }
    }

    /// Runs `task` on a loop; a loop that refuses has lost sync with the engine.
    func answer(loop: Int, _ task: @escaping () -> Void) {
        guard loops.indices.contains(loop) else { return }
        let target = loops[loop]
        if !target.port.submit(task) {
            _ = target.port.submit { target.delegate.brokerLostEvents() }
        }
    }

    /// Sends `task(delegate)` to every loop, in order with everything else sent to it.
    func broadcast(_ task: @escaping (BrokerDelegate) -> Void) {
        for index in loops.indices {
            let delegate = loops[index].delegate
            answer(loop: index) { task(delegate) }
        }
    }

    private func run() {
        while true {
            wakeup.wait()
            let (batch, stopping) = jobs.withLock { state -> ([Job], Bool) in
                let taken = Array(state.queue.prefix(1_000))
                state.queue.removeFirst(taken.count)
                return (taken, state.stopping)
            }
            if !batch.isEmpty { runBatch(batch) }
            if jobs.withLock({ !$0.queue.isEmpty }) {
                wakeup.signal()
            } else if stopping {
                finished.signal()
                return
            }
        }
    }

    private func runBatch(_ batch: [Job]) {
        var outcomes: [Outcome] = []
        do {
            try db.execute("BEGIN IMMEDIATE")
            for job in batch { outcomes.append(job(self)) }
            try db.execute("COMMIT")
        } catch {
            try? db.execute("ROLLBACK")
            // The in-memory state may hold changes that were not written: start again from
            // what the store holds.
            try? load()
            for outcome in outcomes { outcome.onFailure?() }
            return
        }
        for outcome in outcomes {
            for action in outcome.onCommit { action() }
        }
    }

    /// Applies `writes` as one all-or-nothing unit inside the batch.
    func stage(_ writes: [StoreWrite]) -> Result<Void, ProtocolError> {
        do {
            try db.execute("SAVEPOINT job")
        } catch {
            return .failure(ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000))
        }
        do {
            for write in writes { try db.apply(write) }
            try db.execute("RELEASE job")
            return .success(())
        } catch {
            try? db.execute("ROLLBACK TO job")
            try? db.execute("RELEASE job")
            if case .conflict(let what) = error { return .failure(ProtocolError(.invalidArgument, what)) }
            return .failure(ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000))
        }
    }

    // MARK: Loading

    private func load() throws(StoreError) {
        rooms = [:]
        userRooms = [:]
        blocks = []
        for record in try db.rooms() {
            guard let kind = RoomKind(rawValue: record.kind) else { throw .corrupt("room \(record.id) kind \(record.kind)") }
            rooms[record.id] = RoomEntry(id: record.id, kind: kind, name: record.name, epoch: record.epoch,
                                         last: record.lastID, seq: record.seq, lastAt: record.createdAt)
        }
        for member in try db.members() {
            guard let role = Role(rawValue: member.role), let room = rooms[member.room] else { continue }
            room.members[member.user] = role
            userRooms[member.user, default: []].insert(member.room)
        }
        for pair in try db.blocks() { blocks.insert(Self.blockKey(pair.user, pair.blocked)) }
    }

    static func blockKey(_ a: String, _ b: String) -> String { a + "\u{0}" + b }

    func isBlocked(_ a: String, _ b: String) -> Bool {
        blocks.contains(Self.blockKey(a, b)) || blocks.contains(Self.blockKey(b, a))
    }

    /// Milliseconds since the Unix epoch, never behind the room's last event.
    func timestamp(for room: RoomEntry) -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let ms = Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
        return max(ms, room.lastAt)
    }

    static func newEpoch() -> String {
        var generator = SystemRandomNumberGenerator()
        return String(generator.next() as UInt64, radix: 16)
    }
}
