import COpenSSL

/// The three JWS signature checks over OpenSSL. Every call makes its own OpenSSL contexts and
/// only reads the shared keys, so calls may run on several threads at once.
enum Signature {
    /// HMAC-SHA256 of `data` (32 bytes), or nil if OpenSSL fails (out of memory).
    static func hmacSHA256(key: [UInt8], data: [UInt8]) -> [UInt8]? {
        var mac = [UInt8](repeating: 0, count: 32)
        var length: UInt32 = 0
        // An empty Swift array may have no storage; OpenSSL wants a non-null key pointer even
        // for a zero-length key.
        let placeholder: [UInt8] = [0]
        let result = (key.isEmpty ? placeholder : key).withUnsafeBufferPointer { keyBuffer in
            data.withUnsafeBufferPointer { dataBuffer in
                mac.withUnsafeMutableBufferPointer { macBuffer in
                    HMAC(EVP_sha256(), keyBuffer.baseAddress, Int32(key.count),
                         dataBuffer.baseAddress, dataBuffer.count, macBuffer.baseAddress, &length)
                }
            }
        }
        guard result != nil, length == 32 else {
            ERR_clear_error()
            return nil
        }
        return mac
    }

    /// Checks `signature` over `input` (the token's `header.payload` bytes) with `key`.
    static func verify(_ signature: [UInt8], over input: [UInt8], with key: JWTKey) throws(AuthError) {
        switch key.material {
        case .secret(let secret):
            guard let expected = hmacSHA256(key: secret, data: input),
                  signature.count == expected.count else { throw .badSignature }
            // Constant time, so that response timing does not reveal how many leading bytes
            // of a forged MAC were right.
            let differs = signature.withUnsafeBytes { given in
                expected.withUnsafeBytes { wanted in
                    CRYPTO_memcmp(given.baseAddress, wanted.baseAddress, wanted.count)
                }
            }
            guard differs == 0 else { throw .badSignature }
        case .publicKey(let handle):
            let der: [UInt8]
            switch key.algorithm {
            case .es256: der = try derFromRawECDSA(signature)
            case .rs256, .hs256: der = signature
            }
            guard digestVerify(der, over: input, pkey: handle.pkey, rsa: key.algorithm == .rs256) else {
                throw .badSignature
            }
        }
    }

    /// EVP_DigestVerify with SHA-256; RSA keys use PKCS#1 v1.5 padding.
    private static func digestVerify(_ signature: [UInt8], over input: [UInt8], pkey: OpaquePointer, rsa: Bool) -> Bool {
        guard let context = EVP_MD_CTX_new() else {
            ERR_clear_error()
            return false
        }
        defer { EVP_MD_CTX_free(context) }
        var keyContext: OpaquePointer?
        guard EVP_DigestVerifyInit(context, &keyContext, EVP_sha256(), nil, pkey) == 1,
              !rsa || EVP_PKEY_CTX_set_rsa_padding(keyContext, RSA_PKCS1_PADDING) == 1 else {
            ERR_clear_error()
            return false
        }
        let status = signature.withUnsafeBufferPointer { signatureBuffer in
            input.withUnsafeBufferPointer { inputBuffer in
                EVP_DigestVerify(context, signatureBuffer.baseAddress, signatureBuffer.count,
                                 inputBuffer.baseAddress, inputBuffer.count)
            }
        }
        // 0 is a wrong signature, a negative value a signature OpenSSL could not even parse;
        // both leave errors queued.
        guard status == 1 else {
            ERR_clear_error()
            return false
        }
        return true
    }

    /// JWS carries an ES256 signature as R‖S, two 32-byte big-endian integers (RFC 7518 §3.4);
    /// OpenSSL verifies the DER form of ECDSA-Sig-Value. Anything but 64 bytes is refused, a DER
    /// signature in particular: accepting it would be a second, non-standard encoding.
    static func derFromRawECDSA(_ raw: [UInt8]) throws(AuthError) -> [UInt8] {
        guard raw.count == 64 else {
            throw .malformed("ES256 signature must be 64 bytes (R||S)")
        }
        let der = raw.withUnsafeBufferPointer { buffer -> [UInt8]? in
            guard let base = buffer.baseAddress, let signature = ECDSA_SIG_new() else { return nil }
            defer { ECDSA_SIG_free(signature) }
            let r = BN_bin2bn(base, 32, nil)
            let s = BN_bin2bn(base + 32, 32, nil)
            // ECDSA_SIG_set0 takes ownership of both numbers only when it succeeds.
            guard let r, let s, ECDSA_SIG_set0(signature, r, s) == 1 else {
                BN_free(r)
                BN_free(s)
                return nil
            }
            let length = i2d_ECDSA_SIG(signature, nil)
            guard length > 0 else { return nil }
            var encoded = [UInt8](repeating: 0, count: Int(length))
            let written = encoded.withUnsafeMutableBufferPointer { out -> Int32 in
                // i2d advances the pointer it is given, so it gets a copy.
                var cursor = out.baseAddress
                return i2d_ECDSA_SIG(signature, &cursor)
            }
            return written == length ? encoded : nil
        }
        guard let der else {
            ERR_clear_error()
            throw .badSignature
        }
        return der
    }
}
