import Testing
@testable import Auth

/// Tokens that are not well-formed JWS, and the size limit.
@Suite struct MalformedTests {
    let good = mint(payload())

    func parts(_ token: String) -> [String] {
        token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    }

    @Test func wrongNumberOfParts() throws {
        let verifier = try hsVerifier()
        let threeParts = AuthError.malformed("token must have three parts")
        for token in ["", "abc", "a.b", good + ".x", good + ".", "....", "a.b.c.d.e"] {
            #expect(throws: threeParts, "\(token.prefix(20))") { try verifier.verify(token, now: now) }
        }
    }

    @Test func badBase64URL() throws {
        let verifier = try hsVerifier()
        let p = parts(good)
        let invalid = AuthError.malformed("invalid base64url")
        let cases = [
            "\(p[0])=.\(p[1]).\(p[2])",          // padding
            "\(p[0]).\(p[1]).\(p[2])=",
            "\(p[0]).\(p[1])==.\(p[2])",
            "\(p[0]).\(p[1]).\(p[2].dropLast())+",  // standard-base64 characters
            "\(p[0]).\(p[1]).\(p[2].dropLast())/",
            "\(p[0]) .\(p[1]).\(p[2])",          // whitespace
            "\(p[0]).\(p[1]).A",                 // length 1 mod 4
            "\(p[0]).\(p[1]).AB",                // non-zero leftover bits (AA would be canonical)
            "\(p[0]).\(p[1]).é\(p[2])",
        ]
        for token in cases {
            #expect(throws: invalid, "\(token.suffix(30))") { try verifier.verify(token, now: now) }
        }
    }

    @Test func badHeader() throws {
        let verifier = try hsVerifier()
        let notObject = AuthError.malformed("header is not a JSON object")
        for header in ["", "not json", #"["alg","HS256"]"#, #""HS256""#, "42", #"{"alg":"HS256""#,
                       #"{"alg":"HS256"} trailing"#] {
            #expect(throws: notObject, "header \(header)") { try verifier.verify(mint(header: header, payload()), now: now) }
        }
        // Header bytes that are not UTF-8.
        let latin1 = Base64URL.encode([0x7B, 0x22, 0x61, 0xE9, 0x22, 0x3A, 0x31, 0x7D])
        #expect(throws: notObject) { try verifier.verify("\(latin1).\(parts(good)[1]).\(parts(good)[2])", now: now) }
        #expect(throws: AuthError.malformed("header has no alg")) { try verifier.verify(mint(header: #"{"typ":"JWT"}"#, payload()), now: now) }
        #expect(throws: AuthError.malformed("alg is not a string")) { try verifier.verify(mint(header: #"{"alg":256}"#, payload()), now: now) }
        #expect(throws: AuthError.malformed("kid is not a string")) { try verifier.verify(mint(header: #"{"alg":"HS256","kid":1}"#, payload()), now: now) }
        #expect(throws: AuthError.malformed("typ is not a string")) { try verifier.verify(mint(header: #"{"alg":"HS256","typ":null}"#, payload()), now: now) }
        #expect(throws: AuthError.malformed("unsupported crit header")) {
            try verifier.verify(mint(header: #"{"alg":"HS256","crit":["exp"],"exp":1}"#, payload()), now: now)
        }
        // Deep nesting is refused by the parser, not by a crash.
        let deep = #"{"alg":"HS256","x":"# + String(repeating: "[", count: 2000) + String(repeating: "]", count: 2000) + "}"
        #expect(throws: notObject) { try verifier.verify(mint(header: deep, payload()), now: now) }
    }

    @Test func badPayloadAfterGoodSignature() throws {
        let verifier = try hsVerifier()
        for body in ["", "[]", "null", #"{"sub":"alice""#] {
            #expect(throws: AuthError.malformed("claims are not a JSON object"), "payload \(body)") {
                try verifier.verify(mint(body), now: now)
            }
        }
    }

    @Test func sizeLimit() throws {
        let verifier = try hsVerifier()
        let padded = mint(payload(#""pad":"\#(String(repeating: "x", count: 6000))""#))
        #expect(padded.utf8.count > 8000 && padded.utf8.count <= 8192)
        #expect(try verifier.verify(padded, now: now).subject == "alice")
        let oversized = mint(payload(#""pad":"\#(String(repeating: "x", count: 6200))""#))
        #expect(oversized.utf8.count > 8192)
        #expect(throws: AuthError.malformed("token too large")) { try verifier.verify(oversized, now: now) }
        // Checked before parsing: 8 KiB of anything is refused the same way.
        #expect(throws: AuthError.malformed("token too large")) { try verifier.verify(String(repeating: ".", count: 9000), now: now) }
        let small = try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: nil)], maxTokenBytes: 100))
        #expect(good.utf8.count > 100)
        #expect(throws: AuthError.malformed("token too large")) { try small.verify(good, now: now) }
    }

    @Test func messagesAreShortAndCarryNoSecrets() {
        let errors: [AuthError] = [.malformed("token too large"), .unsupportedAlgorithm("none"), .unknownKey("k1"),
                                   .badSignature, .expired, .notYetValid, .wrongIssuer, .wrongAudience,
                                   .missingClaim("exp"), .invalidClaim("sub"), .configuration("cannot open /etc/secret")]
        for error in errors {
            #expect(!error.message.isEmpty && error.message.count < 80)
            #expect(!error.message.contains("/etc/secret"))
        }
        #expect(AuthError.configuration("cannot open /etc/secret").description.contains("/etc/secret"))
    }
}
