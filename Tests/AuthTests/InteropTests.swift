import Foundation
import Testing
@testable import Auth

/// Tokens from another implementation (PyJWT) verify, and ours verify in PyJWT.
@Suite struct InteropTests {
    let expected = Claims(subject: "alice@example.org", expiresAt: now + 600, notBefore: now - 60,
                          issuedAt: now - 60, name: "Alice Ünal")

    @Test func pyjwtHS256Verifies() throws {
        let verifier = try hsVerifier()
        #expect(try verifier.verify(try Fixture.get().token("hs256"), now: now) == expected)
    }

    @Test func pyjwtRS256Verifies() throws {
        let fixture = try Fixture.get()
        let withKid = try JWTVerifier(JWTVerifierConfiguration(keys: [
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: "rsa-1"),
        ]))
        #expect(try withKid.verify(try fixture.token("rs256"), now: now) == expected)
        let withoutKid = try JWTVerifier(JWTVerifierConfiguration(keys: [
            try .publicKey(pem: fixture.rsaPublicPEM, algorithm: .rs256, kid: nil),
        ]))
        #expect(try withoutKid.verify(try fixture.token("rs256_nokid"), now: now) == expected)
    }

    @Test func pyjwtES256Verifies() throws {
        let fixture = try Fixture.get()
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [
            try .publicKey(pem: fixture.ecPublicPEM, algorithm: .es256, kid: "ec-1"),
            try .publicKey(pem: fixture.ecPublicPEM, algorithm: .es256, kid: nil),
        ]))
        #expect(try verifier.verify(try fixture.token("es256"), now: now) == expected)
        #expect(try verifier.verify(try fixture.token("es256_nokid"), now: now) == expected)
    }

    /// Float NumericDates are rounded down; `iss` and an `aud` array are checked.
    @Test func floatDatesIssuerAndAudienceArray() throws {
        let verifier = try hsVerifier(issuer: "https://id.example.org", audience: "rally")
        let claims = try verifier.verify(try Fixture.get().token("float_aud"), now: now)
        #expect(claims == Claims(subject: "bob", expiresAt: now + 600, notBefore: now - 1, issuedAt: now - 1))
    }

    @Test func ownTokenRoundTripsAndPyJWTAccepts() throws {
        let claims = Claims(subject: "user_42.x@y-z", expiresAt: now + 60, notBefore: now, issuedAt: now,
                            name: "Zoë \"Z\" \\ O'Neil\n")
        let token = JWTSigner.hs256(claims: claims, secret: secret, kid: "k1", issuer: "rally-dev", audience: "rally")
        let verifier = try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: "k1")],
                                                                issuer: "rally-dev", audience: "rally"))
        #expect(try verifier.verify(token, now: now) == claims)

        _ = try Fixture.get()  // fails with the reason if PyJWT is missing
        let script = """
        import json, sys, jwt
        print(json.dumps([jwt.get_unverified_header(sys.argv[1]),
                          jwt.decode(sys.argv[1], sys.argv[2], algorithms=["HS256"], audience="rally",
                                     issuer="rally-dev", options={"verify_exp": False, "verify_nbf": False,
                                                                  "verify_iat": False})]))
        """
        let output = try run("/usr/bin/env", ["python3", "-c", script, token, String(decoding: secret, as: UTF8.self)])
        let decoded = try #require(try JSONSerialization.jsonObject(with: output) as? [[String: Any]])
        #expect(decoded[0]["alg"] as? String == "HS256")
        #expect(decoded[0]["kid"] as? String == "k1")
        #expect(decoded[1]["sub"] as? String == claims.subject)
        #expect(decoded[1]["name"] as? String == claims.name)
        #expect((decoded[1]["exp"] as? NSNumber)?.int64Value == claims.expiresAt)
    }

    @Test func signerRoundTripsMinimalClaims() throws {
        let claims = Claims(subject: "a", expiresAt: now + 1)
        let token = JWTSigner.hs256(claims: claims, secret: secret, kid: nil)
        #expect(try hsVerifier().verify(token, now: now) == claims)
        #expect(!token.contains("="))
        #expect(token.split(separator: ".").count == 3)
    }
}
