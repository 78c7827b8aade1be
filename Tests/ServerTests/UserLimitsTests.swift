import Testing
@testable import Server

@Suite struct UserLimitsTests {
    @Test func sessionsAreCappedPerUserAndTheNewestIsRefused() {
        let limits = UserLimits(maxSessions: 2, rate: 10, burst: 20)
        #expect(limits.admitSession("ana", now: 0))
        #expect(limits.admitSession("ana", now: 0))
        #expect(!limits.admitSession("ana", now: 0))
        #expect(limits.admitSession("bob", now: 0))
        limits.endSession("ana")
        #expect(limits.admitSession("ana", now: 0))
    }

    @Test func oneBucketServesAllOfAUsersSessions() {
        let limits = UserLimits(maxSessions: 10, rate: 2, burst: 3)
        for _ in 0..<3 { #expect(limits.admitSession("ana", now: 0)) }
        let taken = (0..<9).filter { _ in limits.takeCommand("ana", now: 0) == nil }.count
        #expect(taken == 3)
        // Half a second refills one token at 2/s.
        #expect(limits.takeCommand("ana", now: 500_000_000) == nil)
        #expect(limits.takeCommand("ana", now: 500_000_000) != nil)
    }

    @Test func aUserWhoLeftIsForgottenOnlyOnceTheirBucketHasRefilled() {
        let limits = UserLimits(maxSessions: 10, rate: 2, burst: 4)
        #expect(limits.admitSession("ana", now: 0))
        for _ in 0..<4 { _ = limits.takeCommand("ana", now: 0) }
        limits.endSession("ana")
        // Reconnecting at once must not bring a full bucket back.
        limits.sweep(now: 1_000_000_000)
        #expect(limits.trackedUsers == 1)
        #expect(limits.admitSession("ana", now: 1_000_000_000))
        #expect(limits.takeCommand("ana", now: 1_000_000_000) == nil)   // two refilled in 1 s
        #expect(limits.takeCommand("ana", now: 1_000_000_000) == nil)
        #expect(limits.takeCommand("ana", now: 1_000_000_000) != nil)
        limits.endSession("ana")
        limits.sweep(now: 4_000_000_000)
        #expect(limits.trackedUsers == 0)
    }
}
