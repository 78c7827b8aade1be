import Glibc
@testable import Reactor

/// A poller that plays the kernel: tests script readiness, what reads return and how much
/// each write takes, and observe interest changes, shutdowns and closes.
final class FakePoller: Poller {
    enum ReadStep { case data([UInt8]), wouldBlock, eof, failure }

    var interests: [Int32: Interest] = [:]
    var batches: [[PollEvent]] = []
    var reads: [Int32: [ReadStep]] = [:]
    /// Per fd, how many bytes each successive writev takes (nil: all; 0: EAGAIN).
    var writeAllowances: [Int32: [Int]] = [:]
    var written: [Int32: [UInt8]] = [:]
    var writevCalls: [Int32: Int] = [:]
    var readCalls: [Int32: Int] = [:]
    var shutdowns: [Int32] = []
    var closed: [Int32] = []

    func register(_ fd: Int32, interest: Interest) throws(ReactorError) { interests[fd] = interest }
    func update(_ fd: Int32, interest: Interest) throws(ReactorError) { interests[fd] = interest }
    func deregister(_ fd: Int32) { interests[fd] = nil }

    func poll(timeoutMilliseconds: Int32, into events: inout [PollEvent]) {
        events.removeAll()
        if !batches.isEmpty { events = batches.removeFirst() }
    }

    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        readCalls[fd, default: 0] += 1
        guard var steps = reads[fd], !steps.isEmpty else { return .wouldBlock }
        let step = steps.removeFirst()
        reads[fd] = steps
        switch step {
        case .data(let bytes):
            precondition(bytes.count <= buffer.count)
            buffer.copyBytes(from: bytes)
            return .bytes(bytes.count)
        case .wouldBlock: return .wouldBlock
        case .eof: return .bytes(0)
        case .failure: return .failed(ECONNRESET)
        }
    }

    func writev(_ fd: Int32, _ iov: UnsafePointer<iovec>, count: Int32) -> IOResult {
        writevCalls[fd, default: 0] += 1
        var total = 0
        for i in 0..<Int(count) { total += iov[i].iov_len }
        var allowed = total
        if var allowances = writeAllowances[fd], !allowances.isEmpty {
            allowed = min(total, allowances.removeFirst())
            writeAllowances[fd] = allowances
        }
        if allowed == 0 { return .wouldBlock }
        var left = allowed
        for i in 0..<Int(count) where left > 0 {
            let n = min(left, iov[i].iov_len)
            let bytes = UnsafeRawBufferPointer(start: iov[i].iov_base, count: n)
            written[fd, default: []].append(contentsOf: bytes)
            left -= n
        }
        return .bytes(allowed)
    }

    func shutdownWrite(_ fd: Int32) { shutdowns.append(fd) }
    func close(_ fd: Int32) { closed.append(fd) }
}

/// A handler that records what happens and runs a test's reaction to each read.
final class RecordingHandler: ChannelHandler {
    var received: [UInt8] = []
    var overflows = 0
    var closes = 0
    var onRead: (Channel, [UInt8]) -> Void = { _, _ in }
    var onOverflow: (Channel) -> Void = { _ in }

    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) {
        received.append(contentsOf: bytes)
        onRead(channel, Array(bytes))
    }

    func channelOutboundOverflow(_ channel: Channel) {
        overflows += 1
        onOverflow(channel)
    }

    func channelClosed(_ channel: Channel) { closes += 1 }
}
