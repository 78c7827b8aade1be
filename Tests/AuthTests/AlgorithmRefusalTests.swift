import Testing
@testable import Auth

/// Refusals about the algorithm, the key and the signature.
@Suite struct AlgorithmRefusalTests {
    @Test func algNoneIsRefused() throws {
        let verifier = try hsVerifier()
        let header = Base64URL.encode(Array(#"{"alg":"none","typ":"JWT"}"#.utf8))
        let body = Base64URL.encode(Array(payload().utf8))
        // With an empty signature part (the RFC 7519 §6 unsecured form) and with a real MAC.
        #expect(throws: AuthError.unsupportedAlgorithm("none")) { try verifier.verify("\(header).\(body).", now: now) }
        let signed = mint(header: #"{"alg":"none"}"#, payload())
        #expect(throws: AuthError.unsupportedAlgorithm("none")) { try verifier.verify(signed, now: now) }
        // Without the signature part at all it is not even a JWS.
        #expect(throws: AuthError.malformed("token must have three parts")) { try verifier.verify("\(header).\(body)", now: now) }
        // PyJWT's own unsecured token.
        let pyjwt = try Fixture.get().token("none")
        #expect(pyjwt.hasSuffix("."))
        #expect(throws: AuthError.unsupportedAlgorithm("none")) { try verifier.verify(pyjwt, now: now) }
        // Other spellings are not special-cased into acceptance either.
        #expect(throws: AuthError.unsupportedAlgorithm("None")) {
            try verifier.verify(mint(header: #"{"alg":"None"}"#, payload()), now: now)
        }
    }

    /// The classic confusion: an HS256 token whose "secret" is the RSA public key PEM, sent to
    /// a verifier that holds that RSA key. The key's algorithm must match `alg`, so no HMAC is
    /// ever computed with the PEM.
    @Test func hs256SignedWithRSAPublicKeyIsRefused() throws {
        let fixture = try Fixture.get()
        let pemBytes = Array(fixture.rsaPublicPEM.utf8)
        let rsaOnly = try JWTVerifier(JWTVerifierConfiguration(keys: [
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: nil),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
        ]))
        let forged = mint(payload(), secret: pemBytes)
        #expect(throws: AuthError.unknownKey(nil)) { try rsaOnly.verify(forged, now: now) }
        let forgedWithKid = mint(header: #"{"alg":"HS256","kid":"rsa-1"}"#, payload(), secret: pemBytes)
        #expect(throws: AuthError.unknownKey("rsa-1")) { try rsaOnly.verify(forgedWithKid, now: now) }
        // Even next to a genuine HS256 key, the RSA key's kid does not lend itself to HMAC.
        let mixed = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret, kid: "hs-1"),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
        ]))
        #expect(throws: AuthError.unknownKey("rsa-1")) { try mixed.verify(forgedWithKid, now: now) }
        // And a PEM cannot be turned into an HS256 key in the first place.
        #expect(throws: AuthError.self) { try JWTKey.publicKey(pem: fixture.rsaPublicPEM, algorithm: .hs256, kid: nil) }
    }

    /// ES256 signatures are raw R‖S; the same valid signature in DER is refused.
    @Test func es256DERSignatureIsRefused() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            try .publicKey(pem: fixture.ecPublicPEM, algorithm: .es256, kid: nil),
        ]))
        let der = try fixture.token("es256_der")
        #expect(throws: AuthError.malformed("ES256 signature must be 64 bytes (R||S)")) { try verifier.verify(der, now: now) }
        // The DER signature was a valid one: converted to R‖S it verifies.
        #expect(try verifier.verify(try fixture.token("es256_der_as_raw"), now: now).subject == "alice@example.org")
    }

    @Test func unknownKidIsRefused() throws {
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: "k1")]))
        let token = JWTSigner.hs256(claims: Claims(subject: "alice", expiresAt: now + 60), secret: secret, kid: "k9")
        #expect(throws: AuthError.unknownKey("k9")) { try verifier.verify(token, now: now) }
        // A kid-less token does not fall back to a key that has a kid.
        let noKid = JWTSigner.hs256(claims: Claims(subject: "alice", expiresAt: now + 60), secret: secret, kid: nil)
        #expect(throws: AuthError.unknownKey(nil)) { try verifier.verify(noKid, now: now) }
    }

    @Test func unknownAlgorithmsAreRefused() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret, kid: nil),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: nil),
        ]))
        #expect(throws: AuthError.unsupportedAlgorithm("HS512")) { try verifier.verify(try fixture.token("hs512"), now: now) }
        #expect(throws: AuthError.unsupportedAlgorithm("PS256")) { try verifier.verify(try fixture.token("ps256"), now: now) }
        // Algorithm names are case-sensitive (RFC 7515 §4.1.1).
        #expect(throws: AuthError.unsupportedAlgorithm("hs256")) {
            try verifier.verify(mint(header: #"{"alg":"hs256"}"#, payload()), now: now)
        }
    }

    @Test func flippedByteInEachAlgorithmIsBadSignature() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret, kid: nil),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
            try .publicKey(pem: fixture.ecPublicPEM, algorithm: .es256, kid: "ec-1"),
        ]))
        for name in ["hs256", "rs256", "es256"] {
            let token = try fixture.token(name)
            #expect(try verifier.verify(token, now: now).subject == "alice@example.org", "\(name) intact")
            for index in [0, 17, 31] {
                #expect(throws: AuthError.badSignature, "\(name) signature byte \(index)") {
                    try verifier.verify(flipping(token, part: 2, byte: index), now: now)
                }
            }
            #expect(throws: AuthError.badSignature, "\(name) payload byte") {
                try verifier.verify(flipping(token, part: 1, byte: 10), now: now)
            }
        }
        // ES256's S half and RS256's last byte too.
        #expect(throws: AuthError.badSignature) { try verifier.verify(flipping(try fixture.token("es256"), part: 2, byte: 63), now: now) }
        #expect(throws: AuthError.badSignature) { try verifier.verify(flipping(try fixture.token("rs256"), part: 2, byte: 255), now: now) }
    }

    @Test func wrongSecretOrTruncatedSignatureIsBadSignature() throws {
        let verifier = try hsVerifier()
        let other = Array("another-secret-of-at-least-32-bytes!".utf8)
        #expect(throws: AuthError.badSignature) { try verifier.verify(mint(payload(), secret: other), now: now) }
        let token = mint(payload())
        // 40 of the 43 characters: 30 bytes, valid base64url but a short MAC.
        #expect(throws: AuthError.badSignature) { try verifier.verify(String(token.dropLast(3)), now: now) }
        let parts = token.split(separator: ".", omittingEmptySubsequences: false)
        #expect(throws: AuthError.badSignature) { try verifier.verify("\(parts[0]).\(parts[1]).", now: now) }
    }
}
