import COpenSSL

/// The JWS algorithms Rally verifies (RFC 7518 §3.1). Anything else — `none` included — is
/// refused with `AuthError.unsupportedAlgorithm`.
public enum JWTAlgorithm: String, Sendable, CaseIterable {
    /// HMAC with SHA-256, a shared secret.
    case hs256 = "HS256"
    /// RSASSA-PKCS1-v1_5 with SHA-256, an RSA public key of at least 2048 bits.
    case rs256 = "RS256"
    /// ECDSA on P-256 with SHA-256, the signature as raw 64-byte R‖S.
    case es256 = "ES256"
}

/// Owns a parsed OpenSSL public key. It is never changed after `init`, and OpenSSL allows an
/// unchanging EVP_PKEY to be used by several threads at once (each with its own EVP_MD_CTX),
/// hence `@unchecked Sendable`.
final class PublicKeyHandle: @unchecked Sendable {
    let pkey: OpaquePointer

    init(taking pkey: OpaquePointer) { self.pkey = pkey }

    deinit { EVP_PKEY_free(pkey) }
}

/// One verification key: an HMAC secret (HS256) or a public key (RS256, ES256), with its
/// optional key id.
///
/// How keys are chosen for a token (see `JWTVerifier`): a token with a `kid` header uses the
/// key with that exact `kid`; a token without `kid` uses the key of its algorithm whose `kid`
/// is nil, and a verifier accepts at most one such key per algorithm. In both cases the key's
/// `algorithm` must equal the token's `alg`, so an RSA public key can never be misused as an
/// HMAC secret.
public struct JWTKey: Sendable {
    /// The `kid` header value this key answers to; nil for the key used by tokens without `kid`.
    public let kid: String?
    /// The only algorithm this key verifies.
    public let algorithm: JWTAlgorithm

    enum Material: Sendable {
        case secret([UInt8])
        case publicKey(PublicKeyHandle)
    }

    let material: Material

    /// An HS256 key. The secret must be at least 32 bytes (RFC 7518 §3.2), which
    /// `JWTVerifier.init` checks; it is used as given (no decoding).
    public static func hmac(secret: [UInt8], kid: String?) -> JWTKey {
        JWTKey(kid: kid, algorithm: .hs256, material: .secret(secret))
    }

    /// A public key in PEM form (`-----BEGIN PUBLIC KEY-----`, SubjectPublicKeyInfo): an RSA key
    /// of at least 2048 bits for RS256, or an EC key on P-256 for ES256.
    ///
    /// Throws `AuthError.configuration` for HS256 (a PEM is never an HMAC secret), for text that
    /// holds no public key (a private key is refused too: the server only needs the public half
    /// — `openssl pkey -in key.pem -pubout` extracts it), and for a key that does not fit the
    /// algorithm (wrong type, RSA under 2048 bits, another curve).
    public static func publicKey(pem: String, algorithm: JWTAlgorithm, kid: String?) throws(AuthError) -> JWTKey {
        guard algorithm != .hs256 else {
            throw .configuration("HS256 takes a shared secret, not a PEM public key")
        }
        guard let pkey = parsePublicKey(pem) else {
            ERR_clear_error()
            if pem.contains("PRIVATE KEY-----") {
                throw .configuration("expected a public key PEM, got a private key (use `openssl pkey -pubout`)")
            }
            throw .configuration("no PEM public key (-----BEGIN PUBLIC KEY-----) found")
        }
        // OpenSSL 3's decoders may queue errors from the formats they tried even when one
        // succeeded; the thread's next TLS call must not mistake them for its own.
        ERR_clear_error()
        let handle = PublicKeyHandle(taking: pkey)
        try check(handle.pkey, fits: algorithm)
        return JWTKey(kid: kid, algorithm: algorithm, material: .publicKey(handle))
    }

    private static func parsePublicKey(_ pem: String) -> OpaquePointer? {
        var bytes = Array(pem.utf8)
        guard !bytes.isEmpty, bytes.count < Int(Int32.max) else { return nil }
        return bytes.withUnsafeMutableBytes { buffer -> OpaquePointer? in
            // The memory BIO reads `buffer` in place, so it must not outlive this closure.
            guard let bio = BIO_new_mem_buf(buffer.baseAddress, Int32(buffer.count)) else { return nil }
            defer { BIO_free(bio) }
            return PEM_read_bio_PUBKEY(bio, nil, nil, nil)
        }
    }

    private static func check(_ pkey: OpaquePointer, fits algorithm: JWTAlgorithm) throws(AuthError) {
        let type = EVP_PKEY_get_base_id(pkey)
        switch algorithm {
        case .hs256:
            throw .configuration("HS256 takes a shared secret, not a PEM public key")
        case .rs256:
            // EVP_PKEY_RSA only: an RSA-PSS-restricted key cannot make PKCS#1 v1.5 signatures.
            guard type == EVP_PKEY_RSA else { throw .configuration("RS256 needs an RSA public key") }
            let bits = EVP_PKEY_get_bits(pkey)
            guard bits >= 2048 else {
                throw .configuration("RS256 key has \(bits) bits; at least 2048 are required")
            }
        case .es256:
            guard type == EVP_PKEY_EC else { throw .configuration("ES256 needs an EC public key") }
            var name = [CChar](repeating: 0, count: 64)
            var length = 0
            let found = EVP_PKEY_get_group_name(pkey, &name, name.count, &length) == 1
            ERR_clear_error()
            let curve = found ? String(decoding: name.prefix(length).map { UInt8(bitPattern: $0) }, as: UTF8.self) : ""
            // OpenSSL reports P-256 by its X9.62 name.
            guard curve == "prime256v1" else {
                throw .configuration("ES256 needs a P-256 key, got curve \(curve.isEmpty ? "unknown" : curve)")
            }
        }
    }
}
