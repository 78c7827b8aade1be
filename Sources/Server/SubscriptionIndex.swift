/// Topic → local subscribers, on one loop. The chat hub indexes sessions by room with it; the
/// benchmark pub/sub endpoint indexes connections by topic with it, so both measure the same
/// fan-out path.
///
/// Each topic keeps a dense array (what a fan-out walks) and each subscriber's position in it,
/// so adding and removing are O(1) (removal swaps the last subscriber into the hole: the order
/// of delivery within one topic is not meaningful). A subscriber is in a topic at most once.
final class SubscriptionIndex<Subscriber: AnyObject> {
    private struct Topic {
        var members: [Subscriber] = []
        var positions: [ObjectIdentifier: Int] = [:]
    }

    private var topics: [String: Topic] = [:]

    var topicCount: Int { topics.count }

    func add(_ subscriber: Subscriber, to topic: String) {
        let key = ObjectIdentifier(subscriber)
        if topics[topic]?.positions[key] != nil { return }
        topics[topic, default: Topic()].positions[key] = topics[topic]?.members.count ?? 0
        topics[topic]!.members.append(subscriber)
    }

    func remove(_ subscriber: Subscriber, from topic: String) {
        let key = ObjectIdentifier(subscriber)
        guard var entry = topics.removeValue(forKey: topic), let index = entry.positions.removeValue(forKey: key) else { return }
        let last = entry.members.count - 1
        if index != last {
            let moved = entry.members[last]
            entry.members[index] = moved
            entry.positions[ObjectIdentifier(moved)] = index
        }
        entry.members.removeLast()
        if !entry.members.isEmpty { topics[topic] = entry }
    }

    func subscribers(of topic: String) -> [Subscriber] {
        topics[topic]?.members ?? []
    }
}
