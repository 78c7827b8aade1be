import Glibc
import Logging
import Reactor
import Testing
import WebSocket
import WireProtocol
@testable import Server

/// A server on background threads, on a free port, stopped at the end of the test.
final class RunningServer {
    let server: RallyServer
    var port: Int { server.ports[0] }

    init(_ adjust: (inout ServerConfiguration) -> Void = { _ in }) throws {
        var configuration = ServerConfiguration()
        configuration.listen = [try SocketAddress(parsing: "127.0.0.1:0")]
        configuration.loops = 2
        configuration.echo = true
        adjust(&configuration)
        var logger = Logger(label: "test")
        logger.logLevel = .error
        server = try RallyServer(configuration: configuration, logger: logger)
        try server.start()
    }

    func stop() {
        server.stop()
        server.wait()
    }

    deinit { stop() }
}

@Suite(.serialized) struct ServerTests {
    @Test func healthzAnswersPipelinedRequestsOnOneConnection() throws {
        let running = try RunningServer()
        let client = try TestClient(port: running.port)
        client.send("GET /healthz HTTP/1.1\r\nHost: x\r\n\r\nGET /healthz HTTP/1.1\r\nHost: x\r\n\r\n")
        let first = client.readHead()
        #expect(first.hasPrefix("HTTP/1.1 200 OK\r\n"))
        var body = [UInt8](repeating: 0, count: 15)
        #expect(recv(client.fd, &body, 15, Int32(MSG_WAITALL)) == 15)
        #expect(String(decoding: body, as: UTF8.self) == #"{"status":"ok"}"#)
        #expect(client.readHead().hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test func unknownPathIs404AndWrongMethodIs405() throws {
        let running = try RunningServer()
        let a = try TestClient(port: running.port)
        a.send("GET /nope HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(a.readHead().hasPrefix("HTTP/1.1 404 "))
        let b = try TestClient(port: running.port)
        b.send("POST /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n\r\n")
        let head = b.readHead()
        #expect(head.hasPrefix("HTTP/1.1 405 "))
        #expect(head.contains("Allow: GET, HEAD"))
    }

    @Test func echoRoundTripsTextBinaryAndAnswersPings() throws {
        let running = try RunningServer()
        let client = try TestClient(port: running.port)
        #expect(client.upgrade().hasPrefix("HTTP/1.1 101 "))
        client.sendFrame(.text, Array("héllo".utf8))
        client.sendFrame(.ping, [7])
        client.sendFrame(.binary, [0, 1, 2])
        let frames = (0..<3).compactMap { _ in client.readFrame() }
        #expect(frames.map(\.opcode) == [.text, .pong, .binary])
        #expect(frames.map(\.payload) == [Array("héllo".utf8), [7], [0, 1, 2]])
    }

    @Test func framesSentWithTheUpgradeRequestAreNotLost() throws {
        let running = try RunningServer()
        let client = try TestClient(port: running.port)
        let frame = FrameEncoder.encode(opcode: .text, payload: Array("early".utf8), maskingKey: (9, 9, 9, 9))
        client.send(Array(("GET /echo HTTP/1.1\r\nHost: x\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
                           + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n").utf8) + frame)
        #expect(client.readHead().hasPrefix("HTTP/1.1 101 "))
        #expect(client.readFrame()?.payload == Array("early".utf8))
    }

    @Test func originAllowListRefusesOthersWith403() throws {
        let running = try RunningServer { $0.allowedOrigins = ["https://rally.example"] }
        let refused = try TestClient(port: running.port)
        #expect(refused.upgrade(extraHeaders: "Origin: https://evil.example\r\n").hasPrefix("HTTP/1.1 403 "))
        let allowed = try TestClient(port: running.port)
        #expect(allowed.upgrade(extraHeaders: "Origin: https://rally.example\r\n").hasPrefix("HTTP/1.1 101 "))
    }

    @Test func protocolErrorClosesWith1002() throws {
        let running = try RunningServer()
        let client = try TestClient(port: running.port)
        _ = client.upgrade()
        client.send([0x81, 0x05] + Array("hello".utf8))  // unmasked client frame
        #expect(client.readFrame()?.closeCode == 1002)
        #expect(client.readFrame() == nil)  // then the server closes the connection
    }

    @Test func stoppingTheServerSays1001() throws {
        let running = try RunningServer()
        let client = try TestClient(port: running.port)
        _ = client.upgrade()
        running.server.stop()
        let frame = client.readFrame()
        #expect(frame?.closeCode == 1001)
        client.sendFrame(.close, [0x03, 0xE9])
        running.server.wait()
    }

    @Test func quietConnectionIsPingedThenClosedWith4002() throws {
        let running = try RunningServer {
            $0.pingInterval = 1_000_000_000
            $0.idleTimeout = 2_500_000_000
        }
        let client = try TestClient(port: running.port)
        _ = client.upgrade()
        var timeout = timeval(tv_sec: 6, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let ping = client.readFrame()
        #expect(ping?.opcode == .ping)
        // No pong: the connection is idle until the time-out.
        let close = client.readFrame()
        #expect(close?.closeCode == RallyCloseCode.idleTimeout)
    }

    @Test func slowConsumerIsClosedWith4001AfterItsBacklog() throws {
        let running = try RunningServer {
            $0.loop.maxOutboundBytesPerChannel = 64 << 10
            $0.loops = 1
            // Time for this client to finish sending (slow in a debug build on a busy
            // machine) before it reads: the test is about what arrives, not how fast.
            $0.loop.lingerNanoseconds = 60_000_000_000
        }
        let client = try TestClient(port: running.port)
        _ = client.upgrade()
        var small: Int32 = 4096
        setsockopt(client.fd, SOL_SOCKET, SO_RCVBUF, &small, socklen_t(MemoryLayout<Int32>.size))
        var sendTimeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_SNDTIMEO, &sendTimeout, socklen_t(MemoryLayout<timeval>.size))
        let message = [UInt8](repeating: 0x61, count: 16 << 10)
        // Never read while sending: the echoes pile up in the server's queue.
        for _ in 0..<600 { client.sendFrame(.binary, message) }
        var lastCode: UInt16?
        var echoes = 0
        while let frame = client.readFrame() {
            if frame.opcode == .binary { echoes += 1 }
            if frame.opcode == .close { lastCode = frame.closeCode; break }
        }
        #expect(lastCode == RallyCloseCode.slowConsumer)
        #expect(echoes < 600)
    }

    @Test func handshakeMustFinishInTime() throws {
        let running = try RunningServer { $0.handshakeTimeout = 1_000_000_000 }
        let client = try TestClient(port: running.port)
        client.send("GET /healthz HTTP/1.1\r\n")  // and nothing more
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var byte: UInt8 = 0
        let started = MonotonicClock.now()
        #expect(recv(client.fd, &byte, 1, 0) == 0)  // EOF, not a time-out
        #expect(MonotonicClock.now() - started < 4_500_000_000)
    }
}

@Suite(.serialized) struct MessageTimeoutTests {
    @Test func aMessageTrickledForTooLongIsRefusedWith1008() throws {
        let running = try RunningServer { $0.messageTimeout = 1_000_000_000 }
        let client = try TestClient(port: running.port)
        _ = client.upgrade()
        // The first fragment of a message, and then nothing: the buffer would be held forever.
        client.send(FrameEncoder.encode(opcode: .text, payload: Array("part".utf8), fin: false, maskingKey: (1, 2, 3, 4)))
        var timeout = timeval(tv_sec: 6, tv_usec: 0)
        setsockopt(client.fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        #expect(client.readFrame()?.closeCode == 1008)
    }
}
