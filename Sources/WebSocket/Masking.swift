/// The RFC 6455 §5.3 masking transform: byte `i` of the payload is XORed with
/// key byte `i % 4`. Applying it twice restores the input, so the same code masks
/// (client) and unmasks (server).
public enum Masking {
    /// XORs `count` bytes from `source` with the key into `destination`, 8 bytes per step.
    ///
    /// `phase` is the payload offset of `source[0]` modulo 4, which lets a payload be
    /// processed in pieces. `source` and `destination` may be the same address (in-place)
    /// but must not otherwise overlap. Neither needs any alignment.
    @inlinable
    public static func apply(
        key: (UInt8, UInt8, UInt8, UInt8),
        phase: Int = 0,
        from source: UnsafeRawPointer,
        to destination: UnsafeMutableRawPointer,
        count: Int
    ) {
        guard count > 0 else { return }
        // Rotate the key so that lane 0 of the word lines up with source[0]. Building the
        // rotated key through memory keeps the lanes in wire order on any endianness.
        // (A switch rather than an array: no allocation on this per-frame path.)
        let rotated: (UInt8, UInt8, UInt8, UInt8)
        switch phase & 3 {
        case 0: rotated = key
        case 1: rotated = (key.1, key.2, key.3, key.0)
        case 2: rotated = (key.2, key.3, key.0, key.1)
        default: rotated = (key.3, key.0, key.1, key.2)
        }
        let key32 = withUnsafeBytes(of: rotated) { $0.loadUnaligned(as: UInt32.self) }
        let key64 = UInt64(truncatingIfNeeded: key32) | (UInt64(truncatingIfNeeded: key32) << 32)

        // Invariant: every 8-byte step starts at a multiple of 4 past `phase`, so the same
        // 64-bit key applies to each word.
        var i = 0
        while i &+ 8 <= count {
            let word = source.loadUnaligned(fromByteOffset: i, as: UInt64.self)
            destination.storeBytes(of: word ^ key64, toByteOffset: i, as: UInt64.self)
            i &+= 8
        }
        if i &+ 4 <= count {
            let word = source.loadUnaligned(fromByteOffset: i, as: UInt32.self)
            destination.storeBytes(of: word ^ key32, toByteOffset: i, as: UInt32.self)
            i &+= 4
        }
        // Fewer than four bytes remain, and `i` is a multiple of 4, so the tail uses
        // rotated key lanes 0, 1, 2.
        var lane = 0
        while i < count {
            let k: UInt8
            switch lane {
            case 0: k = rotated.0
            case 1: k = rotated.1
            default: k = rotated.2
            }
            destination.storeBytes(
                of: source.load(fromByteOffset: i, as: UInt8.self) ^ k,
                toByteOffset: i, as: UInt8.self)
            i &+= 1
            lane &+= 1
        }
    }
}
