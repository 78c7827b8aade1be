import Glibc
import Testing
@testable import Reactor

/// An echo handler: what comes in goes back out.
final class EchoHandler: ChannelHandler {
    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) { channel.write(bytes) }
    func channelOutboundOverflow(_ channel: Channel) {}
    func channelClosed(_ channel: Channel) {}
}

/// Sends `count` bytes of a pattern once the connection opens, then closes after flushing.
final class BlastHandler: ChannelHandler {
    let count: Int
    init(count: Int) { self.count = count }
    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) {
        var block = [UInt8](repeating: 0, count: 4096)
        var sent = 0
        while sent < count {
            let n = min(block.count, count - sent)
            for i in 0..<n { block[i] = UInt8(truncatingIfNeeded: (sent + i) % 251) }
            block.withUnsafeBytes { channel.write(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
            sent += n
        }
        channel.closeAfterFlush()
    }
    func channelOutboundOverflow(_ channel: Channel) {}
    func channelClosed(_ channel: Channel) {}
}

func readAll(_ fd: Int32, atLeast count: Int) -> [UInt8] {
    var out: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 65536)
    while out.count < count {
        let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if n <= 0 { break }
        out.append(contentsOf: buffer[0..<n])
    }
    return out
}

func blockingClient(port: Int) throws -> Int32 {
    let fd = try Sockets.connect(to: SocketAddress(host: "127.0.0.1", port: port))
    let flags = fcntl(fd, F_GETFL)
    _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
    var timeout = timeval(tv_sec: 10, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    return fd
}

@Suite(.serialized) struct LoopbackTests {
    @Test func echoesOverRealSockets() throws {
        let loop = try EventLoop()
        let listener = try loop.listen(on: SocketAddress(parsing: "127.0.0.1:0")) { $0.handler = EchoHandler() }
        let thread = LoopThread(loop: loop)
        try thread.start()
        defer { loop.stop(); thread.join() }

        let fd = try blockingClient(port: listener.port)
        defer { close(fd) }
        let message = Array("hello, loop".utf8)
        _ = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
        #expect(readAll(fd, atLeast: message.count) == message)
    }

    @Test func twoLoopsShareOnePortWithReusePort() throws {
        let first = try EventLoop(index: 0)
        let second = try EventLoop(index: 1)
        let a = try first.listen(on: SocketAddress(parsing: "127.0.0.1:0")) { $0.handler = EchoHandler() }
        let b = try second.listen(on: SocketAddress(host: "127.0.0.1", port: a.port)) { $0.handler = EchoHandler() }
        #expect(a.port == b.port)
        let threads = [LoopThread(loop: first), LoopThread(loop: second)]
        for t in threads { try t.start() }
        defer { first.stop(); second.stop(); for t in threads { t.join() } }
        for i in 0..<20 {
            let fd = try blockingClient(port: a.port)
            let message = Array("ping \(i)".utf8)
            _ = message.withUnsafeBytes { send(fd, $0.baseAddress, $0.count, 0) }
            #expect(readAll(fd, atLeast: message.count) == message)
            close(fd)
        }
    }

    @Test func largeWriteToASlowReaderArrivesWholeAndInOrder() throws {
        var configuration = LoopConfiguration()
        configuration.maxOutboundBytesPerChannel = 16 << 20
        let loop = try EventLoop(configuration: configuration)
        let size = 6 << 20
        let listener = try loop.listen(on: SocketAddress(parsing: "127.0.0.1:0")) { $0.handler = BlastHandler(count: size) }
        let thread = LoopThread(loop: loop)
        try thread.start()
        defer { loop.stop(); thread.join() }

        let fd = try blockingClient(port: listener.port)
        defer { close(fd) }
        _ = send(fd, "go", 2, 0)
        usleep(200_000)  // let the server's queue back up behind a full socket
        let received = readAll(fd, atLeast: size + 1)
        #expect(received.count == size)
        #expect(received.enumerated().allSatisfy { $0.element == UInt8($0.offset % 251) })
    }

    @Test func stopClosesChannelsAndReturns() throws {
        let loop = try EventLoop()
        let listener = try loop.listen(on: SocketAddress(parsing: "127.0.0.1:0")) { $0.handler = EchoHandler() }
        var stopCalls = 0
        loop.onStop.append { stopCalls += 1 }
        let thread = LoopThread(loop: loop)
        try thread.start()
        let fd = try blockingClient(port: listener.port)
        defer { close(fd) }
        _ = send(fd, "x", 1, 0)
        _ = readAll(fd, atLeast: 1)
        loop.stop()
        thread.join()
        #expect(stopCalls == 1)
        // The server side is gone: the client reads EOF.
        var byte: UInt8 = 0
        #expect(recv(fd, &byte, 1, 0) == 0)
    }
}

/// Writes a greeting as soon as it is made the channel's handler; records what comes back.
final class GreetingClient: ChannelHandler {
    var received: [UInt8] = []
    var closed = false
    func channelRead(_ channel: Channel, _ bytes: UnsafeRawBufferPointer) { received.append(contentsOf: bytes) }
    func channelOutboundOverflow(_ channel: Channel) {}
    func channelClosed(_ channel: Channel) { closed = true }
}

@Suite(.serialized) struct NonBlockingConnectTests {
    @Test func writesQueuedWhileConnectingLeaveOnceConnected() throws {
        let loop = try EventLoop()
        let listener = try loop.listen(on: SocketAddress(parsing: "127.0.0.1:0")) { $0.handler = EchoHandler() }
        let client = GreetingClient()
        let fd = try Sockets.startConnect(to: SocketAddress(host: "127.0.0.1", port: listener.port))
        let channel = try loop.adopt(fd: fd, handler: client)
        channel.write(Array("hello while connecting".utf8))
        for _ in 0..<200 where client.received.count < 22 { loop.runOnce(timeoutMilliseconds: 10) }
        #expect(String(decoding: client.received, as: UTF8.self) == "hello while connecting")
    }

    @Test func aRefusedConnectClosesTheChannel() throws {
        let loop = try EventLoop()
        // A port nobody listens on: bind one, note it, close it.
        let (probe, port) = try Sockets.listen(on: SocketAddress(parsing: "127.0.0.1:0"))
        close(probe)
        let client = GreetingClient()
        let fd = try Sockets.startConnect(to: SocketAddress(host: "127.0.0.1", port: port))
        let channel = try loop.adopt(fd: fd, handler: client)
        channel.write(Array("x".utf8))
        for _ in 0..<200 where !client.closed { loop.runOnce(timeoutMilliseconds: 10) }
        #expect(client.closed)
    }
}
