import Chat
import Synchronization

/// Limits that hold per user across all of a user's sessions on this instance, whichever loop
/// each session is on: how many sessions a user may have open, and one command-rate token
/// bucket shared by them (so opening more connections buys no more throughput).
///
/// Shared by every loop: one mutex, taken once per command and once per session start and
/// end. Across instances (Redis mode) the same counts live in Redis under the user's hash tag;
/// see docs/decisions/0006.
///
/// Bounded: one entry per user with an open session, plus users whose bucket is still
/// refilling after their last session ended (kept so that reconnecting does not refill it;
/// dropped by `sweep` once full again).
final class UserLimits: @unchecked Sendable {
    struct Entry {
        var sessions = 0
        var bucket: TokenBucket
        /// When the bucket was last drawn from (monotonic ns).
        var lastTake: UInt64
    }

    let maxSessions: Int
    let rate: Double
    let burst: Double
    private let entries = Mutex<[String: Entry]>([:])

    init(maxSessions: Int, rate: Int, burst: Int) {
        self.maxSessions = maxSessions
        self.rate = Double(rate)
        self.burst = Double(burst)
    }

    /// Counts a new session of `user`; false when the user has `maxSessions` open already (the
    /// newest is refused, so a stolen token cannot close the owner's open sessions).
    func admitSession(_ user: String, now: UInt64) -> Bool {
        entries.withLock { entries in
            var entry = entries[user] ?? Entry(bucket: TokenBucket(rate: rate, burst: burst, now: now), lastTake: now)
            guard entry.sessions < maxSessions else { return false }
            entry.sessions += 1
            entries[user] = entry
            return true
        }
    }

    /// A session counted by `admitSession` ended.
    func endSession(_ user: String) {
        entries.withLock { entries in
            guard var entry = entries[user] else { return }
            entry.sessions = max(0, entry.sessions - 1)
            entries[user] = entry
        }
    }

    /// Takes a command token from `user`'s bucket: nil when allowed, else nanoseconds to wait.
    func takeCommand(_ user: String, now: UInt64) -> UInt64? {
        entries.withLock { entries in
            guard var entry = entries[user] else { return nil }  // not admitted: nothing to count
            let wait = entry.bucket.take(now: now)
            entry.lastTake = now
            entries[user] = entry
            return wait
        }
    }

    /// Open sessions of `user` on this instance.
    func sessions(of user: String) -> Int {
        entries.withLock { $0[user]?.sessions ?? 0 }
    }

    /// Forgets users without sessions whose bucket has refilled (called once a second).
    func sweep(now: UInt64) {
        let refill = UInt64(burst / rate * 1e9)
        entries.withLock { entries in
            entries = entries.filter { $0.value.sessions > 0 || now &- $0.value.lastTake < refill }
        }
    }

    var trackedUsers: Int { entries.withLock { $0.count } }
}
