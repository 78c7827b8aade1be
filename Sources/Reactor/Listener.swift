import CEpoll
import Glibc

/// A listening socket on one loop; accepted sockets become channels of that loop.
public final class Listener {
    public let fd: Int32
    public let port: Int
    unowned let loop: EventLoop
    let onAccept: (Channel) -> Void
    private var isPaused = false
    private var isClosed = false

    init(fd: Int32, port: Int, loop: EventLoop, onAccept: @escaping (Channel) -> Void) {
        self.fd = fd
        self.port = port
        self.loop = loop
        self.onAccept = onAccept
    }

    /// Accepts up to a batch of connections. On descriptor exhaustion (`EMFILE`/`ENFILE`) or
    /// memory pressure the listener stops for 100 ms instead of spinning on a level-triggered
    /// readiness it cannot serve; waiting clients stay in the kernel's backlog meanwhile.
    func acceptReady() {
        for _ in 0..<loop.configuration.acceptBatch {
            let client = cepoll_accept4(fd, nil, nil, Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue))
            if client < 0 {
                switch errno {
                case EAGAIN, EWOULDBLOCK: return
                case EINTR, ECONNABORTED, EPROTO: continue
                case EMFILE, ENFILE, ENOBUFS, ENOMEM:
                    loop.onWarning("accept: \(Syscall.describe(errno)); pausing the listener for 100 ms")
                    pause(for: 100_000_000)
                    return
                default:
                    loop.onWarning("accept: \(Syscall.describe(errno))")
                    return
                }
            }
            _ = cepoll_set_nodelay(client)
            do {
                let channel = try loop.adopt(fd: client)
                loop.metrics.accepted += 1
                onAccept(channel)
            } catch {
                loop.onWarning("cannot register an accepted socket: \(error)")
                Syscall.close(client)
            }
        }
    }

    private func pause(for nanoseconds: UInt64) {
        guard !isPaused else { return }
        isPaused = true
        loop.metrics.acceptPauses += 1
        loop.poller.deregister(fd)
        loop.schedule(after: nanoseconds) { [weak self] in
            guard let self, !self.isClosed else { return }
            self.isPaused = false
            try? self.loop.poller.register(self.fd, interest: .readable)
        }
    }

    deinit {
        if !isClosed { Syscall.close(fd) }
    }

    /// Stops accepting and closes the socket.
    public func close() {
        guard !isClosed else { return }
        isClosed = true
        if !isPaused { loop.poller.deregister(fd) }
        loop.setRegistration(nil, for: fd)
        Syscall.close(fd)
    }
}

extension EventLoop {
    /// Listens on `address` with `SO_REUSEPORT` and hands each accepted connection to
    /// `onAccept` on this loop. Call before `run`, or on the loop.
    public func listen(on address: SocketAddress, onAccept: @escaping (Channel) -> Void) throws(ReactorError) -> Listener {
        let (fd, port) = try Sockets.listen(on: address)
        let listener = Listener(fd: fd, port: port, loop: self, onAccept: onAccept)
        do {
            try poller.register(fd, interest: .readable)
        } catch {
            Syscall.close(fd)
            throw error
        }
        setRegistration(.listener(listener), for: fd)
        return listener
    }
}
