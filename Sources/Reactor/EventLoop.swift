import CEpoll
import Glibc
import Synchronization

/// One event loop: a thread's worth of sockets, timers and tasks over a `Poller`.
///
/// Loops share nothing. Another thread reaches a loop only through `execute`, a bounded queue
/// drained on the loop. Each iteration: dispatch readiness → run due timers → run queued
/// tasks → flush every channel written to during the iteration (one `writev` each) → sleep.
/// Flushing last is what corks writes: everything a channel was sent while handling one batch
/// of input leaves in one system call.
public final class EventLoop {
    public let index: Int
    public let configuration: LoopConfiguration
    public internal(set) var metrics = LoopMetrics()
    /// Monotonic nanoseconds, refreshed once per iteration.
    public private(set) var now: UInt64
    /// Called on the loop when the loop is asked to stop, before it drains its channels.
    public var onStop: [() -> Void] = []
    /// Called on the loop for conditions an operator should hear of (accept errors, ...).
    public var onWarning: (String) -> Void = { _ in }

    let poller: Poller
    private var table: [Registration?] = []
    private var events: [PollEvent] = []
    private let receiveBuffer: UnsafeMutableRawBufferPointer
    let iovecs: UnsafeMutablePointer<iovec>
    let iovecLimit = 256
    private var dirty: [Channel] = []
    private var deadlines: [Channel] = []
    /// No tracked deadline is earlier than this: the scan is skipped until then.
    private var earliestDeadline: UInt64 = .max
    private var chunkPool: [ByteChunk] = []
    private var smallChunkPool: [ByteChunk] = []
    private var timers = TimerHeap()
    var outboundTotal = 0
    private var channelCount = 0
    private var pendingCloses: [Int32] = []

    private let tasks: Mutex<[() -> Void]>
    private let wakeFD: Int32
    private let stopRequested = Atomic<Bool>(false)
    private var stopping = false
    private var stopDeadline: UInt64 = 0

    enum Registration {
        case channel(Channel)
        case listener(Listener)
        case wakeup
        case signals(SignalWatcher)
    }

    /// Creates a loop over `poller` (epoll unless a test supplies its own).
    public init(index: Int = 0, configuration: LoopConfiguration = .init(), poller: Poller? = nil) throws(ReactorError) {
        self.index = index
        self.configuration = configuration
        if let poller { self.poller = poller } else { self.poller = try EpollPoller() }
        now = MonotonicClock.now()
        receiveBuffer = .allocate(byteCount: configuration.receiveBufferSize, alignment: 16)
        iovecs = .allocate(capacity: iovecLimit)
        tasks = Mutex([])
        let efd = eventfd(0, Int32(EFD_NONBLOCK | EFD_CLOEXEC))
        guard efd >= 0 else { throw .syscall("eventfd", errno) }
        wakeFD = efd
        try self.poller.register(efd, interest: .readable)
        setRegistration(.wakeup, for: efd)
    }

    deinit {
        receiveBuffer.deallocate()
        iovecs.deallocate()
        Syscall.close(wakeFD)
    }

    /// Open channels on this loop.
    public var openChannels: Int { channelCount }

    // MARK: Registration table

    func setRegistration(_ registration: Registration?, for fd: Int32) {
        let i = Int(fd)
        if i >= table.count {
            table.append(contentsOf: repeatElement(nil, count: max(i + 1, table.count * 2) - table.count))
        }
        table[i] = registration
    }

    /// Makes an accepted (or connected) non-blocking socket a channel of this loop.
    @discardableResult
    public func adopt(fd: Int32, handler: ChannelHandler? = nil) throws(ReactorError) -> Channel {
        let channel = Channel(fd: fd, loop: self, now: now)
        channel.handler = handler
        try poller.register(fd, interest: .readable)
        setRegistration(.channel(channel), for: fd)
        channelCount += 1
        return channel
    }

    /// Visits every open channel (the idle sweep, a graceful stop).
    public func forEachChannel(_ body: (Channel) -> Void) {
        for case .channel(let channel)? in table where channel.state != .closed { body(channel) }
    }

    // MARK: Cross-thread tasks

    /// Runs `task` on this loop's thread soon. Safe from any thread. Bounded: when the queue
    /// holds `taskQueueCapacity` tasks the task is refused and `.taskQueueFull` thrown, so a
    /// stalled loop pushes back on its producers instead of growing without limit.
    public func execute(_ task: @escaping () -> Void) throws(ReactorError) {
        let outcome = tasks.withLock { queue -> Int in
            guard queue.count < configuration.taskQueueCapacity else { return -1 }
            queue.append(task)
            return queue.count
        }
        guard outcome > 0 else { throw .taskQueueFull }
        // Only the first task into an empty queue needs to wake the loop: the loop drains the
        // whole queue each time it runs tasks.
        if outcome == 1 { wake() }
    }

