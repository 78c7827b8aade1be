import Glibc
import Testing
@testable import Reactor

@Suite struct OutboundQueueTests {
    func drain(_ queue: inout OutboundQueue, taking steps: [Int]) -> [UInt8] {
        var out: [UInt8] = []
        let iov = UnsafeMutablePointer<iovec>.allocate(capacity: 64)
        defer { iov.deallocate() }
        for step in steps where !queue.isEmpty {
            let count = queue.gather(into: iov, limit: 64)
            var left = step
            for i in 0..<Int(count) where left > 0 {
                let n = min(left, iov[i].iov_len)
                out.append(contentsOf: UnsafeRawBufferPointer(start: iov[i].iov_base, count: n))
                left -= n
            }
            queue.consume(min(step, queue.byteCount)) { _ in }
        }
        return out
    }

    @Test func bytesLeaveInOrderAcrossChunksWhateverTheWriteSizes() {
        let input = (0..<200).map { UInt8($0) }
        for step in [1, 3, 7, 16, 50, 199, 500] {
            var queue = OutboundQueue()
            for piece in stride(from: 0, to: input.count, by: 13) {
                input[piece..<min(piece + 13, input.count)].withUnsafeBytes { bytes in
                    queue.append(bytes) { size, _ in ByteChunk(capacity: max(size, 32)) }
                }
            }
            let out = drain(&queue, taking: Array(repeating: step, count: 400))
            #expect(out == input, "step \(step)")
            #expect(queue.isEmpty)
        }
    }

    @Test func drainedQueueReleasesItsChunks() {
        var queue = OutboundQueue()
        var recycled = 0
        [UInt8](repeating: 1, count: 10).withUnsafeBytes { queue.append($0) { size, _ in ByteChunk(capacity: size) } }
        queue.append(shared: ByteChunk(sharing: [2, 2]))
        queue.consume(12) { _ in recycled += 1 }
        #expect(queue.isEmpty)
        #expect(recycled == 1)  // the owned chunk; the shared one is never recycled
    }
}
