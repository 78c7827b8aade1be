import Glibc

/// The bytes waiting to be written to one socket, in order.
///
/// Small writes are copied into the tail chunk while it has room (corking: many frames leave
/// in one `writev`); shared chunks are queued by reference. An empty queue holds no heap memory,
/// so an idle connection costs nothing here.
public struct OutboundQueue {
    private var chunks: [ByteChunk] = []
    private var head = 0          // index of the first chunk with unwritten bytes
    private var headOffset = 0    // bytes of chunks[head] already written
    /// Unwritten bytes queued.
    public private(set) var byteCount = 0

    public init() {}

    public var isEmpty: Bool { byteCount == 0 }

    /// Copies `bytes` to the end of the queue, filling the tail chunk first.
    /// `makeChunk(size, first)` provides a fresh owned chunk of at least `size` bytes; `first`
    /// says the queue was empty (most writes to an idle connection are small: a small chunk
    /// then serves, and a big one only once the queue grows).
    public mutating func append(_ bytes: UnsafeRawBufferPointer, makeChunk: (Int, Bool) -> ByteChunk) {
        guard bytes.count > 0 else { return }
        byteCount += bytes.count
        var rest = bytes
        if let tail = chunks.last, !tail.isSealed, tail.freeCapacity > 0, chunks.count > head {
            let n = tail.append(rest)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
        }
        while rest.count > 0 {
            let chunk = makeChunk(rest.count, chunks.count == head)
            let n = chunk.append(rest)
            rest = UnsafeRawBufferPointer(rebasing: rest[n...])
            chunks.append(chunk)
        }
    }

    /// Queues a sealed chunk by reference.
    public mutating func append(shared chunk: ByteChunk) {
        precondition(chunk.isSealed, "only sealed chunks are shared")
        guard chunk.count > 0 else { return }
        chunks.append(chunk)
        byteCount += chunk.count
    }

    /// Fills `iov` with up to `limit` entries describing the unwritten bytes; returns the count.
    func gather(into iov: UnsafeMutablePointer<iovec>, limit: Int) -> Int32 {
        var n = 0
        var i = head
        while i < chunks.count && n < limit {
            let chunk = chunks[i]
            let offset = i == head ? headOffset : 0
            iov[n] = iovec(iov_base: chunk.base + offset, iov_len: chunk.count - offset)
            n += 1
            i += 1
        }
        return Int32(n)
    }

    /// Marks `n` bytes as written and returns fully written owned chunks through `recycle`.
    mutating func consume(_ n: Int, recycle: (ByteChunk) -> Void) {
        var left = n
        byteCount -= n
        while left > 0 {
            let chunk = chunks[head]
            let available = chunk.count - headOffset
            if left >= available {
                left -= available
                head += 1
                headOffset = 0
                if !chunk.isSealed { recycle(chunk) }
            } else {
                headOffset += left
                left = 0
            }
        }
        if byteCount == 0 {
            releaseStorage()
        } else if head >= 16 && head * 2 >= chunks.count {
            // A queue that never fully drains would otherwise keep every written chunk.
            chunks.removeFirst(head)
            head = 0
        }
    }

    /// Drops everything; returns the number of bytes dropped.
    @discardableResult
    public mutating func discardAll() -> Int {
        let dropped = byteCount
        releaseStorage()
        return dropped
    }

    private mutating func releaseStorage() {
        chunks = []
        head = 0
        headOffset = 0
        byteCount = 0
    }
}
