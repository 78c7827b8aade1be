/// The limits of one event loop. Every buffer and queue the reactor owns is bounded here.
public struct LoopConfiguration: Sendable {
    /// Outbound bytes one channel may queue; past it the channel is a slow consumer
    /// (`ChannelHandler.channelOutboundOverflow`). Default 1 MiB.
    public var maxOutboundBytesPerChannel = 1 << 20
    /// Outbound bytes all channels of the loop may queue together; past it the channels with
    /// the largest queues are cut first until the loop is back under. Default 256 MiB.
    public var outboundBudget = 256 << 20
    /// Inbound work items in flight per channel before the loop stops reading it. Default 64.
    public var maxInflightPerChannel = 64
    /// The loop's one shared receive buffer. Default 64 KiB.
    public var receiveBufferSize = 64 << 10
    /// Reads of one ready socket per iteration before moving on to the others.
    public var readsPerEvent = 4
    /// Tasks `execute` may hold; past it `execute` refuses. Default 65,536.
    public var taskQueueCapacity = 65_536
    /// How long a closing channel may take to flush and see the peer's EOF. Default 2 s.
    public var lingerNanoseconds: UInt64 = 2_000_000_000
    /// Connections accepted per listener readiness event.
    public var acceptBatch = 64
    /// Owned chunks kept for reuse (each `chunkSize` bytes). Default 256 × 16 KiB.
    public var chunkPoolLimit = 256
    public var chunkSize = 16 << 10
    /// The first chunk of an empty queue when the write fits; pooled up to the limit.
    public var smallChunkSize = 512
    public var smallChunkPoolLimit = 1024
    /// How long a loop that was asked to stop waits for channels to finish closing.
    public var stopGraceNanoseconds: UInt64 = 2_000_000_000

    public init() {}
}

/// Counters a loop keeps; read on the loop (or copied out through `execute`).
public struct LoopMetrics: Sendable {
    public var accepted = 0
    public var closed = 0
    public var overflows = 0
    public var budgetCuts = 0
    public var acceptPauses = 0
    public var writevCalls = 0
    public var readCalls = 0
    public var tasksRefused = 0
}
