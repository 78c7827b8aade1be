import COpenSSL
import Testing
@testable import Auth

/// Key sets, rotation, key checks and the command-line key form.
@Suite struct KeyTests {
    let secret1 = Array("first-secret-0123456789abcdef-0123".utf8)
    let secret2 = Array("second-secret-0123456789abcdef-012".utf8)
    let claims = Claims(subject: "alice", expiresAt: now + 60)

    @Test func rotationWithTwoHMACKeys() throws {
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret1, kid: "k1"), .hmac(secret: secret2, kid: "k2"),
        ]))
        #expect(try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret1, kid: "k1"), now: now) == claims)
        #expect(try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret2, kid: "k2"), now: now) == claims)
        // A kid picks one key: k1's name with k2's secret does not verify.
        #expect(throws: AuthError.badSignature) {
            try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret2, kid: "k1"), now: now)
        }
    }

    /// A kid-less key serves old tokens without kid while new tokens name their key.
    @Test func defaultKeyBesideKeysWithKid() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            .hmac(secret: secret1, kid: nil), .hmac(secret: secret2, kid: "k2"),
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
        ]))
        #expect(try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret1, kid: nil), now: now) == claims)
        #expect(try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret2, kid: "k2"), now: now) == claims)
        #expect(try verifier.verify(try fixture.token("rs256"), now: now).subject == "alice@example.org")
        // An unknown kid does not fall back to the kid-less key, even when that key would verify.
        #expect(throws: AuthError.unknownKey("k9")) {
            try verifier.verify(JWTSigner.hs256(claims: claims, secret: secret1, kid: "k9"), now: now)
        }
        // No kid-less RS256 key: a kid-less RS256 token has no key.
        #expect(throws: AuthError.unknownKey(nil)) { try verifier.verify(try fixture.token("rs256_nokid"), now: now) }
    }

    @Test func verifierConfigurationErrors() throws {
        func refused(_ keys: [JWTKey], issuer: String? = nil, leeway: Int64 = 30, max: Int = 8192) -> Bool {
            do {
                _ = try JWTVerifier(JWTVerifierConfiguration(keys: keys, issuer: issuer, leewaySeconds: leeway, maxTokenBytes: max))
                return false
            } catch {
                if case .configuration = error { return true }
                return false
            }
        }
        #expect(refused([]))
        #expect(refused([.hmac(secret: secret1, kid: "a"), .hmac(secret: secret2, kid: "a")]))
        #expect(refused([.hmac(secret: secret1, kid: nil), .hmac(secret: secret2, kid: nil)]))
        #expect(refused([.hmac(secret: secret1, kid: "")]))
        #expect(refused([.hmac(secret: Array(secret1.prefix(31)), kid: nil)]))
        #expect(refused([.hmac(secret: [], kid: nil)]))
        #expect(refused([.hmac(secret: secret1, kid: nil)], issuer: ""))
        #expect(refused([.hmac(secret: secret1, kid: nil)], leeway: -1))
        #expect(refused([.hmac(secret: secret1, kid: nil)], leeway: 3601))
        #expect(refused([.hmac(secret: secret1, kid: nil)], max: 0))
        #expect(!refused([.hmac(secret: Array(secret1.prefix(32)), kid: nil)], leeway: 0))
    }

    @Test func publicKeysMustFitTheAlgorithm() throws {
        let fixture = try Fixture.get()
        func refused(_ pem: String, _ algorithm: JWTAlgorithm) -> Bool {
            do { _ = try JWTKey.publicKey(pem: pem, algorithm: algorithm, kid: nil); return false } catch {
                if case .configuration = error { return true }
                return false
            }
        }
        #expect(!refused(fixture.rsaPublicPEM, .rs256))
        #expect(!refused(fixture.ecPublicPEM, .es256))
        #expect(refused(fixture.rsaPublicPEM, .es256))
        #expect(refused(fixture.ecPublicPEM, .rs256))
        #expect(refused(fixture.rsaPublicPEM, .hs256))
        #expect(refused(try fixture.pem("rsa1024_pub.pem"), .rs256))
        #expect(refused(try fixture.pem("ec384_pub.pem"), .es256))
        #expect(refused(try fixture.pem("ed25519_pub.pem"), .es256))
        #expect(refused(try fixture.pem("rsa.pem"), .rs256))  // a private key
        #expect(refused("", .rs256))
        #expect(refused("-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n", .rs256))
        // Refusals leave nothing on OpenSSL's error queue for the next caller (TLS) to trip on.
        #expect(ERR_peek_error() == 0)
    }

    @Test func loadSpecForms() throws {
        let fixture = try Fixture.get()
        let secretFile = fixture.path("secret with newline")
        try (String(decoding: secret, as: UTF8.self) + "\r\n").write(toFile: secretFile, atomically: true, encoding: .utf8)
        // A ':' inside a path stays part of it.
        let colonPath = fixture.path("ec:v1.pem")
        try fixture.ecPublicPEM.write(toFile: colonPath, atomically: true, encoding: .utf8)

        let keys = [
            try JWTKey.load(spec: "hs256:kid=k1:secret=env:RALLY_TEST_JWT_SECRET"),
            try JWTKey.load(spec: "HS256:secret-file=\(secretFile)"),
            try JWTKey.load(spec: "rs256:kid=rsa-1:file=\(fixture.path("rsa_pub.pem"))"),
            try JWTKey.load(spec: "es256:file=\(colonPath):kid=ec-1"),
            try JWTKey.load(spec: "es256:pem=env:RALLY_TEST_EC_PEM"),
        ]
        #expect(keys.map(\.kid) == ["k1", nil, "rsa-1", "ec-1", nil])
        #expect(keys.map(\.algorithm) == [.hs256, .hs256, .rs256, .es256, .es256])
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: keys))
        #expect(try verifier.verify(try fixture.token("hs256_k1"), now: now).subject == "alice@example.org")
        #expect(try verifier.verify(try fixture.token("hs256"), now: now).subject == "alice@example.org")
        #expect(try verifier.verify(try fixture.token("rs256"), now: now).subject == "alice@example.org")
        #expect(try verifier.verify(try fixture.token("es256"), now: now).subject == "alice@example.org")
        #expect(try verifier.verify(try fixture.token("es256_nokid"), now: now).subject == "alice@example.org")
    }

    @Test func loadSpecErrors() throws {
        let fixture = try Fixture.get()
        let rsa = fixture.path("rsa_pub.pem")
        for spec in ["", "hs512:secret=env:RALLY_TEST_JWT_SECRET", "hs256", "hs256:kid=k1",
                     "hs256:secret=literal-secret-that-is-long-enough-000",
                     "hs256:secret=env:RALLY_TEST_UNSET_VARIABLE", "hs256:secret=env:RALLY_TEST_JWT_SHORT",
                     "hs256:secret=env:RALLY_TEST_JWT_SECRET:secret-file=/dev/null",
                     "hs256:secret=env:RALLY_TEST_JWT_SECRET:file=\(rsa)",
                     "hs256:kid=:secret=env:RALLY_TEST_JWT_SECRET", "hs256:kid=a:kid=b:secret=env:RALLY_TEST_JWT_SECRET",
                     "hs256:colour=blue", "rs256:file=\(fixture.path("missing.pem"))", "rs256:file=",
                     "rs256:file=\(rsa):pem=env:RALLY_TEST_EC_PEM", "rs256:pem=env:RALLY_TEST_EC_PEM",
                     "rs256:secret=env:RALLY_TEST_JWT_SECRET", "es256:file=\(rsa)", "rs256:file=/dev/null"] {
            do {
                _ = try JWTKey.load(spec: spec)
                Issue.record("spec \(spec) was accepted")
            } catch {
                guard case .configuration = error else {
                    Issue.record("spec \(spec): \(error) is not a configuration error")
                    continue
                }
            }
        }
    }
}
