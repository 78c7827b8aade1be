import ArgumentParser
import Foundation
import RallyClient
import Synchronization
import WireProtocol

/// An announcement to many connections: time from the send to the last delivery.
struct AnnounceBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "announce",
                                                    abstract: "Send announcements to N followers; time to the last delivery.")

    @OptionGroup var target: Target
    @Option(help: "Follower connections.") var connections = 15_000
    @Option(help: "Announcements sent (one at a time).") var runs = 20
    @Option(name: .customLong("client-loops"), help: "Client event loops (threads).") var clientLoops = 1

    func run() throws {
        let room = "\(target.prefix):news"
        let users = (0..<connections).map { "\(target.prefix)-f\($0)" }
        let moderator = "\(target.prefix)-mod"
        try API.room(target, room, kind: "announcement", members: users.map { ($0, "follower") } + [(moderator, "moderator")])
        let fleet = try Fleet(loopCount: clientLoops)
        let arrivals = Mutex<[String: [Double]]>([:])
        try fleet.connect(users + [moderator], target: target) { _, push in
            guard case .event(let event) = push, event.room == room, case .message(_, _, let cmid, _) = event.body else { return }
            let now = microseconds()
            arrivals.withLock { $0[cmid, default: []].append(now) }
        }
        let sender = fleet.clients[connections]
        var lasts: [Double] = []
        var medians: [Double] = []
        for run in 0..<runs {
            let cmid = "a\(run)"
            let start = Mutex<Double>(0)
            try sender.loop.execute {
                start.withLock { $0 = microseconds() }
                sender.command(.send(SendCommand(room: room, text: "announcement \(run)", cmid: cmid, replyTo: nil))) { _ in }
            }
            let deadline = Date().addingTimeInterval(20)
            while (arrivals.withLock { $0[cmid]?.count ?? 0 }) < connections + 1 && Date() < deadline { usleep(1_000) }
            let times = arrivals.withLock { $0[cmid] ?? [] }
            let t0 = start.withLock { $0 }
            guard times.count >= connections else { throw BenchError("run \(run): \(times.count) of \(connections + 1) deliveries") }
            let delays = times.map { ($0 - t0) / 1_000 }
            lasts.append(delays.max() ?? 0)
            medians.append(percentile(delays, 0.5))
            print("run \(run): \(times.count) deliveries, median \(String(format: "%.1f", medians.last!)) ms, last \(String(format: "%.1f", lasts.last!)) ms")
            usleep(200_000)
        }
        print(String(format: "RESULT mode=announce connections=%d runs=%d last_p50_ms=%.1f last_p99_ms=%.1f median_delivery_p50_ms=%.1f",
                     connections, runs, percentile(lasts, 0.5), percentile(lasts, 0.99), percentile(medians, 0.5)))
        fleet.stop()
    }
}

/// Group chat at a fixed total rate: the sender's acknowledgement latency.
struct ChatBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "chat", abstract: "Group chat at a fixed rate; ack latency.")

    @OptionGroup var target: Target
    @Option(help: "Users (each in one group of --group-size).") var users = 100
    @Option(name: .customLong("group-size")) var groupSize = 10
    @Option(help: "Messages per second, all users together.") var rate = 1_000
    @Option(help: "Seconds measured.") var duration = 10.0
    @Option(name: .customLong("client-loops")) var clientLoops = 1

    func run() throws {
        let names = (0..<users).map { "\(target.prefix)-u\($0)" }
        for group in stride(from: 0, to: users, by: groupSize) {
            let members = names[group..<min(group + groupSize, users)].map { ($0, "member") }
            try API.room(target, "\(target.prefix):g\(group / groupSize)", kind: "group", members: Array(members))
        }
        let fleet = try Fleet(loopCount: clientLoops)
        try fleet.connect(names, target: target) { _, _ in }
        let latencies = Mutex<[Double]>([])
        let failures = Atomic<Int>(0)
        let interval = 1.0 / Double(rate)
        let start = Date()
        var sent = 0
        while Date().timeIntervalSince(start) < duration {
            let due = start.addingTimeInterval(Double(sent) * interval)
            let wait = due.timeIntervalSinceNow
            if wait > 0 { usleep(UInt32(wait * 1e6)) }
            let index = sent % users
            let client = fleet.clients[index]
            let room = "\(target.prefix):g\(index / groupSize)"
            let cmid = "m\(sent)"
            try client.loop.execute {
                let t0 = microseconds()
                client.command(.send(SendCommand(room: room, text: "message \(cmid)", cmid: cmid, replyTo: nil))) { result in
                    if case .success = result {
                        let delay = (microseconds() - t0) / 1_000
                        latencies.withLock { $0.append(delay) }
                    } else {
                        failures.add(1, ordering: .relaxed)
                    }
                }
            }
            sent += 1
        }
        usleep(1_000_000)
        let values = latencies.withLock { $0 }
        print(String(format: "RESULT mode=chat rate=%d sent=%d acked=%d failed=%d ack_p50_ms=%.2f ack_p99_ms=%.2f ack_p999_ms=%.2f",
                     rate, sent, values.count, failures.load(ordering: .relaxed),
                     percentile(values, 0.5), percentile(values, 0.99), percentile(values, 0.999)))
        fleet.stop()
    }
}

/// Idle signed-in connections, each member of several rooms: prints ALL_UP and holds, so the
/// server's RSS can be read.
struct IdleBench: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "idle", abstract: "Hold N signed-in idle connections.")

    @OptionGroup var target: Target
    @Option(help: "Connections (one user each).") var connections = 15_000
    @Option(help: "Rooms every user is a member of.") var rooms = 5
    @Option(help: "Seconds to hold after ALL_UP.") var hold = 10.0
    @Option(name: .customLong("client-loops")) var clientLoops = 1
    @Flag(name: .customLong("setup-only"), help: "Create the rooms and members, then exit (read the server's RSS baseline).")
    var setupOnly = false
    @Flag(name: .customLong("skip-setup"), help: "The rooms exist already (from --setup-only).")
    var skipSetup = false

    func run() throws {
        let names = (0..<connections).map { "\(target.prefix)-i\($0)" }
        if !skipSetup {
            for room in 0..<rooms {
                try API.room(target, "\(target.prefix):r\(room)", kind: "group", members: names.map { ($0, "member") })
            }
        }
        if setupOnly { return }
        let fleet = try Fleet(loopCount: clientLoops)
        try fleet.connect(names, target: target) { _, _ in }
        print("ALL_UP \(connections)")
        fflush(stdout)
        usleep(UInt32(hold * 1e6))
        fleet.stop()
    }
}
