import Dispatch
import Synchronization
import Testing
@testable import Auth

/// One verifier shared by several threads, as the event loops share it.
@Suite struct ConcurrencyTests {
    @Test func verifyFromManyThreadsAtOnce() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret, kid: nil),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
            try .publicKey(pem: fixture.ecPublicPEM, algorithm: .es256, kid: "ec-1"),
        ]))
        let good = [try fixture.token("hs256"), try fixture.token("rs256"), try fixture.token("es256")]
        // Failing checks too, so that error-queue handling also runs on every thread.
        let bad = good.map { flipping($0, part: 2, byte: 5) }
        let rounds = 40
        let accepted = Atomic<Int>(0)
        let refused = Atomic<Int>(0)
        let wrong = Atomic<Int>(0)
        DispatchQueue.concurrentPerform(iterations: 8) { thread in
            for round in 0..<rounds {
                let index = (thread + round) % good.count
                if (try? verifier.verify(good[index], now: now))?.subject == "alice@example.org" {
                    accepted.add(1, ordering: .relaxed)
                } else {
                    wrong.add(1, ordering: .relaxed)
                }
                do {
                    _ = try verifier.verify(bad[index], now: now)
                    wrong.add(1, ordering: .relaxed)
                } catch {
                    if error as? AuthError == .badSignature { refused.add(1, ordering: .relaxed) } else { wrong.add(1, ordering: .relaxed) }
                }
            }
        }
        #expect(accepted.load(ordering: .relaxed) == 8 * rounds)
        #expect(refused.load(ordering: .relaxed) == 8 * rounds)
        #expect(wrong.load(ordering: .relaxed) == 0)
    }
}
