import COpenSSL

/// One server-side TLS session that never touches a socket: ciphertext in, plaintext out, and
/// the reverse. The event loop moves the bytes; OpenSSL reads and writes two memory BIOs.
///
/// Ordering rules the caller keeps: after `receive`, always `drainCiphertext` (a handshake
/// step, a TLS 1.3 session ticket or an alert may have been produced by a read); `send` once
/// per flush with everything queued.
///
/// Memory: OpenSSL's memory BIOs only ever grow. Input is fed one record at a time and output
/// drained after every record, so neither holds more than a record or two; a BIO that grew
/// past `bioResetThreshold` is replaced by a fresh one once empty, so an idle TLS connection
/// does not keep the peak of its busiest moment.
public final class TLSSession {
    private let ssl: OpaquePointer
    private var input: OpaquePointer   // BIO OpenSSL reads ciphertext from
    private var output: OpaquePointer  // BIO OpenSSL writes ciphertext to
    private var inputHighWater = 0
    private var outputHighWater = 0
    public private(set) var isHandshakeComplete = false
    /// The peer sent close_notify.
    public private(set) var peerClosed = false

    /// The largest TLS record on the wire: 2^14 plaintext + 2048 expansion + 5 header bytes.
    static let maxRecord = 16_384 + 2_048 + 5
    static let bioResetThreshold = 4_096

    public init(context: TLSContext) throws(TLSError) {
        guard let ssl = SSL_new(context.context) else {
            throw .configuration(TLSError.openSSLMessage("SSL_new failed"))
        }
        guard let rbio = BIO_new(BIO_s_mem()), let wbio = BIO_new(BIO_s_mem()) else {
            SSL_free(ssl)
            throw .configuration("BIO_new failed")
        }
        self.ssl = ssl
        input = rbio
        output = wbio
        SSL_set_bio(ssl, rbio, wbio)  // the SSL object owns both BIOs from here on
        SSL_set_accept_state(ssl)
    }

    deinit { SSL_free(ssl) }

    /// The negotiated protocol, e.g. "TLSv1.3".
    public var protocolVersion: String { String(cString: SSL_get_version(ssl)) }

    /// Feeds ciphertext and hands every plaintext byte it yields to `plaintext`, reading until
    /// OpenSSL wants more input after each record-sized slice. `scratch` receives decrypted
    /// bytes (16 KiB is one record).
    public func receive(_ ciphertext: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                        plaintext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        ERR_clear_error()
        guard let base = ciphertext.baseAddress else { return }
        var offset = 0
        while offset < ciphertext.count && !peerClosed {
            let slice = min(ciphertext.count - offset, Self.maxRecord)
            let written = BIO_write(input, base + offset, Int32(slice))
            guard written > 0 else { throw .session("cannot buffer input") }
            offset += Int(written)
            inputHighWater = max(inputHighWater, copenssl_bio_pending(input))
            try readAvailable(scratch: scratch, plaintext: plaintext)
        }
        if copenssl_bio_pending(input) == 0 && inputHighWater > Self.bioResetThreshold, let fresh = BIO_new(BIO_s_mem()) {
            SSL_set0_rbio(ssl, fresh)  // frees the grown one
            input = fresh
            inputHighWater = 0
        }
    }

    private func readAvailable(scratch: UnsafeMutableRawBufferPointer,
                               plaintext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        while true {
            let n = SSL_read(ssl, scratch.baseAddress, Int32(scratch.count))
            if n > 0 {
                isHandshakeComplete = true
                plaintext(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(n)))
                continue
            }
            let code = SSL_get_error(ssl, n)
            if SSL_is_init_finished(ssl) == 1 { isHandshakeComplete = true }
            switch code {
            case SSL_ERROR_WANT_READ, SSL_ERROR_WANT_WRITE:
                return
            case SSL_ERROR_ZERO_RETURN:
                peerClosed = true
                return
            default:
                let message = TLSError.openSSLMessage("error \(code)")
                throw isHandshakeComplete ? .session(message) : .handshake(message)
            }
        }
    }

    /// Encrypts `plaintext` (the caller passes a whole flush's worth in one call) and hands the
    /// records to `ciphertext` as they are made, through `scratch`.
    public func send(_ plaintext: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                     ciphertext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        ERR_clear_error()
        guard let base = plaintext.baseAddress else { return }
        var offset = 0
        while offset < plaintext.count {
            // Partial-write mode: each call encrypts at most one record.
            let n = SSL_write(ssl, base + offset, Int32(min(plaintext.count - offset, 1 << 30)))
            guard n > 0 else {
                throw .session(TLSError.openSSLMessage("SSL_write error \(SSL_get_error(ssl, n))"))
            }
            offset += Int(n)
            drainCiphertext(scratch: scratch, ciphertext)
        }
    }

    /// Queues a close_notify alert (drain afterwards). Only after a completed handshake.
    public func shutdown() {
        guard isHandshakeComplete else { return }
        ERR_clear_error()
        _ = SSL_shutdown(ssl)
        ERR_clear_error()
    }

    /// True when OpenSSL produced ciphertext that has not been drained.
    public var hasCiphertext: Bool { copenssl_bio_pending(output) > 0 }

    /// Hands every ciphertext byte OpenSSL produced to `body`, through `scratch`.
    public func drainCiphertext(scratch: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        outputHighWater = max(outputHighWater, copenssl_bio_pending(output))
        while copenssl_bio_pending(output) > 0 {
            let n = BIO_read(output, scratch.baseAddress, Int32(scratch.count))
            guard n > 0 else { return }
            body(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(n)))
        }
        if outputHighWater > Self.bioResetThreshold, let fresh = BIO_new(BIO_s_mem()) {
            SSL_set0_wbio(ssl, fresh)  // frees the grown one
            output = fresh
            outputHighWater = 0
        }
    }
}