    private func wake() {
        var one: UInt64 = 1
        _ = Glibc.write(wakeFD, &one, 8)
    }

    private func runTasks() {
        let batch = tasks.withLock { queue -> [() -> Void] in
            let taken = queue
            queue.removeAll(keepingCapacity: false)
            return taken
        }
        for task in batch { task() }
    }

    // MARK: Timers

    /// Calls `callback` on this loop after `nanoseconds`.
    @discardableResult
    public func schedule(after nanoseconds: UInt64, _ callback: @escaping () -> Void) -> TimerID {
        timers.schedule(at: now &+ nanoseconds, callback)
    }

    /// Calls `callback` every `interval` until it returns false.
    public func repeating(every interval: UInt64, _ callback: @escaping () -> Bool) {
        schedule(after: interval) { [unowned self] in
            if callback() { self.repeating(every: interval, callback) }
        }
    }

    public func cancel(_ timer: TimerID) { timers.cancel(timer) }

    // MARK: Running

    /// Asks the loop to stop: safe from any thread. The loop calls `onStop`, gives channels
    /// `stopGraceNanoseconds` to close, closes the rest and returns from `run`.
    public func stop() {
        stopRequested.store(true, ordering: .releasing)
        wake()
    }

    /// Runs until stopped.
    public func run() {
        while runOnce(timeoutMilliseconds: nil) {}
        shutdown()
    }

    /// One iteration. `timeoutMilliseconds` overrides the sleep (tests pass 0).
    /// Returns false once the loop has finished stopping.
    @discardableResult
    public func runOnce(timeoutMilliseconds: Int32? = nil) -> Bool {
        flushDirty()
        let timeout = timeoutMilliseconds ?? sleepTimeout()
        poller.poll(timeoutMilliseconds: timeout, into: &events)
        now = MonotonicClock.now()
        for event in events { dispatch(event) }
        closePending()
        // One at a time: a callback may cancel a timer that is due in the same batch.
        while let callback = timers.popExpired(now: now) { callback() }
        runTasks()
        expireDeadlines()
        if stopRequested.load(ordering: .acquiring) && !stopping { beginStop() }
        if stopping && (channelCount == 0 || now >= stopDeadline) { return false }
        return true
    }

    private func sleepTimeout() -> Int32 {
        if !tasks.withLock({ $0.isEmpty }) || !dirty.isEmpty { return 0 }
        var timeout: Int32 = -1
        if let next = timers.nextDeadline() {
            timeout = next <= now ? 0 : Int32(min((next - now + 999_999) / 1_000_000, 60_000))
        }
        if !deadlines.isEmpty || stopping { timeout = timeout < 0 ? 100 : min(timeout, 100) }
        return timeout
    }

    private func beginStop() {
        stopping = true
        stopDeadline = now &+ configuration.stopGraceNanoseconds
        for listener in table.compactMap({ r -> Listener? in if case .listener(let l)? = r { return l } else { return nil } }) {
            listener.close()
        }
        for callback in onStop { callback() }
    }

    private func shutdown() {
        forEachChannel { $0.close() }
        closePending()
        flushDirty()
    }

    // MARK: Dispatch

    private func dispatch(_ event: PollEvent) {
        guard Int(event.fd) < table.count, let registration = table[Int(event.fd)] else { return }
        switch registration {
        case .channel(let channel):
            if event.readable || event.hangup { readable(channel, hangup: event.hangup) }
            if event.writable && channel.state != .closed { flush(channel) }
        case .listener(let listener):
            listener.acceptReady()
        case .wakeup:
            var value: UInt64 = 0
            _ = Glibc.read(wakeFD, &value, 8)
        case .signals(let watcher):
            watcher.drain()
        }
    }

    private func readable(_ channel: Channel, hangup: Bool) {
        if channel.isReadPaused && channel.state == .open {
            // Not reading now; a hangup while paused means the peer is gone.
            if hangup { closeChannel(channel) }
            return
        }
        for _ in 0..<configuration.readsPerEvent {
            metrics.readCalls += 1
            switch poller.read(channel.fd, into: receiveBuffer) {
            case .bytes(0):
                // EOF: one last attempt to send what is queued (a close reply), then close.
                if channel.state == .open || channel.state == .closingAfterFlush {
                    if channel.wantsWillFlush { channel.handler?.channelWillFlush(channel) }
                    writeOut(channel)
                }
                closeChannel(channel)
                return
            case .bytes(let n):
                channel.lastReadAt = now
                if channel.state == .open || channel.state == .closingAfterFlush {
                    channel.handler?.channelRead(channel, UnsafeRawBufferPointer(rebasing: receiveBuffer[0..<n]))
                }
                if n < receiveBuffer.count || channel.state == .closed || channel.isReadPaused { return }
            case .wouldBlock:
                return
            case .failed:
                closeChannel(channel)
                return
            }
        }
    }

