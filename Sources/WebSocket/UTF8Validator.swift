/// Incremental UTF-8 validator (RFC 3629) that fails at the first byte which can no
/// longer start or continue a valid sequence.
///
/// The state carried between chunks is the number of continuation bytes still owed and
/// the allowed range of the next one. The first continuation byte's range is narrowed per
/// lead byte (Unicode Table 3-7), which is what rejects overlongs (`E0 80`, `F0 80`),
/// surrogates (`ED A0`–`ED BF`) and code points above U+10FFFF (`F4 90`) at the second
/// byte rather than at the end of the sequence.
public struct UTF8Validator: Sendable, Equatable {
    /// Continuation bytes still expected for the current sequence.
    private var needed: UInt8 = 0
    /// Inclusive range allowed for the next continuation byte.
    private var lower: UInt8 = 0x80
    private var upper: UInt8 = 0xBF
    /// Sticky: once failed, every later call fails until `reset()`.
    private var failed = false

    /// A validator at the start of a message.
    public init() {}

    /// True when everything seen so far is valid and no sequence is left open.
    public var isComplete: Bool { !failed && needed == 0 }

    /// True once an invalid byte has been seen.
    public var hasFailed: Bool { failed }

    /// Returns to the initial state for a new message.
    public mutating func reset() { self = UTF8Validator() }

    /// Ends the message: true only if it was valid and did not stop inside a sequence.
    public mutating func finish() -> Bool {
        let ok = isComplete
        reset()
        return ok
    }

    /// Validates the next chunk of a message; false at the first invalid byte.
    /// A sequence may be split across chunks.
    @discardableResult
    public mutating func validate(_ bytes: UnsafeRawBufferPointer) -> Bool {
        firstInvalidIndex(in: bytes) == nil
    }

    /// Validates the next chunk and returns the index of the first invalid byte in it,
    /// or nil when the whole chunk is (so far) valid.
    public mutating func firstInvalidIndex(in bytes: UnsafeRawBufferPointer) -> Int? {
        if failed { return 0 }
        guard let base = bytes.baseAddress else { return nil }
        let count = bytes.count
        var i = 0
        while i < count {
            if needed == 0 {
                // ASCII fast path: eight bytes per step while no high bit is set.
                while i &+ 8 <= count {
                    let word = base.loadUnaligned(fromByteOffset: i, as: UInt64.self)
                    if word & 0x8080_8080_8080_8080 != 0 { break }
                    i &+= 8
                }
                guard i < count else { break }
                let byte = base.load(fromByteOffset: i, as: UInt8.self)
                if byte < 0x80 {
                    i &+= 1
                    continue
                }
                guard startSequence(byte) else {
                    failed = true
                    return i
                }
            } else {
                let byte = base.load(fromByteOffset: i, as: UInt8.self)
                guard byte >= lower && byte <= upper else {
                    failed = true
                    return i
                }
                needed &-= 1
                lower = 0x80
                upper = 0xBF
            }
            i &+= 1
        }
        return nil
    }

    /// Sets up the state for a multi-byte lead byte; false if `byte` cannot lead a sequence.
    private mutating func startSequence(_ byte: UInt8) -> Bool {
        switch byte {
        case 0xC2...0xDF:
            needed = 1; lower = 0x80; upper = 0xBF
        case 0xE0:
            needed = 2; lower = 0xA0; upper = 0xBF  // below A0 would be overlong
        case 0xE1...0xEC, 0xEE...0xEF:
            needed = 2; lower = 0x80; upper = 0xBF
        case 0xED:
            needed = 2; lower = 0x80; upper = 0x9F  // A0...BF would encode surrogates
        case 0xF0:
            needed = 3; lower = 0x90; upper = 0xBF  // below 90 would be overlong
        case 0xF1...0xF3:
            needed = 3; lower = 0x80; upper = 0xBF
        case 0xF4:
            needed = 3; lower = 0x80; upper = 0x8F  // above 8F exceeds U+10FFFF
        default:
            // 80...BF (lone continuation), C0/C1 (always overlong), F5...FF (out of range).
            return false
        }
        return true
    }
}
