import COpenSSL

/// One server-side TLS session that never touches a socket: ciphertext in, plaintext out, and
/// the reverse. The event loop moves the bytes; OpenSSL reads and writes two memory BIOs.
///
/// Ordering rules the caller keeps: after `receive`, always `drainCiphertext` (a handshake
/// step, a TLS 1.3 session ticket or an alert may have been produced by a read); `send` once
/// per flush with everything queued, then `drainCiphertext`.
public final class TLSSession {
    private let ssl: OpaquePointer
    private let input: OpaquePointer   // BIO OpenSSL reads ciphertext from
    private let output: OpaquePointer  // BIO OpenSSL writes ciphertext to
    public private(set) var isHandshakeComplete = false
    /// The peer sent close_notify.
    public private(set) var peerClosed = false

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
    /// OpenSSL wants more input. `scratch` receives decrypted bytes (16 KiB is one record).
    public func receive(_ ciphertext: UnsafeRawBufferPointer, scratch: UnsafeMutableRawBufferPointer,
                        plaintext: (UnsafeRawBufferPointer) -> Void) throws(TLSError) {
        var offset = 0
        while offset < ciphertext.count {
            let written = BIO_write(input, ciphertext.baseAddress! + offset, Int32(ciphertext.count - offset))
            guard written > 0 else { throw .session("cannot buffer input") }
            offset += Int(written)
        }
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

    /// Encrypts `plaintext` (the caller passes a whole flush's worth in one call).
    public func send(_ plaintext: UnsafeRawBufferPointer) throws(TLSError) {
        var offset = 0
        while offset < plaintext.count {
            let n = SSL_write(ssl, plaintext.baseAddress! + offset, Int32(min(plaintext.count - offset, Int(Int32.max))))
            guard n > 0 else {
                throw .session(TLSError.openSSLMessage("SSL_write error \(SSL_get_error(ssl, n))"))
            }
            offset += Int(n)
        }
    }

    /// Queues a close_notify alert (drain afterwards).
    public func shutdown() {
        _ = SSL_shutdown(ssl)
        copenssl_take_error(nil, 0)
    }

    /// True when OpenSSL produced ciphertext that has not been drained.
    public var hasCiphertext: Bool { copenssl_bio_pending(output) > 0 }

    /// Hands every ciphertext byte OpenSSL produced to `body`, through `scratch`.
    public func drainCiphertext(scratch: UnsafeMutableRawBufferPointer, _ body: (UnsafeRawBufferPointer) -> Void) {
        while copenssl_bio_pending(output) > 0 {
            let n = BIO_read(output, scratch.baseAddress, Int32(scratch.count))
            guard n > 0 else { return }
            body(UnsafeRawBufferPointer(start: scratch.baseAddress, count: Int(n)))
        }
    }
}
