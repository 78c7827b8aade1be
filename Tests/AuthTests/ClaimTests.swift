import Testing
@testable import Auth

/// The claim rules, on correctly signed tokens.
@Suite struct ClaimTests {
    @Test func expiryWithLeeway() throws {
        let verifier = try hsVerifier(leeway: 30)
        func token(exp: Int64) -> String { mint(#"{"sub":"alice","exp":\#(exp)}"#) }
        #expect(throws: AuthError.expired) { try verifier.verify(token(exp: now - 31), now: now) }
        // now must be before exp + leeway: exactly at it is expired.
        #expect(throws: AuthError.expired) { try verifier.verify(token(exp: now - 30), now: now) }
        #expect(try verifier.verify(token(exp: now - 29), now: now).expiresAt == now - 29)
        #expect(try verifier.verify(token(exp: now - 1), now: now).expiresAt == now - 1)
        let strict = try hsVerifier(leeway: 0)
        #expect(throws: AuthError.expired) { try strict.verify(token(exp: now), now: now) }
        #expect(try strict.verify(token(exp: now + 1), now: now).subject == "alice")
    }

    @Test func notBeforeWithLeeway() throws {
        let verifier = try hsVerifier(leeway: 30)
        func token(nbf: Int64) -> String { mint(payload(#""nbf":\#(nbf)"#)) }
        #expect(throws: AuthError.notYetValid) { try verifier.verify(token(nbf: now + 31), now: now) }
        #expect(try verifier.verify(token(nbf: now + 30), now: now).notBefore == now + 30)
        #expect(try verifier.verify(token(nbf: now - 5), now: now).notBefore == now - 5)
    }

    @Test func missingAndMistypedTimes() throws {
        let verifier = try hsVerifier()
        #expect(throws: AuthError.missingClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice"}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice","exp":"\#(now + 60)"}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice","exp":true}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice","exp":null}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice","exp":1e300}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("exp")) { try verifier.verify(mint(#"{"sub":"alice","exp":99999999999999999999}"#), now: now) }
        #expect(throws: AuthError.invalidClaim("nbf")) { try verifier.verify(mint(payload(#""nbf":"soon""#)), now: now) }
        #expect(throws: AuthError.invalidClaim("iat")) { try verifier.verify(mint(payload(#""iat":[1]"#)), now: now) }
        // An integral float is a NumericDate like any other.
        #expect(try verifier.verify(mint(#"{"sub":"alice","exp":\#(now + 60).0}"#), now: now).expiresAt == now + 60)
    }

    @Test func subjectRules() throws {
        let verifier = try hsVerifier()
        #expect(throws: AuthError.missingClaim("sub")) { try verifier.verify(mint(#"{"exp":\#(now + 60)}"#), now: now) }
        for bad in [#""""#, #""alice smith""#, #""al/ice""#, #""ålice""#, #""a\u0000""#, "42", "null",
                    "\"" + String(repeating: "a", count: 129) + "\""] {
            #expect(throws: AuthError.invalidClaim("sub"), "sub \(bad)") {
                try verifier.verify(mint(#"{"sub":\#(bad),"exp":\#(now + 60)}"#), now: now)
            }
        }
        let longest = String(repeating: "z", count: 128)
        for good in ["A-Z_a.z@0-9", longest] {
            #expect(try verifier.verify(mint(#"{"sub":"\#(good)","exp":\#(now + 60)}"#), now: now).subject == good)
        }
    }

    @Test func issuer() throws {
        let verifier = try hsVerifier(issuer: "https://id.example.org")
        #expect(throws: AuthError.wrongIssuer) { try verifier.verify(mint(payload(#""iss":"https://evil.example.org""#)), now: now) }
        #expect(throws: AuthError.missingClaim("iss")) { try verifier.verify(mint(payload()), now: now) }
        #expect(throws: AuthError.invalidClaim("iss")) { try verifier.verify(mint(payload(#""iss":["https://id.example.org"]"#)), now: now) }
        #expect(try verifier.verify(mint(payload(#""iss":"https://id.example.org""#)), now: now).subject == "alice")
        // Without a configured issuer, iss is not looked at.
        #expect(try hsVerifier().verify(mint(payload(#""iss":"anyone""#)), now: now).subject == "alice")
    }

    @Test func audience() throws {
        let verifier = try hsVerifier(audience: "rally")
        #expect(throws: AuthError.wrongAudience) { try verifier.verify(mint(payload(#""aud":"other""#)), now: now) }
        #expect(throws: AuthError.wrongAudience) { try verifier.verify(mint(payload(#""aud":["other","rally2"]"#)), now: now) }
        #expect(throws: AuthError.wrongAudience) { try verifier.verify(mint(payload(#""aud":[]"#)), now: now) }
        #expect(throws: AuthError.missingClaim("aud")) { try verifier.verify(mint(payload()), now: now) }
        #expect(throws: AuthError.invalidClaim("aud")) { try verifier.verify(mint(payload(#""aud":["rally",7]"#)), now: now) }
        #expect(throws: AuthError.invalidClaim("aud")) { try verifier.verify(mint(payload(#""aud":7"#)), now: now) }
        #expect(try verifier.verify(mint(payload(#""aud":"rally""#)), now: now).subject == "alice")
        #expect(try verifier.verify(mint(payload(#""aud":["other","rally"]"#)), now: now).subject == "alice")
        // RFC 7519 §4.1.3: a token for named audiences is refused by a verifier that has none.
        #expect(throws: AuthError.wrongAudience) { try hsVerifier().verify(mint(payload(#""aud":"rally""#)), now: now) }
    }

    @Test func nameClaim() throws {
        let verifier = try hsVerifier()
        #expect(try verifier.verify(mint(payload(#""name":"Ada \u00e9""#)), now: now).name == "Ada é")
        #expect(try verifier.verify(mint(payload(#""name":null"#)), now: now).name == nil)
        #expect(throws: AuthError.invalidClaim("name")) { try verifier.verify(mint(payload(#""name":{"first":"Ada"}"#)), now: now) }
        // Unknown claims are ignored.
        #expect(try verifier.verify(mint(payload(#""role":"admin","x":{"y":[1,2]}"#)), now: now)
                == Claims(subject: "alice", expiresAt: now + 600))
    }
}
