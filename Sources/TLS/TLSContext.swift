import COpenSSL

/// The TLS module's errors: one closed enum.
public enum TLSError: Error, Equatable, CustomStringConvertible {
    /// The certificate or key could not be loaded, or the context could not be built.
    case configuration(String)
    /// The peer's bytes are not an acceptable TLS handshake (wrong version, bad record, ...).
    case handshake(String)
    /// An established session failed (bad record, alert from the peer, ...).
    case session(String)

    public var description: String {
        switch self {
        case .configuration(let m): return "TLS configuration: \(m)"
        case .handshake(let m): return "TLS handshake failed: \(m)"
        case .session(let m): return "TLS session failed: \(m)"
        }
    }

    /// The oldest OpenSSL error on this thread, as text; clears the thread's error queue so a
    /// failure of one session is never reported against the next.
    static func openSSLMessage(_ fallback: String) -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        copenssl_take_error(&buffer, buffer.count)
        let text = String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
        return text.isEmpty ? fallback : text
    }
}

/// A server TLS configuration: certificate chain and key, TLS 1.2 and 1.3 only.
/// One context serves every session of every loop (OpenSSL contexts are thread-safe once built).
public final class TLSContext: @unchecked Sendable {
    let context: OpaquePointer

    /// Loads a PEM certificate chain and private key (RSA or ECDSA).
    public init(certificateChainFile: String, privateKeyFile: String) throws(TLSError) {
        guard let ctx = SSL_CTX_new(TLS_server_method()) else {
            throw .configuration(TLSError.openSSLMessage("SSL_CTX_new failed"))
        }
        context = ctx
        guard copenssl_ctx_restrict_versions(ctx) == 1 else {
            throw .configuration(TLSError.openSSLMessage("cannot restrict protocol versions"))
        }
        copenssl_ctx_configure_server(ctx)
        guard SSL_CTX_use_certificate_chain_file(ctx, certificateChainFile) == 1 else {
            throw .configuration("certificate \(certificateChainFile): " + TLSError.openSSLMessage("cannot load"))
        }
        guard SSL_CTX_use_PrivateKey_file(ctx, privateKeyFile, SSL_FILETYPE_PEM) == 1 else {
            throw .configuration("private key \(privateKeyFile): " + TLSError.openSSLMessage("cannot load"))
        }
        guard SSL_CTX_check_private_key(ctx) == 1 else {
            throw .configuration("the private key does not match the certificate")
        }
    }

    deinit { SSL_CTX_free(context) }
}
