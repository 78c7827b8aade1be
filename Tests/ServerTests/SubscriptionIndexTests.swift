import Testing
@testable import Server

final class Probe {}

@Suite struct SubscriptionIndexTests {
    @Test func addRemoveKeepEveryOtherSubscriberExactlyOnce() {
        let index = SubscriptionIndex<Probe>()
        let probes = (0..<50).map { _ in Probe() }
        for probe in probes { index.add(probe, to: "t") }
        index.add(probes[0], to: "t")  // twice: still once
        for i in stride(from: 0, to: 50, by: 3) { index.remove(probes[i], from: "t") }
        let left = Set(index.subscribers(of: "t").map(ObjectIdentifier.init))
        let expected = Set(probes.enumerated().filter { $0.offset % 3 != 0 }.map { ObjectIdentifier($0.element) })
        #expect(left == expected)
        #expect(index.subscribers(of: "t").count == expected.count)
        for probe in probes { index.remove(probe, from: "t") }
        #expect(index.topicCount == 0)
        index.remove(probes[1], from: "nothing")  // harmless
    }
}