    // MARK: Closing

    func closeChannel(_ channel: Channel) {
        guard channel.state != .closed else { return }
        channel.state = .closed
        outboundTotal -= channel.outbound.discardAll()
        poller.deregister(channel.fd)
        setRegistration(nil, for: channel.fd)
        // The descriptor is released after the current batch of events, so that its number
        // cannot be reused by an accept within the batch and receive another socket's events.
        pendingCloses.append(channel.fd)
        channelCount -= 1
        metrics.closed += 1
        let handler = channel.handler
        channel.handler = nil
        handler?.channelClosed(channel)
    }

    private func closePending() {
        for fd in pendingCloses { poller.close(fd) }
        pendingCloses.removeAll(keepingCapacity: true)
    }

    func trackDeadline(_ channel: Channel, at deadline: UInt64) {
        earliestDeadline = min(earliestDeadline, deadline)
        guard !channel.deadlineTracked else { return }
        channel.deadlineTracked = true
        deadlines.append(channel)
    }

    /// Closes channels whose deadline passed. Scans only once the earliest deadline is due;
    /// collects first and closes after, so a close that sets another deadline is not lost.
    private func expireDeadlines() {
        guard now >= earliestDeadline else { return }
        var expired: [Channel] = []
        var kept: [Channel] = []
        var earliest = UInt64.max
        for channel in deadlines where channel.state != .closed {
            if now >= channel.deadline {
                expired.append(channel)
            } else {
                kept.append(channel)
                earliest = min(earliest, channel.deadline)
            }
        }
        for channel in deadlines where channel.state == .closed { channel.deadlineTracked = false }
        for channel in expired { channel.deadlineTracked = false }
        deadlines = kept
        earliestDeadline = earliest
        for channel in expired { closeChannel(channel) }
    }

    // MARK: Chunks

    /// An owned chunk of at least `minimum` bytes. The first chunk of an empty queue is small
    /// when that fits (a ping, a reply, a few echoes): pinging ten thousand connections in one
    /// sweep must not take ten thousand 16 KiB blocks. Later chunks are standard-size.
    func makeChunk(_ minimum: Int, first: Bool) -> ByteChunk {
        if first && minimum <= configuration.smallChunkSize {
            return smallChunkPool.popLast() ?? ByteChunk(capacity: configuration.smallChunkSize)
        }
        if minimum <= configuration.chunkSize {
            return chunkPool.popLast() ?? ByteChunk(capacity: configuration.chunkSize)
        }
        return ByteChunk(capacity: minimum)
    }

    func recycle(_ chunk: ByteChunk) {
        // An owned chunk belongs to exactly one queue, and a queue never reads a chunk again
        // once it is written, so it can be reused at once.
        if chunk.capacity == configuration.chunkSize && chunkPool.count < configuration.chunkPoolLimit {
            chunk.reset()
            chunkPool.append(chunk)
        } else if chunk.capacity == configuration.smallChunkSize && smallChunkPool.count < configuration.smallChunkPoolLimit {
            chunk.reset()
            smallChunkPool.append(chunk)
        }
    }

    // MARK: Flushing

    /// Schedules `channel` for the flush before the loop sleeps (and its `channelWillFlush`).
    public func markDirty(_ channel: Channel) {
        guard !channel.isDirty else { return }
        channel.isDirty = true
        dirty.append(channel)
    }

    /// Writes every channel written to since the last flush. Runs before the loop sleeps.
    func flushDirty() {
        var i = 0
        // Index loop: flushing may mark more channels dirty (a handler's willFlush).
        while i < dirty.count {
            let channel = dirty[i]
            if channel.state != .closed {
                // willFlush first: what it writes joins this flush instead of marking the
                // channel dirty for a second one.
                if channel.wantsWillFlush { channel.handler?.channelWillFlush(channel) }
                channel.isDirty = false
                if channel.overflowPending && !channel.overflowed { channel.overflow() }
                if channel.state != .closed { flush(channel) }
            }
            channel.isDirty = false
            i += 1
        }
        dirty.removeAll(keepingCapacity: dirty.count <= 1024)
    }
}
