/// A token bucket for per-connection command rates: `rate` tokens a second, at most `burst`
/// saved up. Pure: the caller passes the time (monotonic nanoseconds).
public struct TokenBucket: Sendable {
    public let rate: Double
    public let burst: Double
    private var tokens: Double
    private var last: UInt64

    public init(rate: Double, burst: Double, now: UInt64) {
        self.rate = rate
        self.burst = burst
        tokens = burst
        last = now
    }

    /// Whether the bucket would hold fewer than `burst` tokens at `now`: false means it is as
    /// good as new, and a caller keeping buckets per user may forget it.
    public func isBelowBurst(now: UInt64) -> Bool {
        let elapsed = now > last ? Double(now - last) : 0
        return tokens + elapsed * rate / 1e9 < burst
    }

    /// Takes one token. Returns nil when allowed, or how long (ns) until a token is available.
    public mutating func take(now: UInt64) -> UInt64? {
        if now > last {
            tokens = min(burst, tokens + Double(now - last) * rate / 1e9)
            last = now
        }
        if tokens >= 1 {
            tokens -= 1
            return nil
        }
        return UInt64(((1 - tokens) / rate * 1e9).rounded(.up))
    }
}
