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

    /// A queued request: `run` on the engine thread inside a batch, or `fail` when it cannot
    /// run (the batch's transaction could not start or was lost).
    struct Job {
        let run: (EmbeddedBroker) -> Outcome
        let fail: () -> Void
    }

    let configuration: EmbeddedConfiguration
    let db: SQLiteDatabase
    let dmPolicy: DirectMessagePolicy
    /// Reads of the store off the engine thread.
    let readers: ReaderPool
    private let jobs = Mutex<(queue: [Job], stopping: Bool)>(([], false))
    /// Deliveries of the batch being committed, per loop: sent as one task per loop.
    private var outbox: [[() -> Void]] = []
    /// Batches committed (group commit: fewer than the requests they carried).
    private let commits = Atomic<Int>(0)
    public var commitCount: Int { commits.load(ordering: .relaxed) }
    private var collecting = false
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private var started = false
    var isStarted: Bool { started }

    // Engine-thread state (and set-up before `start`).
    var loops: [(port: LoopPort, delegate: BrokerDelegate)] = []
    var rooms: [String: RoomEntry] = [:]
    var userRooms: [String: Set<String>] = [:]
    var blocks: Set<String> = []
    /// Blocks each user has made (capped at `blocksPerUser`).
    var blockCounts: [String: Int] = [:]
    /// Direct rooms each user is in (their own cap; not counted in `roomsPerUser`).
    var directCounts: [String: Int] = [:]
    /// "user\u{0}room" for direct rooms a participant has hidden until their next message.
    var hidden: Set<String> = []
    /// New direct rooms per sender (tokens per hour); entries whose bucket is full are dropped.
    var newDirectBuckets: [String: TokenBucket] = [:]
    var sessions: [String: Int] = [:]
    /// Bans and token revocations, by user (only users with a restriction).
    var access: [String: UserAccess] = [:]
    /// Bytes held by all rooms' recent windows.
    var recentBytesTotal = 0
    /// An edit or delete overwrote text since the last WAL truncation: the WAL still holds
    /// page images with the old text until the next `checkpoint()`.
    var checkpointPending = false
    private var lastCheckpoint: UInt64 = 0

    public init(configuration: EmbeddedConfiguration) throws(StoreError) {
        self.configuration = configuration
        db = try SQLiteDatabase.openStore(path: configuration.path)
        dmPolicy = DirectMessagePolicy(memberToMemberAllowed: configuration.directMessages == .membersAndLeaders)
        readers = try ReaderPool(path: configuration.path, count: configuration.readerThreads,
                                 capacity: configuration.readerQueueCapacity)
        try load()
    }

    /// Starts the engine thread. Call after every loop is attached.
    public func start() {
        guard !started else { return }
        started = true
        readers.start()
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
        readers.stop()
        // The loops' hubs hold this broker; dropping them here breaks the cycle.
        loops = []
    }

    public func attach(_ port: LoopPort, delegate: BrokerDelegate) -> Int {
        precondition(!started, "attach loops before starting the engine")
        loops.append((port, delegate))
        return loops.count - 1
    }

    // MARK: Jobs

    /// Queues a job; false when the queue is full or the engine stopping.
    func enqueue(_ run: @escaping (EmbeddedBroker) -> Outcome, fail: @escaping () -> Void = {}) -> Bool {
        let accepted = jobs.withLock { state -> Bool in
            guard !state.stopping, state.queue.count < configuration.queueCapacity else { return false }
            state.queue.append(Job(run: run, fail: fail))
            return true
        }
        if accepted { wakeup.signal() }
        return accepted
    }

    /// Queues a job answering `completion` on `loop`, or answers "overloaded" at once.
    func submit<T>(loop: Int, completion: @escaping (Result<T, ProtocolError>) -> Void,
                   _ body: @escaping (EmbeddedBroker, inout Outcome) -> Result<T, ProtocolError>) {
        let unavailable = ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000)
        let accepted = enqueue({ broker in
            var outcome = Outcome()
            let result = body(broker, &outcome)
            outcome.onCommit.append { broker.answer(loop: loop) { completion(result) } }
            outcome.onFailure = { broker.answer(loop: loop) { completion(.failure(unavailable)) } }
            return outcome
        }, fail: { [self] in answer(loop: loop) { completion(.failure(unavailable)) } })
        if !accepted {
            answer(loop: loop) { completion(.failure(ProtocolError(.overloaded, "server busy; retry", retryAfterMs: 500))) }
        }
    }

    /// Queues a job whose answer is read from the store by a reader thread: `body` checks on
    /// the engine (rights, the tip) and returns the read; the read starts after the batch
    /// committed, so it sees everything the engine had decided when it took its view.
    func submitRead<T>(loop: Int, completion: @escaping (Result<T, ProtocolError>) -> Void,
                       _ body: @escaping (EmbeddedBroker) -> Result<(StoreReader) -> Result<T, ProtocolError>, ProtocolError>) {
        let unavailable = ProtocolError(.unavailable, "the store failed; retry", retryAfterMs: 1_000)
        let accepted = enqueue({ broker in
            var outcome = Outcome()
            switch body(broker) {
            case .failure(let error):
                outcome.onCommit.append { broker.answer(loop: loop) { completion(.failure(error)) } }
            case .success(let read):
                outcome.onCommit.append {
                    let queued = broker.readers.submit { reader in
                        let result = read(reader)
                        broker.answerFromReader(loop: loop) { completion(result) }
                    }
                    if !queued {
                        broker.answer(loop: loop) {
                            completion(.failure(ProtocolError(.overloaded, "too many reads queued; retry", retryAfterMs: 500)))
                        }
                    }
                }
            }
            outcome.onFailure = { broker.answer(loop: loop) { completion(.failure(unavailable)) } }
            return outcome
        }, fail: { [self] in answer(loop: loop) { completion(.failure(unavailable)) } })
        if !accepted {
            answer(loop: loop) { completion(.failure(ProtocolError(.overloaded, "server busy; retry", retryAfterMs: 500))) }
        }
    }

    /// Runs `task` on a loop from a reader thread (the loops are fixed once started).
    func answerFromReader(loop: Int, _ task: @escaping () -> Void) {
        guard loops.indices.contains(loop) else { return }
        let target = loops[loop]
        if !target.port.submit(task) { target.port.markLost() }
    }

    /// Runs `task` on a loop. During a batch, tasks are collected and leave as one task per
    /// loop after the commit; a loop that refuses has lost events and is told so (sticky).
    func answer(loop: Int, _ task: @escaping () -> Void) {
        guard loops.indices.contains(loop) else { return }
        if collecting {
            outbox[loop].append(task)
            return
        }
        let target = loops[loop]
        if !target.port.submit(task) { target.port.markLost() }
    }

    /// Sends `task(delegate)` to every loop, in order with everything else sent to it.
    func broadcast(_ task: @escaping (BrokerDelegate) -> Void) {
        for index in loops.indices {
            let delegate = loops[index].delegate
            answer(loop: index) { task(delegate) }
        }
    }

    private func flushOutbox() {
        collecting = false
        for index in loops.indices where !outbox[index].isEmpty {
            let tasks = outbox[index]
            outbox[index] = []
            let target = loops[index]
            let delivered = target.port.submit {
                target.delegate.brokerWillDeliver()
                for task in tasks { task() }
            }
            if !delivered { target.port.markLost() }
        }
    }

    private func run() {
        while true {
            if checkpointPending {
                // Retried each second while readers keep the WAL from being truncated.
                _ = wakeup.wait(timeout: .now() + .seconds(1))
            } else {
                wakeup.wait()
            }
            let (batch, stopping) = jobs.withLock { state -> ([Job], Bool) in
                let taken = Array(state.queue.prefix(1_000))
                state.queue.removeFirst(taken.count)
                return (taken, state.stopping)
            }
            if !batch.isEmpty { runBatch(batch) }
            let more = jobs.withLock { !$0.queue.isEmpty }
            scrubWAL(idle: !more)
            if more {
                wakeup.signal()
            } else if stopping {
                finished.signal()
                return
            }
        }
    }

    /// Deleted means gone from the files too: after an edit or delete, the WAL is truncated
    /// when the engine is idle, or at least once a second under load, so that the old text's
    /// page images do not outlive the change by more than about a second.
    private func scrubWAL(idle: Bool) {
        guard checkpointPending else { return }
        let now = DispatchTime.now().uptimeNanoseconds
        guard idle || now &- lastCheckpoint >= 1_000_000_000 else { return }
        lastCheckpoint = now
        if (try? db.checkpoint()) == true { checkpointPending = false }
    }

    private func runBatch(_ batch: [Job]) {
        if outbox.count != loops.count { outbox = Array(repeating: [], count: loops.count) }
        collecting = true
        defer { flushOutbox() }
        do {
            try db.execute("BEGIN IMMEDIATE")
        } catch {
            for job in batch { job.fail() }
            return
        }
        var outcomes: [Outcome] = []
        var notRun: [Job] = []
        for job in batch {
            // SQLite rolls a whole transaction back on some errors (disk full, I/O): then
            // nothing more may run in this batch, or it would commit on its own.
            guard db.isInTransaction else {
                notRun.append(job)
                continue
            }
            outcomes.append(job.run(self))
        }
        do {
            guard db.isInTransaction else { throw StoreError.sqlite("batch", 0, "transaction lost") }
            try db.execute("COMMIT")
            commits.add(1, ordering: .relaxed)
        } catch {
            if db.isInTransaction { try? db.execute("ROLLBACK") }
            // The in-memory state may hold changes that were not written: start again from
            // what the store holds.
            reloadOrExit()
            for outcome in outcomes { outcome.onFailure?() }
            for job in notRun { job.fail() }
            return
        }
        for outcome in outcomes {
            for action in outcome.onCommit { action() }
        }
    }

    /// Reloads the state from the store; if even that fails the state is unknowable, and the
    /// process ends (a restart recovers from the store, which holds every acknowledged event).
    private func reloadOrExit() {
        do {
            try load()
        } catch {
            fputs("rally: the engine cannot reload its state from the store (\(error)); exiting\n", stderr)
            exit(70)
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

    /// Loads rooms, members and blocks; the current state is replaced only if all loaded.
    private func load() throws(StoreError) {
        var loadedRooms: [String: RoomEntry] = [:]
        var loadedUserRooms: [String: Set<String>] = [:]
        var loadedBlocks: Set<String> = []
        var loadedBlockCounts: [String: Int] = [:]
        var loadedDirectCounts: [String: Int] = [:]
        var loadedHidden: Set<String> = []
        var loadedAccess: [String: UserAccess] = [:]
        for row in try db.userAccess() {
            loadedAccess[row.user] = UserAccess(bannedUntil: row.bannedUntil, revokedBefore: row.revokedBefore)
        }
        for record in try db.rooms() {
            guard let kind = RoomKind(rawValue: record.kind) else { throw .corrupt("room \(record.id) kind \(record.kind)") }
            loadedRooms[record.id] = RoomEntry(id: record.id, kind: kind, name: record.name, epoch: record.epoch,
                                               last: record.lastID, seq: record.seq, lastAt: record.createdAt)
        }
        for member in try db.members() {
            guard let role = Role(rawValue: member.role), let room = loadedRooms[member.room] else { continue }
            room.members[member.user] = role
            loadedUserRooms[member.user, default: []].insert(member.room)
            if room.kind == .direct { loadedDirectCounts[member.user, default: 0] += 1 }
        }
        for pair in try db.blocks() {
            loadedBlocks.insert(Self.blockKey(pair.user, pair.blocked))
            loadedBlockCounts[pair.user, default: 0] += 1
        }
        for pair in try db.hiddenRooms() { loadedHidden.insert(Self.blockKey(pair.user, pair.room)) }
        rooms = loadedRooms
        userRooms = loadedUserRooms
        blocks = loadedBlocks
        blockCounts = loadedBlockCounts
        directCounts = loadedDirectCounts
        hidden = loadedHidden
        access = loadedAccess
        // The windows were dropped with the old room entries.
        recentBytesTotal = 0
    }

    static func blockKey(_ a: String, _ b: String) -> String { a + "\u{0}" + b }

    /// Group and announcement rooms `user` is in (what `roomsPerUser` counts).
    func groupRoomCount(of user: String) -> Int {
        (userRooms[user]?.count ?? 0) - (directCounts[user] ?? 0)
    }

    func isHidden(_ room: String, by user: String) -> Bool {
        !hidden.isEmpty && hidden.contains(Self.blockKey(user, room))
    }

    func isBlocked(_ a: String, _ b: String) -> Bool {
        blocks.contains(Self.blockKey(a, b)) || blocks.contains(Self.blockKey(b, a))
    }

    /// Milliseconds since the Unix epoch.
    static func nowMs() -> Int64 {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        return Int64(now.tv_sec) * 1_000 + Int64(now.tv_nsec) / 1_000_000
    }

    /// Why `user` may not append now (a ban), or nil.
    func appendRefusal(_ user: String) -> ProtocolError? {
        guard let restriction = access[user], restriction.isBanned(nowMs: Self.nowMs()) else { return nil }
        return ProtocolError(.forbidden, "this account is suspended by the platform")
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
