import Glibc
import Reactor
import WebSocket

/// A blocking WebSocket client over a raw socket, for in-process server tests.
final class TestClient {
    let fd: Int32
    var decoder = FrameDecoder(maxFramePayload: 32 << 20, role: .client, allowRSV1: true)

    init(port: Int) throws {
        fd = try Sockets.connect(to: SocketAddress(host: "127.0.0.1", port: port))
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags & ~O_NONBLOCK)
        var timeout = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit { close(fd) }

    func send(_ text: String) { send(Array(text.utf8)) }

    func send(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes { Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            if n <= 0 { return }
            offset += n
        }
    }

    /// Reads until the peer closes or the time-out passes.
    func readRaw(max: Int = 1 << 20) -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while out.count < max {
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { break }
            out.append(contentsOf: buffer[0..<n])
        }
        return out
    }

    /// Reads one HTTP response head (through the blank line) and returns it as text.
    func readHead() -> String {
        var out: [UInt8] = []
        var byte: UInt8 = 0
        while recv(fd, &byte, 1, 0) == 1 {
            out.append(byte)
            if out.count >= 4 && out.suffix(4) == [13, 10, 13, 10] { break }
        }
        return String(decoding: out, as: UTF8.self)
    }

    func upgrade(path: String = "/echo", extraHeaders: String = "") -> String {
        send("GET \(path) HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
             + "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\(extraHeaders)\r\n")
        return readHead()
    }

    func sendFrame(_ opcode: WebSocketOpcode, _ payload: [UInt8]) {
        send(FrameEncoder.encode(opcode: opcode, payload: payload, maskingKey: (1, 2, 3, 4)))
    }

    /// The next frame from the server, or nil on time-out or EOF.
    func readFrame() -> WebSocketFrame? {
        var buffer = [UInt8](repeating: 0, count: 65536)
        while true {
            if let frame = try? decoder.next() { return frame }
            let n = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
            if n <= 0 { return nil }
            buffer.withUnsafeBytes { decoder.feed(UnsafeRawBufferPointer(rebasing: $0[0..<n])) }
        }
    }
}

extension WebSocketFrame {
    var closeCode: UInt16? {
        guard opcode == .close, payload.count >= 2 else { return nil }
        return UInt16(payload[0]) << 8 | UInt16(payload[1])
    }
}
