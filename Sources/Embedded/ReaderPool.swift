import Foundation
import Store
import Synchronization

/// Threads that read the store beside the engine: history pages, recovery beyond the engine's
/// in-memory windows, unread counts. Each owns a read-only SQLite connection (WAL lets readers
/// run while the engine writes), so a reader never delays an append: the engine thread is left
/// with ordered writes and in-memory checks (decision 0004).
///
/// Bounded: at most `capacity` jobs wait; `submit` refuses beyond (the caller answers 3001
/// overloaded, or `recovered: false` for a recovery).
final class ReaderPool: @unchecked Sendable {
    typealias Job = (StoreReader) -> Void

    private let state = Mutex<(jobs: [Job], head: Int, stopping: Bool)>(([], 0, false))
    private let ready = DispatchSemaphore(value: 0)
    private let finished = DispatchSemaphore(value: 0)
    private let readers: [StoreReader]
    let capacity: Int

    /// Opens `count` read-only connections to the store at `path` (which must exist).
    init(path: String, count: Int, capacity: Int) throws(StoreError) {
        var opened: [StoreReader] = []
        for _ in 0..<max(1, count) {
            let db = try SQLiteDatabase(path: path, readOnly: true)
            try db.execute("PRAGMA query_only = ON")
            opened.append(StoreReader(db: db))
        }
        readers = opened
        self.capacity = capacity
    }

    func start() {
        for (index, reader) in readers.enumerated() {
            let thread = Thread { [self] in run(reader) }
            thread.name = "rally-reader-\(index)"
            thread.start()
        }
    }

    /// Queues `job`; false when the queue is full or the pool stopping.
    func submit(_ job: @escaping Job) -> Bool {
        let accepted = state.withLock { state -> Bool in
            guard !state.stopping, state.jobs.count - state.head < capacity else { return false }
            state.jobs.append(job)
            return true
        }
        if accepted { ready.signal() }
        return accepted
    }

    /// Runs what is queued, then stops every thread.
    func stop() {
        let already = state.withLock { state -> Bool in
            defer { state.stopping = true }
            return state.stopping
        }
        guard !already else { return }
        for _ in readers { ready.signal() }
        for _ in readers { finished.wait() }
    }

    private func run(_ reader: StoreReader) {
        // Reads are background work: the engine's appends and the loops come first when the
        // cores are busy (a nice value per thread on Linux).
        // (On Linux, PRIO_PROCESS with 0 names the calling thread, not the whole process.)
        _ = setpriority(__priority_which_t(PRIO_PROCESS.rawValue), 0, 10)
        while true {
            ready.wait()
            let (job, stop) = state.withLock { state -> (Job?, Bool) in
                guard state.head < state.jobs.count else { return (nil, state.stopping) }
                let job = state.jobs[state.head]
                state.head += 1
                // Compact now and then: the array is a queue read from the front.
                if state.head >= 1_024 && state.head * 2 >= state.jobs.count {
                    state.jobs.removeFirst(state.head)
                    state.head = 0
                }
                return (job, false)
            }
            if let job {
                job(reader)
                continue
            }
            if stop {
                finished.signal()
                return
            }
        }
    }
}
