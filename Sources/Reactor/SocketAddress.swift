import CEpoll
import Glibc

/// An IPv4 or IPv6 address and port, parsed from `HOST:PORT` or `[V6HOST]:PORT`.
public struct SocketAddress: Sendable, CustomStringConvertible {
    public let host: String
    public let port: Int
    let isIPv6: Bool

    public init(parsing text: String) throws(ReactorError) {
        var host: Substring
        var portText: Substring
        if text.hasPrefix("[") {
            guard let close = text.firstIndex(of: "]"), text[text.index(after: close)...].hasPrefix(":") else {
                throw .invalidAddress(text)
            }
            host = text[text.index(after: text.startIndex)..<close]
            portText = text[text.index(close, offsetBy: 2)...]
        } else {
            guard let colon = text.lastIndex(of: ":") else { throw .invalidAddress(text) }
            host = text[..<colon]
            portText = text[text.index(after: colon)...]
        }
        if host == "localhost" { host = "127.0.0.1" }
        guard let port = Int(portText), (0...65535).contains(port) else { throw .invalidAddress(text) }
        try self.init(host: String(host), port: port, original: text)
    }

    public init(host: String, port: Int) throws(ReactorError) {
        try self.init(host: host, port: port, original: "\(host):\(port)")
    }

    private init(host: String, port: Int, original: String) throws(ReactorError) {
        var v4 = in_addr()
        var v6 = in6_addr()
        if inet_pton(AF_INET, host, &v4) == 1 {
            isIPv6 = false
        } else if inet_pton(AF_INET6, host, &v6) == 1 {
            isIPv6 = true
        } else {
            throw .invalidAddress(original)
        }
        self.host = host
        self.port = port
    }

    public var description: String { isIPv6 ? "[\(host)]:\(port)" : "\(host):\(port)" }

    /// True for 127.0.0.0/8 and ::1.
    public var isLoopback: Bool { isIPv6 ? host == "::1" : host.hasPrefix("127.") }

    /// Calls `body` with a `sockaddr` for this address.
    func withSockaddr<R>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> R) -> R {
        if isIPv6 {
            var sa = sockaddr_in6()
            sa.sin6_family = sa_family_t(AF_INET6)
            sa.sin6_port = in_port_t(UInt16(port).bigEndian)
            _ = inet_pton(AF_INET6, host, &sa.sin6_addr)
            return withUnsafePointer(to: &sa) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in6>.size)) }
            }
        }
        var sa = sockaddr_in()
        sa.sin_family = sa_family_t(AF_INET)
        sa.sin_port = in_port_t(UInt16(port).bigEndian)
        _ = inet_pton(AF_INET, host, &sa.sin_addr)
        return withUnsafePointer(to: &sa) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { body($0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        }
    }
}

/// Socket set-up calls (blocking set-up only; the data path is in `Poller`).
public enum Sockets {
    /// A non-blocking listening socket with `SO_REUSEPORT`, so every loop can have its own
    /// listener on the same port and the kernel spreads connections between them.
    /// Returns the descriptor and the port actually bound (useful with port 0).
    public static func listen(on address: SocketAddress, backlog: Int32 = 4096) throws(ReactorError) -> (fd: Int32, port: Int) {
        let fd = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .syscall("socket", errno) }
        guard cepoll_set_reuseport(fd) == 0 else { let e = errno; Syscall.close(fd); throw .syscall("setsockopt(SO_REUSEPORT)", e) }
        let bound = address.withSockaddr { Glibc.bind(fd, $0, $1) }
        guard bound == 0 else { let e = errno; Syscall.close(fd); throw .syscall("bind \(address)", e) }
        guard Glibc.listen(fd, backlog) == 0 else { let e = errno; Syscall.close(fd); throw .syscall("listen", e) }
        return (fd, localPort(fd))
    }

    /// The local port a socket is bound to.
    public static func localPort(_ fd: Int32) -> Int {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let ok = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard ok == 0 else { return 0 }
        if storage.ss_family == sa_family_t(AF_INET6) {
            return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin6_port)) } }
        }
        return withUnsafePointer(to: &storage) { $0.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { Int(UInt16(bigEndian: $0.pointee.sin_port)) } }
    }

    /// A blocking connect, then the socket is made non-blocking with TCP_NODELAY (clients, tests).
    public static func connect(to address: SocketAddress) throws(ReactorError) -> Int32 {
        let fd = socket(address.isIPv6 ? AF_INET6 : AF_INET, Int32(SOCK_STREAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .syscall("socket", errno) }
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard result == 0 else { let e = errno; Syscall.close(fd); throw .syscall("connect \(address)", e) }
        _ = cepoll_set_nodelay(fd)
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        return fd
    }

    /// Starts a connect without waiting (for event loops: a blocking connect would stall every
    /// other connection of the loop). The socket may still be connecting when this returns:
    /// adopt it as a channel; writes queue until it is connected (`EAGAIN` until then, then
    /// `EPOLLOUT`), and a refused connection shows as a hang-up or a read error.
    public static func startConnect(to address: SocketAddress) throws(ReactorError) -> Int32 {
        let fd = socket(address.isIPv6 ? AF_INET6 : AF_INET,
                        Int32(SOCK_STREAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw .syscall("socket", errno) }
        _ = cepoll_set_nodelay(fd)
        let result = address.withSockaddr { Glibc.connect(fd, $0, $1) }
        guard result == 0 || errno == EINPROGRESS else { let e = errno; Syscall.close(fd); throw .syscall("connect \(address)", e) }
        return fd
    }
}
