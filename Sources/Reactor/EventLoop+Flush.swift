import CEpoll
import Glibc

extension EventLoop {
    /// Writes as much of the channel's queue as the socket takes, then settles its state:
    /// waits for `EPOLLOUT` if bytes remain, finishes a graceful close if it was closing.
    func flush(_ channel: Channel) {
        writeOut(channel)
        guard channel.state != .closed else { return }
        if channel.outbound.isEmpty && channel.state == .closingAfterFlush {
            beginLinger(channel)
        }
        updateInterest(channel)
    }

    /// `writev` until the queue is empty or the socket is full. A short write is retried once
    /// more: the kernel takes partial writes when its buffer is nearly full, and the next call
    /// tells whether it is really full (`EAGAIN`).
    func writeOut(_ channel: Channel) {
        while !channel.outbound.isEmpty {
            let count = channel.outbound.gather(into: iovecs, limit: iovecLimit)
            metrics.writevCalls += 1
            switch poller.writev(channel.fd, iovecs, count: count) {
            case .bytes(let n):
                channel.outbound.consume(n, recycle: recycle)
                outboundTotal -= n
                if n == 0 { return }
            case .wouldBlock:
                return
            case .failed:
                closeChannel(channel)
                return
            }
        }
    }

    /// Our side is done: send FIN after the queued bytes and read until the peer's EOF, so
    /// that unread input never turns our close into a reset that destroys the last frames
    /// the peer has not read yet (a close frame, say).
    private func beginLinger(_ channel: Channel) {
        channel.state = .lingering
        poller.shutdownWrite(channel.fd)
        channel.setDeadline(after: configuration.lingerNanoseconds)
    }

    /// Registers what the channel waits for: input unless paused, output while bytes wait.
    func updateInterest(_ channel: Channel) {
        guard channel.state != .closed else { return }
        var interest: Interest = []
        if !channel.isReadPaused || channel.state != .open { interest.insert(.readable) }
        if !channel.outbound.isEmpty { interest.insert(.writable) }
        guard interest != channel.registeredInterest else { return }
        do {
            try poller.update(channel.fd, interest: interest)
            channel.registeredInterest = interest
        } catch {
            onWarning("cannot update interest of fd \(channel.fd): \(error)")
            closeChannel(channel)
        }
    }

    /// The loop's queues together passed the budget: close the channels with the largest
    /// queues first, at once and without a goodbye (memory must be released now), until the
    /// total is back under 7/8 of the budget. Their clients reconnect and recover what they missed.
    func enforceBudget() {
        // Cut down to a low-water mark, so the next few writes do not start another scan.
        let target = configuration.outboundBudget - configuration.outboundBudget / 8
        var candidates: [Channel] = []
        forEachChannel { if $0.outboundBytes > 0 { candidates.append($0) } }
        candidates.sort { $0.outboundBytes > $1.outboundBytes }
        for channel in candidates {
            guard outboundTotal > target else { return }
            metrics.budgetCuts += 1
            onWarning("loop outbound budget exceeded: closing fd \(channel.fd) with \(channel.outboundBytes) bytes queued")
            closeChannel(channel)
        }
    }
}
