/// Topic → local subscribers, on one loop. The chat hub indexes sessions by room with it; the
/// benchmark pub/sub endpoint indexes connections by topic with it, so both measure the same
/// fan-out path.
///
/// Removal is linear in the topic's subscribers; a subscriber is in a topic at most once.
final class SubscriptionIndex<Subscriber: AnyObject> {
    private var topics: [String: [Subscriber]] = [:]

    var topicCount: Int { topics.count }

    func add(_ subscriber: Subscriber, to topic: String) {
        if topics[topic]?.contains(where: { $0 === subscriber }) == true { return }
        topics[topic, default: []].append(subscriber)
    }

    func remove(_ subscriber: Subscriber, from topic: String) {
        guard var list = topics[topic] else { return }
        list.removeAll { $0 === subscriber }
        topics[topic] = list.isEmpty ? nil : list
    }

    func subscribers(of topic: String) -> [Subscriber] {
        topics[topic] ?? []
    }
}
