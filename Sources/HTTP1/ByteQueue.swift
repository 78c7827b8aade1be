/// The parser's input buffer: bytes fed but not yet consumed.
///
/// Invariants:
/// - the unread bytes are `storage[start...]`;
/// - when nothing is unread, `storage` is an empty array with no capacity, so an idle
///   connection's parser holds no heap memory;
/// - the first `scanned` unread bytes are known to contain no LF, so looking for the end of a
///   line that arrives in many small pieces scans each byte once.
struct ByteQueue: Sendable {
    private var storage: [UInt8] = []
    private var start = 0
    private var scanned = 0

    /// The number of unread bytes.
    var count: Int { storage.count - start }

    var isEmpty: Bool { start == storage.count }

    /// Heap capacity currently held (for tests of the idle-memory invariant).
    var capacity: Int { storage.capacity }

    /// The unread byte at `offset` (0 is the first unread byte). `offset` must be < `count`.
    subscript(offset: Int) -> UInt8 {
        storage[start + offset]
    }

    mutating func append(_ bytes: UnsafeRawBufferPointer) {
        guard !bytes.isEmpty else { return }
        compactIfWorthwhile()
        bytes.withMemoryRebound(to: UInt8.self) { storage.append(contentsOf: $0) }
    }

    mutating func append(_ bytes: [UInt8]) {
        guard !bytes.isEmpty else { return }
        compactIfWorthwhile()
        storage.append(contentsOf: bytes)
    }

    /// Looks for the line at the front of the unread bytes (nothing is consumed).
    mutating func nextLine() -> LineScan {
        guard let lf = firstLineFeed() else {
            var pending = count
            // A trailing CR may be the first half of the CRLF: it is not content (yet).
            if pending > 0, self[pending - 1] == ASCII.cr { pending -= 1 }
            return .incomplete(contentSoFar: pending, rawLength: count)
        }
        let terminatedByCRLF = lf > 0 && self[lf - 1] == ASCII.cr
        return .complete(
            content: 0..<(terminatedByCRLF ? lf - 1 : lf),
            terminatedByCRLF: terminatedByCRLF,
            length: lf + 1
        )
    }

    /// The offset of the first LF among the unread bytes, or nil when there is none yet.
    private mutating func firstLineFeed() -> Int? {
        let found: Int? = storage.withUnsafeBufferPointer { all in
            all.firstIndex(of: ASCII.lf, from: start + scanned)
        }
        guard let found else {
            scanned = count
            return nil
        }
        scanned = found - start
        return found - start
    }

    /// Runs `body` over the unread bytes in `range` (offsets relative to the first unread byte).
    func withBytes<R>(
        _ range: Range<Int>,
        _ body: (UnsafeBufferPointer<UInt8>) throws(HTTPParseError) -> R
    ) throws(HTTPParseError) -> R {
        let result: Result<R, HTTPParseError> = storage.withUnsafeBufferPointer { all in
            let bytes = all.slice((start + range.lowerBound)..<(start + range.upperBound))
            do throws(HTTPParseError) {
                return .success(try body(bytes))
            } catch {
                return .failure(error)
            }
        }
        return try result.get()
    }

    /// Drops the first `n` unread bytes.
    mutating func consume(_ n: Int) {
        start += n
        scanned = max(0, scanned - n)
        if start >= storage.count {
            releaseStorage()
        }
    }

    /// Copies out and drops the first `n` unread bytes.
    mutating func read(_ n: Int) -> [UInt8] {
        let bytes = Array(storage[start..<(start + n)])
        consume(n)
        return bytes
    }

    /// Copies out and drops every unread byte.
    mutating func readAll() -> [UInt8] {
        if start == 0 {
            // Hand over the array itself rather than copying it.
            let bytes = storage
            releaseStorage()
            return bytes
        }
        return read(count)
    }

    /// Drops every unread byte and the storage that held them.
    mutating func releaseStorage() {
        storage = []
        start = 0
        scanned = 0
    }

    /// Moves unread bytes to the front once at least half the storage is consumed, so each byte
    /// is moved O(1) times on average and a long-lived connection's buffer does not grow.
    private mutating func compactIfWorthwhile() {
        guard start > 0, start * 2 >= storage.count else { return }
        storage.removeSubrange(0..<start)
        start = 0
    }
}

/// The line at the front of a `ByteQueue`.
enum LineScan: Equatable {
    /// No LF yet. `contentSoFar` counts the bytes that will certainly be content (a trailing CR
    /// is excluded), so it never exceeds the final content length: a limit checked against it
    /// fails at the same line whether the bytes arrive at once or one by one.
    case incomplete(contentSoFar: Int, rawLength: Int)
    /// A whole line: `content` excludes the terminator; `length` includes it.
    /// `terminatedByCRLF` is false for a bare LF.
    case complete(content: Range<Int>, terminatedByCRLF: Bool, length: Int)
}
