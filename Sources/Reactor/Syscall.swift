import CEpoll
import Glibc

/// The result of a non-blocking read or write. "Would block" is a normal outcome, not an error.
public enum IOResult: Equatable {
    /// This many bytes moved; for a read, 0 means the peer closed its side.
    case bytes(Int)
    /// The kernel has no data, or no room, right now.
    case wouldBlock
    /// The socket is broken (reset, timed out, ...); the errno is kept for the log.
    case failed(Int32)
}

/// Thin wrappers over the system calls the reactor makes. They retry `EINTR`, turn
/// `EAGAIN` into `.wouldBlock`, and crash on `EBADF`/`EFAULT`/`EINVAL` for descriptors the
/// reactor owns: those mean a bug in the reactor (a descriptor used after close), not bad input.
enum Syscall {
    static func read(_ fd: Int32, _ buffer: UnsafeMutableRawBufferPointer) -> IOResult {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EBADF, EFAULT: preconditionFailure("read on fd \(fd): errno \(errno)")
            default: return .failed(errno)
            }
        }
    }

    static func writev(_ fd: Int32, _ iov: UnsafePointer<iovec>, _ count: Int32) -> IOResult {
        while true {
            let n = Glibc.writev(fd, iov, count)
            if n >= 0 { return .bytes(n) }
            switch errno {
            case EINTR: continue
            case EAGAIN, EWOULDBLOCK: return .wouldBlock
            case EBADF, EFAULT: preconditionFailure("writev on fd \(fd): errno \(errno)")
            default: return .failed(errno)
            }
        }
    }

    static func close(_ fd: Int32) {
        // Linux releases the descriptor even when close reports EINTR: never retry.
        _ = Glibc.close(fd)
    }

    static var errnoDescription: String {
        String(cString: strerror(errno))
    }

    static func describe(_ code: Int32) -> String {
        String(cString: strerror(code))
    }
}

/// Monotonic time in nanoseconds.
public enum MonotonicClock {
    public static func now() -> UInt64 {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
    }
}

/// The number of CPUs this process may run on (`sched_getaffinity`), at least 1.
public func availableProcessorCount() -> Int {
    Int(cepoll_available_cpus())
}
