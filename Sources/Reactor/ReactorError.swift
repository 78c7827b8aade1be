import Glibc

/// The reactor's errors: one closed enum, each case carrying what an operator needs to act.
public enum ReactorError: Error, Equatable, CustomStringConvertible {
    /// A system call failed with this errno.
    case syscall(String, Int32)
    /// `HOST:PORT` could not be understood as an IPv4 or IPv6 address and port.
    case invalidAddress(String)
    /// The bounded cross-thread task queue of a loop is full; the task was not queued.
    case taskQueueFull

    public var description: String {
        switch self {
        case .syscall(let name, let code): return "\(name) failed: \(String(cString: strerror(code))) (errno \(code))"
        case .invalidAddress(let text): return "invalid address '\(text)' (expected HOST:PORT)"
        case .taskQueueFull: return "event loop task queue is full"
        }
    }
}
