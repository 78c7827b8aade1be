import Auth
import Foundation
import Reactor
import RallyClient
import Synchronization
import WireProtocol

/// Blocking HTTP calls to the API (set-up only).
enum API {
    static func call(_ target: Target, _ method: String, _ path: String, _ body: String? = nil) throws -> (Int, String) {
        let fd = try Sockets.connect(to: SocketAddress(host: "127.0.0.1", port: target.apiPort ?? target.port))
        defer { close(fd) }
        _ = fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK)
        let bytes = Array((body ?? "").utf8)
        let request = "\(method) \(path) HTTP/1.1\r\nHost: bench\r\nAuthorization: Bearer \(target.apiKey)\r\n"
            + "Content-Type: application/json\r\nContent-Length: \(bytes.count)\r\nConnection: close\r\n\r\n"
        let all = Array(request.utf8) + bytes
        var offset = 0
        while offset < all.count {
            let n = all[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, 0) }
            guard n > 0 else { break }
            offset += n
        }
        var response: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            response.append(contentsOf: buffer[0..<n])
        }
        let text = String(decoding: response, as: UTF8.self)
        let status = Int(text.split(separator: " ").dropFirst().first ?? "") ?? 0
        return (status, text.components(separatedBy: "\r\n\r\n").dropFirst().joined())
    }

    static func room(_ target: Target, _ id: String, kind: String, members: [(String, String)]) throws {
        _ = try call(target, "POST", "/api/rooms", #"{"id":"\#(id)","kind":"\#(kind)"}"#)
        for batch in stride(from: 0, to: members.count, by: 5_000) {
            let slice = members[batch..<min(batch + 5_000, members.count)]
            let list = slice.map { #"{"user":"\#($0.0)","role":"\#($0.1)"}"# }.joined(separator: ",")
            let (status, body) = try call(target, "PUT", "/api/rooms/\(id)/members", #"{"members":[\#(list)]}"#)
            guard status == 200 else { throw BenchError("PUT members: \(status) \(body)") }
        }
    }
}

struct BenchError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

/// Many RallyClients on a few loops of this process.
final class Fleet: @unchecked Sendable {
    let loops: [EventLoop]
    private let threads: [LoopThread]
    private(set) var clients: [RallyClient] = []
    let connected = Atomic<Int>(0)

    init(loopCount: Int) throws {
        loops = try (0..<loopCount).map { try EventLoop(index: 100 + $0) }
        threads = loops.map { LoopThread(loop: $0) }
        for thread in threads { try thread.start() }
    }

    /// Starts `users.count` clients (one per user), spread over the loops, a batch at a time.
    func connect(_ users: [String], target: Target, onPush: @escaping (Int, Push) -> Void) throws {
        let secret = Array(target.secret.utf8)
        let expiry = Int64(Date().timeIntervalSince1970) + 3_600
        var made: [RallyClient] = []
        for (index, user) in users.enumerated() {
            let loop = loops[index % loops.count]
            let token = JWTSigner.hs256(claims: Claims(subject: user, expiresAt: expiry), secret: secret, kid: nil)
            var options = RallyClient.Options(port: target.port, token: { token })
            options.reconnect = false
            let client = RallyClient(loop: loop, options: options)
            client.onPush = { onPush(index, $0) }
            client.onStatus = { [self] status in
                if case .connected = status { self.connected.add(1, ordering: .relaxed) }
            }
            made.append(client)
            try loop.execute { client.start() }
            if index % 500 == 499 { try waitFor(index + 1, timeout: 30) }
        }
        clients = made
        try waitFor(users.count, timeout: 60)
    }

    func waitFor(_ count: Int, timeout: Double) throws {
        let deadline = Date().addingTimeInterval(timeout)
        while connected.load(ordering: .relaxed) < count {
            guard Date() < deadline else { throw BenchError("only \(connected.load(ordering: .relaxed)) of \(count) connected") }
            usleep(10_000)
        }
    }

    func stop() {
        for (i, client) in clients.enumerated() { try? loops[i % loops.count].execute { client.stop() } }
        usleep(300_000)
        for loop in loops { loop.stop() }
        for thread in threads { thread.join() }
    }
}

/// Monotonic microseconds.
func microseconds() -> Double { Double(MonotonicClock.now()) / 1_000 }

func percentile(_ values: [Double], _ p: Double) -> Double {
    guard !values.isEmpty else { return 0 }
    let sorted = values.sorted()
    return sorted[min(sorted.count - 1, Int((Double(sorted.count - 1) * p).rounded()))]
}
