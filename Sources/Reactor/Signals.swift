import CEpoll
import Glibc

/// Blocks SIGINT, SIGTERM and SIGHUP in the calling thread (and the threads it starts later),
/// and ignores SIGPIPE (`writev` has no `MSG_NOSIGNAL`). Call first thing in `main`, before
/// any loop thread starts, so that these signals are only ever read from a `signalfd`.
public func blockTerminationSignals() {
    var set = sigset_t()
    _ = cepoll_block_signals(&set)
}

/// A `signalfd` registered on a loop: signals arrive as readable events, on the loop's thread.
final class SignalWatcher {
    let fd: Int32
    let handler: (Int32) -> Void

    init(fd: Int32, handler: @escaping (Int32) -> Void) {
        self.fd = fd
        self.handler = handler
    }

    func drain() {
        var info = signalfd_siginfo()
        while Glibc.read(fd, &info, MemoryLayout<signalfd_siginfo>.size) == MemoryLayout<signalfd_siginfo>.size {
            handler(Int32(info.ssi_signo))
        }
    }
}

extension EventLoop {
    /// Delivers SIGINT, SIGTERM and SIGHUP to `handler` on this loop.
    /// `blockTerminationSignals()` must have run before any thread was started.
    public func watchTerminationSignals(_ handler: @escaping (Int32) -> Void) throws(ReactorError) {
        var set = sigset_t()
        sigemptyset(&set)
        sigaddset(&set, SIGINT)
        sigaddset(&set, SIGTERM)
        sigaddset(&set, SIGHUP)
        let fd = signalfd(-1, &set, Int32(SFD_NONBLOCK | SFD_CLOEXEC))
        guard fd >= 0 else { throw .syscall("signalfd", errno) }
        try poller.register(fd, interest: .readable)
        setRegistration(.signals(SignalWatcher(fd: fd, handler: handler)), for: fd)
    }
}

/// Raises the soft limit on open descriptors to the hard limit (each connection is one);
/// returns the limit now in force.
@discardableResult
public func raiseDescriptorLimit() -> Int {
    var limit = rlimit()
    guard getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 else { return 0 }
    if limit.rlim_cur < limit.rlim_max {
        limit.rlim_cur = limit.rlim_max
        _ = setrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
        _ = getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit)
    }
    return Int(limit.rlim_cur)
}
