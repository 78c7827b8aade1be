import Glibc

/// What a protocol layer does with a connection's events. All calls happen on the channel's loop.
public protocol ChannelHandler: AnyObject {
    /// Bytes arrived. They are valid only during the call (they live in the loop's shared
    /// receive buffer): copy what must outlive it.
    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer)
    /// The loop is about to write this channel's queue (once per iteration, only for channels
    /// that asked with `wantsWillFlush`): last chance to move pending data into the queue, e.g.
    /// to encrypt a whole iteration's plaintext in one TLS record batch.
    func channelWillFlush(_ channel: Channel)
    /// The outbound queue passed its limit: the peer does not read fast enough. Called once, at
    /// flush time (so every frame written during the iteration is complete). The handler may
    /// queue a goodbye and `closeAfterFlush`; if it leaves the channel open it is closed at once.
    func channelOutboundOverflow(_ channel: Channel)
    /// The channel is closed; no call follows.
    func channelClosed(_ channel: Channel)
}

extension ChannelHandler {
    public func channelWillFlush(_ channel: Channel) {}
}

/// One accepted socket on a loop: its outbound queue, its read state, its close state.
///
/// All methods must be called on the owning loop's thread.
public final class Channel {
    public let fd: Int32
    /// The owning loop. `unowned(unsafe)` (no reference-count traffic on every write): a loop
    /// closes all its channels before it goes away.
    public unowned(unsafe) let loop: EventLoop
    public var handler: ChannelHandler?
    var outbound = OutboundQueue()
    /// Monotonic time (ns) of the last bytes read; the idle sweep reads it.
    public internal(set) var lastReadAt: UInt64
    /// When non-zero, the loop closes the channel at this monotonic time whatever its state.
    var deadline: UInt64 = 0
    var inflight: Int32 = 0
    var readHeld = false
    var registeredInterest: Interest = .readable
    var state: State = .open
    var isDirty = false
    /// The handler wants `channelWillFlush` before each flush.
    public var wantsWillFlush = false
    var overflowed = false
    /// A write found the queue already over its limit; handled at the next flush.
    var overflowPending = false
    /// The channel is in the loop's deadline list.
    var deadlineTracked = false

    enum State: UInt8 {
        case open
        /// Close as soon as the queue is written (reads are still delivered, then discarded).
        case closingAfterFlush
        /// Our side is shut down (FIN sent); reading and discarding until the peer's EOF.
        case lingering
        case closed
    }

    init(fd: Int32, loop: EventLoop, now: UInt64) {
        self.fd = fd
        self.loop = loop
        self.lastReadAt = now
    }

    public var isOpen: Bool { state == .open }
    public var isClosed: Bool { state == .closed }
    /// Unwritten bytes queued on this channel.
    public var outboundBytes: Int { outbound.byteCount }

    // MARK: Writing

    /// Queues a copy of `bytes` (corked: it leaves with everything else queued this iteration).
    public func write(_ bytes: UnsafeRawBufferPointer) {
        guard state == .open || state == .closingAfterFlush, bytes.count > 0 else { return }
        outbound.append(bytes, makeChunk: loop.makeChunk)
        didQueue(bytes.count)
    }

    public func write(_ bytes: [UInt8]) {
        bytes.withUnsafeBytes { write($0) }
    }

    /// Queues everything `body` emits as one write: the limit is judged on the backlog before
    /// the batch, as for a single write (a TLS flush drains one message's records in pieces).
    public func writeBatch(_ body: ((UnsafeRawBufferPointer) -> Void) -> Void) {
        guard state == .open || state == .closingAfterFlush else { return }
        let before = outbound.byteCount
        body { bytes in
            if bytes.count > 0 { outbound.append(bytes, makeChunk: loop.makeChunk) }
        }
        if outbound.byteCount > before { didQueue(outbound.byteCount - before) }
    }

    /// Queues a sealed chunk by reference: the same bytes can go to many channels uncopied.
    public func write(shared chunk: ByteChunk) {
        guard state == .open || state == .closingAfterFlush, chunk.count > 0 else { return }
        outbound.append(shared: chunk)
        didQueue(chunk.count)
    }

    /// The limit applies to the backlog a write lands on: a queue already holding more than
    /// `maxOutboundBytesPerChannel` makes its channel a slow consumer. So one message larger
    /// than the limit (up to the message size limit) can still be sent to a reader that keeps
    /// up, and a connection's queue never exceeds the limit by more than one iteration's writes.
    private func didQueue(_ n: Int) {
        let loop = self.loop
        loop.outboundTotal += n
        if !isDirty { loop.markDirty(self) }
        if outbound.byteCount - n > loop.configuration.maxOutboundBytesPerChannel { overflowPending = true }
        if loop.outboundTotal > loop.configuration.outboundBudget { loop.enforceBudget() }
    }

    /// Declares this channel a slow consumer: once, the handler decides how to say goodbye.
    func overflow() {
        guard !overflowed, state != .closed else { return }
        overflowed = true
        loop.metrics.overflows += 1
        if let handler { handler.channelOutboundOverflow(self) }
        if state == .open { close() }
    }

    // MARK: Backpressure on input

    /// Counts one unit of inbound work in flight (e.g. a command awaiting its store). Past the
    /// loop's per-channel cap the loop stops reading this socket until work completes.
    public func beginWork() {
        inflight += 1
        if inflight == Int32(loop.configuration.maxInflightPerChannel) { loop.updateInterest(self) }
    }

    public func endWork() {
        guard inflight > 0 else { return }
        inflight -= 1
        if inflight == Int32(loop.configuration.maxInflightPerChannel) - 1 { loop.updateInterest(self) }
    }

    /// Stops reading this socket until `resumeReading` (e.g. while a request is answered
    /// asynchronously: pipelined input would otherwise pile up unread in a parser's buffer).
    public func pauseReading() {
        guard !readHeld else { return }
        readHeld = true
        loop.updateInterest(self)
    }

    public func resumeReading() {
        guard readHeld else { return }
        readHeld = false
        loop.updateInterest(self)
    }

    public var isReadPaused: Bool { readHeld || inflight >= Int32(loop.configuration.maxInflightPerChannel) }

    // MARK: Closing

    /// Writes what is queued, then shuts the socket down gracefully; forced after the loop's
    /// linger time.
    public func closeAfterFlush() {
        guard state == .open else { return }
        state = .closingAfterFlush
        setDeadline(after: loop.configuration.lingerNanoseconds)
        loop.markDirty(self)
    }

    /// Closes at once; queued bytes are dropped.
    public func close() {
        loop.closeChannel(self)
    }

    /// Closes the channel at `now + nanoseconds` unless it closed before.
    public func setDeadline(after nanoseconds: UInt64) {
        let at = loop.now &+ nanoseconds
        if deadline == 0 || at < deadline { deadline = at }
        loop.trackDeadline(self, at: deadline)
    }
}
