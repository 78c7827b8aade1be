/// A block of bytes with a stable address, so the loop can hand it to `writev` directly.
///
/// A chunk is either *owned* by one connection's outbound queue, which appends small writes to
/// its tail (corking), or *shared*: sealed, immutable, and referenced by many queues at once, so
/// a frame fanned out to thousands of connections is built once and never copied.
public final class ByteChunk {
    public let base: UnsafeMutableRawPointer
    public let capacity: Int
    public private(set) var count: Int
    /// A sealed chunk is immutable and may be in several queues.
    public private(set) var isSealed = false

    public init(capacity: Int) {
        self.capacity = max(capacity, 1)
        base = .allocate(byteCount: self.capacity, alignment: 16)
        count = 0
    }

    /// A sealed chunk holding a copy of `bytes`, ready to be shared between connections.
    public convenience init(sharing bytes: UnsafeRawBufferPointer) {
        self.init(capacity: bytes.count)
        append(bytes)
        seal()
    }

    public convenience init(sharing bytes: [UInt8]) {
        self.init(capacity: bytes.count)
        bytes.withUnsafeBytes { _ = append($0) }
        seal()
    }

    deinit { base.deallocate() }

    public var freeCapacity: Int { capacity - count }

    public var bytes: UnsafeRawBufferPointer { UnsafeRawBufferPointer(start: base, count: count) }

    /// Appends as much of `bytes` as fits and returns how many bytes were taken.
    @discardableResult
    public func append(_ bytes: UnsafeRawBufferPointer) -> Int {
        precondition(!isSealed, "append to a sealed chunk")
        let n = min(bytes.count, capacity - count)
        if n > 0, let src = bytes.baseAddress {
            (base + count).copyMemory(from: src, byteCount: n)
            count += n
        }
        return n
    }

    /// Reserves `n` bytes at the end and lets `body` fill them; `n` must fit.
    public func append(reserving n: Int, _ body: (UnsafeMutableRawBufferPointer) -> Void) {
        precondition(!isSealed && n <= capacity - count)
        body(UnsafeMutableRawBufferPointer(start: base + count, count: n))
        count += n
    }

    public func seal() { isSealed = true }

    /// Forgets the contents of an owned chunk so it can be reused.
    func reset() {
        precondition(!isSealed)
        count = 0
    }
}
