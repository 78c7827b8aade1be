/// Mints HS256 tokens: for `rally-server token --user NAME --secret S`, the development token
/// endpoint, and tests. Production tokens come from the host platform; Rally only verifies them.
public enum JWTSigner {
    /// An HS256 token whose header is `{"alg":"HS256","typ":"JWT"}` plus `kid` when given, and
    /// whose payload holds `sub`, `exp` and — when set — `name`, `iat`, `nbf`, `iss`, `aud`.
    ///
    /// The claims are written as given, not validated: a verifier refuses what it does not
    /// accept (a `sub` outside its character set, a secret under 32 bytes, …). HMAC-SHA256 can
    /// only fail when OpenSSL runs out of memory; the token then carries an empty signature,
    /// which no verifier accepts, rather than crashing the server.
    public static func hs256(claims: Claims, secret: [UInt8], kid: String?,
                             issuer: String? = nil, audience: String? = nil) -> String {
        var header = #"{"alg":"HS256","typ":"JWT""#
        if let kid { header += #","kid":"# + JSONText.quoted(kid) }
        header += "}"
        var payload = #"{"sub":"# + JSONText.quoted(claims.subject)
        if let name = claims.name { payload += #","name":"# + JSONText.quoted(name) }
        if let issuedAt = claims.issuedAt { payload += #","iat":\#(issuedAt)"# }
        if let notBefore = claims.notBefore { payload += #","nbf":\#(notBefore)"# }
        payload += #","exp":\#(claims.expiresAt)"#
        if let issuer { payload += #","iss":"# + JSONText.quoted(issuer) }
        if let audience { payload += #","aud":"# + JSONText.quoted(audience) }
        payload += "}"
        return hs256(headerJSON: header, payloadJSON: payload, secret: secret)
    }

    /// Signs arbitrary header and payload text; tests use it to build tokens that the typed
    /// signer would never produce (missing claims, other `alg` values, …).
    static func hs256(headerJSON: String, payloadJSON: String, secret: [UInt8]) -> String {
        let signingInput = Base64URL.encode(Array(headerJSON.utf8)) + "." + Base64URL.encode(Array(payloadJSON.utf8))
        let mac = Signature.hmacSHA256(key: secret, data: Array(signingInput.utf8)) ?? []
        return signingInput + "." + Base64URL.encode(mac)
    }
}

/// JSON string literals, written by hand because Foundation is reserved for parsing here.
enum JSONText {
    /// `text` as a JSON string literal: quotes, backslashes and control characters escaped
    /// (RFC 8259 §7), everything else kept as UTF-8.
    static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            case _ where scalar.value < 0x20:
                let hex = String(scalar.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default:
                out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}
