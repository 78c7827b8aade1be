import Glibc
import Testing
@testable import Reactor

/// The loop's paths driven through a fake kernel, one behaviour per test.
@Suite struct EventLoopTests {
    let poller = FakePoller()

    func makeLoop(_ adjust: (inout LoopConfiguration) -> Void = { _ in }) throws -> EventLoop {
        var configuration = LoopConfiguration()
        adjust(&configuration)
        return try EventLoop(configuration: configuration, poller: poller)
    }

    @Test func writesDuringOneIterationLeaveInOneWritev() throws {
        let loop = try makeLoop()
        let handler = RecordingHandler()
        let channel = try loop.adopt(fd: 100, handler: handler)
        handler.onRead = { channel, bytes in
            for byte in bytes { channel.write([byte, byte]) }
        }
        poller.reads[100] = [.data([1, 2, 3])]
        poller.batches = [[PollEvent(fd: 100, readable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(poller.written[100] == [1, 1, 2, 2, 3, 3])
        #expect(poller.writevCalls[100] == 1)
        #expect(channel.outboundBytes == 0)
    }

    @Test func partialWriteWaitsForWritableThenFinishes() throws {
        let loop = try makeLoop()
        let channel = try loop.adopt(fd: 101, handler: RecordingHandler())
        poller.writeAllowances[101] = [4, 0]
        channel.write(Array(0..<10))
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(poller.written[101] == [0, 1, 2, 3])
        #expect(channel.outboundBytes == 6)
        #expect(poller.interests[101] == [.readable, .writable])

        poller.batches = [[PollEvent(fd: 101, writable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(poller.written[101] == Array(0..<10))
        #expect(channel.outboundBytes == 0)
        #expect(poller.interests[101] == .readable)
    }

    @Test func eagainOnFirstWriteKeepsEverything() throws {
        let loop = try makeLoop()
        let channel = try loop.adopt(fd: 102, handler: RecordingHandler())
        poller.writeAllowances[102] = [0]
        channel.write([9, 9, 9])
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(poller.written[102] == nil)
        #expect(channel.outboundBytes == 3)
        #expect(poller.interests[102]?.contains(.writable) == true)
    }

    @Test func hangupWithEOFClosesAndReleasesDescriptorAfterBatch() throws {
        let loop = try makeLoop()
        let handler = RecordingHandler()
        _ = try loop.adopt(fd: 103, handler: handler)
        poller.reads[103] = [.eof]
        poller.batches = [[PollEvent(fd: 103, readable: true, hangup: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.closes == 1)
        #expect(poller.closed == [103])
        #expect(poller.interests[103] == nil)
        #expect(loop.openChannels == 0)
    }

    @Test func readErrorCloses() throws {
        let loop = try makeLoop()
        let handler = RecordingHandler()
        _ = try loop.adopt(fd: 104, handler: handler)
        poller.reads[104] = [.failure]
        poller.batches = [[PollEvent(fd: 104, readable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.closes == 1)
        #expect(poller.closed == [104])
    }

    @Test func socketClosedInTheMiddleOfABatchGetsNoMoreEvents() throws {
        let loop = try makeLoop()
        let first = RecordingHandler()
        let second = RecordingHandler()
        _ = try loop.adopt(fd: 105, handler: first)
        let victim = try loop.adopt(fd: 106, handler: second)
        first.onRead = { _, _ in victim.close() }
        poller.reads[105] = [.data([1])]
        poller.reads[106] = [.data([2])]
        poller.batches = [[PollEvent(fd: 105, readable: true), PollEvent(fd: 106, readable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(second.received.isEmpty)
        #expect(poller.readCalls[106] == nil)
        #expect(second.closes == 1)
        #expect(poller.closed == [106])
    }

    @Test func slowConsumerIsDeclaredAtFlushOnceTheBacklogPassesTheLimit() throws {
        let loop = try makeLoop { $0.maxOutboundBytesPerChannel = 100 }
        let handler = RecordingHandler()
        let channel = try loop.adopt(fd: 107, handler: handler)
        poller.writeAllowances[107] = [0, 0, 0]
        // One write larger than the limit onto an empty queue is accepted.
        channel.write([UInt8](repeating: 1, count: 150))
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.overflows == 0)
        #expect(!channel.isClosed)
        // The next write lands on a backlog over the limit: reported once, at the flush.
        channel.write([UInt8](repeating: 2, count: 10))
        channel.write([UInt8](repeating: 3, count: 10))
        #expect(handler.overflows == 0)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.overflows == 1)
        // The handler did nothing, so the channel was closed.
        #expect(channel.isClosed)
        #expect(handler.closes == 1)
    }

    @Test func overflowGoodbyeFollowsEveryWholeFrameQueuedBeforeIt() throws {
        let loop = try makeLoop { $0.maxOutboundBytesPerChannel = 100 }
        let handler = RecordingHandler()
        let channel = try loop.adopt(fd: 108, handler: handler)
        handler.onOverflow = { channel in
            channel.write([0xBB])
            channel.closeAfterFlush()
        }
        poller.writeAllowances[108] = [10, 0]
        channel.write([UInt8](repeating: 1, count: 150))
        loop.runOnce(timeoutMilliseconds: 0)
        // A "frame" in two writes (header, then payload) over the limit: nothing is cut
        // between them; the goodbye comes after both.
        channel.write([0xAA])
        channel.write([UInt8](repeating: 2, count: 20))
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.overflows == 1)
        poller.batches = [[PollEvent(fd: 108, writable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        let out = poller.written[108] ?? []
        #expect(out == [UInt8](repeating: 1, count: 150) + [0xAA] + [UInt8](repeating: 2, count: 20) + [0xBB])
        #expect(poller.shutdowns == [108])
    }

    @Test func loopBudgetClosesTheLargestQueuesFirst() throws {
        let loop = try makeLoop { $0.outboundBudget = 250; $0.maxOutboundBytesPerChannel = 1000 }
        var handlers: [RecordingHandler] = []
        var channels: [Channel] = []
        for (i, size) in [50, 120, 90].enumerated() {
            let fd = Int32(110 + i)
            let handler = RecordingHandler()
            handlers.append(handler)
            let channel = try loop.adopt(fd: fd, handler: handler)
            channels.append(channel)
            poller.writeAllowances[fd] = [0, 0]
            channel.write([UInt8](repeating: 1, count: size))
        }
        // 260 queued > 250: the 120-byte queue goes first, and that is enough.
        #expect(handlers.map(\.closes) == [0, 1, 0])
        #expect(channels[1].isClosed)
        #expect(!channels[0].isClosed && !channels[2].isClosed)
        #expect(loop.outboundTotal == 140)
        #expect(loop.metrics.budgetCuts == 1)
    }

    @Test func inflightCapStopsReadingUntilWorkCompletes() throws {
        let loop = try makeLoop { $0.maxInflightPerChannel = 2 }
        let channel = try loop.adopt(fd: 120, handler: RecordingHandler())
        channel.beginWork()
        #expect(poller.interests[120] == .readable)
        channel.beginWork()
        #expect(poller.interests[120] == [])
        #expect(channel.isReadPaused)
        channel.endWork()
        #expect(poller.interests[120] == .readable)
    }

    @Test func pausedReadingStopsInterestUntilResumed() throws {
        let loop = try makeLoop()
        let channel = try loop.adopt(fd: 124, handler: RecordingHandler())
        channel.pauseReading()
        #expect(poller.interests[124] == [])
        #expect(channel.isReadPaused)
        channel.resumeReading()
        #expect(poller.interests[124] == .readable)
    }

    @Test func closeAfterFlushShutsDownThenClosesOnPeerEOF() throws {
        let loop = try makeLoop()
        let handler = RecordingHandler()
        let channel = try loop.adopt(fd: 121, handler: handler)
        channel.write([1, 2])
        channel.closeAfterFlush()
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(poller.written[121] == [1, 2])
        #expect(poller.shutdowns == [121])
        #expect(handler.closes == 0)
        // Lingering: input is read and discarded until EOF.
        poller.reads[121] = [.data([7]), .eof]
        poller.batches = [[PollEvent(fd: 121, readable: true)], [PollEvent(fd: 121, readable: true)]]
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.closes == 0)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.received.isEmpty)
        #expect(handler.closes == 1)
        #expect(poller.closed == [121])
    }

    @Test func lingeringChannelIsClosedAtItsDeadline() throws {
        let loop = try makeLoop { $0.lingerNanoseconds = 1 }
        let handler = RecordingHandler()
        let channel = try loop.adopt(fd: 122, handler: handler)
        channel.closeAfterFlush()
        loop.runOnce(timeoutMilliseconds: 0)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handler.closes == 1)
    }

    @Test func timersFireInDeadlineOrderAndCancelledOnesDoNot() throws {
        let loop = try makeLoop()
        var fired: [Int] = []
        loop.schedule(after: 2) { fired.append(2) }
        let cancelled = loop.schedule(after: 1) { fired.append(99) }
        loop.schedule(after: 0) { fired.append(0) }
        loop.cancel(cancelled)
        usleep(1000)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(fired == [0, 2])
    }

    @Test func executeFromAnotherThreadRunsOnTheLoopAndIsBounded() throws {
        let loop = try makeLoop { $0.taskQueueCapacity = 2 }
        var ran = 0
        try loop.execute { ran += 1 }
        try loop.execute { ran += 1 }
        #expect(throws: ReactorError.taskQueueFull) { try loop.execute { ran += 1 } }
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(ran == 2)
        try loop.execute { ran += 1 }
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(ran == 3)
    }

    @Test func idleChannelHoldsNoQueueMemory() throws {
        let loop = try makeLoop()
        let channel = try loop.adopt(fd: 123, handler: RecordingHandler())
        channel.write([UInt8](repeating: 3, count: 40_000))
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(channel.outboundBytes == 0)
        #expect(loop.outboundTotal == 0)
    }

    @Test func sharedChunkIsQueuedUncopiedOnManyChannels() throws {
        let loop = try makeLoop()
        let frame = ByteChunk(sharing: [5, 6, 7])
        var channels: [Channel] = []
        for fd in Int32(130)..<Int32(133) {
            let channel = try loop.adopt(fd: fd, handler: RecordingHandler())
            channel.write([1])
            channel.write(shared: frame)
            channel.write([2])
            channels.append(channel)
        }
        loop.runOnce(timeoutMilliseconds: 0)
        for fd in Int32(130)..<Int32(133) { #expect(poller.written[fd] == [1, 5, 6, 7, 2]) }
        #expect(frame.count == 3)
    }

    @Test func timerCancelledByAnotherDueInTheSameBatchDoesNotRun() throws {
        let loop = try makeLoop()
        var fired: [Int] = []
        var second: TimerID?
        loop.schedule(after: 0) { fired.append(1); if let second { loop.cancel(second) } }
        second = loop.schedule(after: 0) { fired.append(2) }
        usleep(1000)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(fired == [1])
    }

    @Test func smallFirstWritesTakeSmallChunks() throws {
        let loop = try makeLoop()
        #expect(loop.makeChunk(10, first: true).capacity == loop.configuration.smallChunkSize)
        #expect(loop.makeChunk(10, first: false).capacity == loop.configuration.chunkSize)
        #expect(loop.makeChunk(100_000, first: true).capacity == 100_000)
    }

    @Test func manyDeadlinesExpireTogetherAndEachChannelIsTrackedOnce() throws {
        let loop = try makeLoop { $0.lingerNanoseconds = 1 }
        var handlers: [RecordingHandler] = []
        for fd in Int32(140)..<Int32(240) {
            let handler = RecordingHandler()
            handlers.append(handler)
            let channel = try loop.adopt(fd: fd, handler: handler)
            channel.setDeadline(after: 1)
            channel.setDeadline(after: 1)  // a second call does not add a second entry
        }
        usleep(1000)
        loop.runOnce(timeoutMilliseconds: 0)
        #expect(handlers.allSatisfy { $0.closes == 1 })
        #expect(loop.openChannels == 0)
    }
}
