import CEpoll
import Glibc

/// A loop running on a thread of its own.
public final class LoopThread {
    public let loop: EventLoop
    private var thread = pthread_t()
    private var started = false

    public init(loop: EventLoop) {
        self.loop = loop
    }

    /// Starts the thread; `loop.run()` runs on it until the loop stops.
    public func start() throws(ReactorError) {
        let box = Unmanaged.passRetained(loop).toOpaque()
        let result = cepoll_thread_start(&thread, runLoopThread, box)
        guard result == 0 else {
            Unmanaged<EventLoop>.fromOpaque(box).release()
            throw .syscall("pthread_create", result)
        }
        started = true
    }

    /// Waits for the loop's thread to finish.
    public func join() {
        guard started else { return }
        pthread_join(thread, nil)
        started = false
    }
}

/// The thread entry point: a plain function, not a closure (a closure literal written in a
/// `main.swift` inherits main-actor isolation and traps on another thread).
private func runLoopThread(_ argument: UnsafeMutableRawPointer?) -> UnsafeMutableRawPointer? {
    guard let argument else { return nil }
    let loop = Unmanaged<EventLoop>.fromOpaque(argument).takeRetainedValue()
    loop.run()
    return nil
}
