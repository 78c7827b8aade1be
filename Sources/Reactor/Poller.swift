import CEpoll
import Glibc

/// What a descriptor is waited for.
public struct Interest: OptionSet, Sendable {
    public let rawValue: UInt8
    public init(rawValue: UInt8) { self.rawValue = rawValue }
    public static let readable = Interest(rawValue: 1)
    public static let writable = Interest(rawValue: 2)
}

/// One readiness report.
public struct PollEvent: Equatable {
    public var fd: Int32
    public var readable: Bool
    public var writable: Bool
    /// The peer hung up or the socket is in error; a read will tell which.
    public var hangup: Bool

    public init(fd: Int32, readable: Bool = false, writable: Bool = false, hangup: Bool = false) {
        self.fd = fd
        self.readable = readable
        self.writable = writable
        self.hangup = hangup
    }
}

/// The seam between the loop and the kernel: readiness and the byte-moving calls on sockets.
///
/// `EpollPoller` is the real one. Tests provide a scripted one that plays the kernel: it
/// reports readiness, accepts partial writes, answers `EAGAIN`, hangs up, or closes a socket
/// in the middle of a batch, so each of the loop's paths can be driven deterministically.
public protocol Poller: AnyObject {
    func register(_ fd: Int32, interest: Interest) throws(ReactorError)
    func update(_ fd: Int32, interest: Interest) throws(ReactorError)
    func deregister(_ fd: Int32)
    /// Waits up to `timeoutMilliseconds` (-1: forever) and replaces `events` with what is ready.
    func poll(timeoutMilliseconds: Int32, into events: inout [PollEvent])
    func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult
    func writev(_ fd: Int32, _ iov: UnsafePointer<iovec>, count: Int32) -> IOResult
    /// Sends FIN after the queued bytes (`shutdown(SHUT_WR)`).
    func shutdownWrite(_ fd: Int32)
    func close(_ fd: Int32)
}

/// The Linux poller: level-triggered epoll.
///
/// Level-triggered keeps the loop simple: a socket that still has input after one bounded read
/// batch is reported again on the next iteration, which is also what keeps one busy client
/// from starving the others.
public final class EpollPoller: Poller {
    private let epfd: Int32
    private var buffer: UnsafeMutablePointer<epoll_event>
    private let capacity: Int32

    public init(capacity: Int32 = 1024) throws(ReactorError) {
        let fd = epoll_create1(Int32(EPOLL_CLOEXEC))
        guard fd >= 0 else { throw .syscall("epoll_create1", errno) }
        epfd = fd
        self.capacity = capacity
        buffer = .allocate(capacity: Int(capacity))
    }

    deinit {
        buffer.deallocate()
        Syscall.close(epfd)
    }

    private static func mask(_ interest: Interest) -> UInt32 {
        var events = UInt32(EPOLLRDHUP.rawValue)
        if interest.contains(.readable) { events |= UInt32(EPOLLIN.rawValue) }
        if interest.contains(.writable) { events |= UInt32(EPOLLOUT.rawValue) }
        return events
    }

    private func control(_ op: Int32, _ fd: Int32, _ interest: Interest, _ name: String) throws(ReactorError) {
        var event = epoll_event()
        event.events = Self.mask(interest)
        event.data.fd = fd
        if epoll_ctl(epfd, op, fd, &event) != 0 { throw .syscall(name, errno) }
    }

    public func register(_ fd: Int32, interest: Interest) throws(ReactorError) {
        try control(EPOLL_CTL_ADD, fd, interest, "epoll_ctl(ADD)")
    }

    public func update(_ fd: Int32, interest: Interest) throws(ReactorError) {
        try control(EPOLL_CTL_MOD, fd, interest, "epoll_ctl(MOD)")
    }

    public func deregister(_ fd: Int32) {
        var event = epoll_event()
        _ = epoll_ctl(epfd, EPOLL_CTL_DEL, fd, &event)
    }

    public func poll(timeoutMilliseconds: Int32, into events: inout [PollEvent]) {
        events.removeAll(keepingCapacity: true)
        var n: Int32
        repeat {
            n = epoll_wait(epfd, buffer, capacity, timeoutMilliseconds)
        } while n < 0 && errno == EINTR
        guard n > 0 else { return }
        let hup = UInt32(EPOLLHUP.rawValue) | UInt32(EPOLLERR.rawValue) | UInt32(EPOLLRDHUP.rawValue)
        for i in 0..<Int(n) {
            let e = buffer[i]
            events.append(PollEvent(fd: e.data.fd,
                                    readable: e.events & UInt32(EPOLLIN.rawValue) != 0,
                                    writable: e.events & UInt32(EPOLLOUT.rawValue) != 0,
                                    hangup: e.events & hup != 0))
        }
    }

    public func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        Syscall.read(fd, buffer)
    }

    public func writev(_ fd: Int32, _ iov: UnsafePointer<iovec>, count: Int32) -> IOResult {
        Syscall.writev(fd, iov, count)
    }

    public func shutdownWrite(_ fd: Int32) {
        _ = Glibc.shutdown(fd, Int32(SHUT_WR))
    }

    public func close(_ fd: Int32) {
        Syscall.close(fd)
    }
}
