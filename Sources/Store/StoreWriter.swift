import Foundation
import Synchronization

/// The embedded store's single writer: a dedicated thread that applies queued writes in
/// batches, one SQLite transaction per batch (group commit: one fsync for many requests).
///
/// Each request is all-or-nothing (a savepoint inside the batch), so one refused request
/// (a duplicate, say) fails alone. A request's completion runs on the writer thread after
/// the batch's COMMIT returned — so "completed successfully" means durable; callers hop back
/// to their event loop from there. The queue is bounded: when full, `submit` throws
/// `.queueFull` and the caller answers "overloaded, retry".
public final class StoreWriter: @unchecked Sendable {
    public typealias Completion = (Result<Void, StoreError>) -> Void

    private struct Request {
        var writes: [StoreWrite]
        var completion: Completion
    }

    private struct Queue {
        var requests: [Request] = []
        var stopping = false
    }

    private let database: SQLiteDatabase
    /// The database file, for opening readers on other threads.
    public let path: String
    private let queue = Mutex(Queue())
    private let wakeup = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let capacity: Int
    private let maxBatch: Int
    /// Transactions committed (for metrics and tests).
    private let commits = Atomic<Int>(0)

    /// Opens the store at `path` (creating or upgrading it) and starts the writer thread.
    public init(path: String, capacity: Int = 10_000, maxBatch: Int = 1_000) throws(StoreError) {
        database = try SQLiteDatabase.openStore(path: path)
        self.path = path
        self.capacity = capacity
        self.maxBatch = maxBatch
        let thread = Thread { [self] in run() }
        thread.name = "rally-store-writer"
        thread.start()
    }

    public var commitCount: Int { commits.load(ordering: .relaxed) }

    /// Queues `writes` as one all-or-nothing request. Safe from any thread.
    public func submit(_ writes: [StoreWrite], completion: @escaping Completion) throws(StoreError) {
        let outcome = queue.withLock { state -> StoreError? in
            if state.stopping { return .stopped }
            if state.requests.count >= capacity { return .queueFull }
            state.requests.append(Request(writes: writes, completion: completion))
            return nil
        }
        if let outcome { throw outcome }
        wakeup.signal()
    }

    /// Applies everything queued so far, then stops the thread. Blocks until it has.
    public func stop() {
        let alreadyStopping = queue.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !alreadyStopping else { return }
        wakeup.signal()
        finished.wait()
    }

    private func run() {
        while true {
            wakeup.wait()
            let (batch, stopping) = queue.withLock { state -> ([Request], Bool) in
                let taken = Array(state.requests.prefix(maxBatch))
                state.requests.removeFirst(taken.count)
                return (taken, state.stopping)
            }
            if !batch.isEmpty { commit(batch) }
            let more = queue.withLock { !$0.requests.isEmpty }
            if more {
                wakeup.signal()
            } else if stopping {
                finished.signal()
                return
            }
        }
    }

    private func commit(_ batch: [Request]) {
        var results: [Result<Void, StoreError>] = []
        results.reserveCapacity(batch.count)
        do {
            try database.execute("BEGIN IMMEDIATE")
            for request in batch {
                results.append(apply(request.writes))
            }
            try database.execute("COMMIT")
            commits.add(1, ordering: .relaxed)
        } catch {
            try? database.execute("ROLLBACK")
            results = Array(repeating: .failure(error), count: batch.count)
        }
        for (request, result) in zip(batch, results) { request.completion(result) }
    }

    private func apply(_ writes: [StoreWrite]) -> Result<Void, StoreError> {
        do {
            try database.execute("SAVEPOINT request")
            do {
                for write in writes { try database.apply(write) }
                try database.execute("RELEASE request")
                return .success(())
            } catch {
                try? database.execute("ROLLBACK TO request")
                try? database.execute("RELEASE request")
                return .failure(error)
            }
        } catch {
            return .failure(error)
        }
    }
}
