/// What Rally takes from a verified token.
public struct Claims: Equatable, Sendable {
    /// `sub`: the user id, 1–128 characters from `A–Z a–z 0–9 _ . @ -`.
    public let subject: String
    /// `exp`, seconds since the epoch (a fractional NumericDate is rounded down).
    public let expiresAt: Int64
    /// `nbf`, if the token has one.
    public let notBefore: Int64?
    /// `iat`, if the token has one: required with a maximum lifetime, and compared with the
    /// user's "revoked before" time by the server.
    public let issuedAt: Int64?
    /// `name`: an optional display name, as the issuer wrote it (not validated beyond being a
    /// string; a JSON null counts as absent).
    public let name: String?

    /// Claims as given; used to mint tokens with `JWTSigner` and to compare results in tests.
    public init(subject: String, expiresAt: Int64, notBefore: Int64? = nil, issuedAt: Int64? = nil, name: String? = nil) {
        self.subject = subject
        self.expiresAt = expiresAt
        self.notBefore = notBefore
        self.issuedAt = issuedAt
        self.name = name
    }
}

/// The claim rules of `JWTVerifier` (RFC 7519 §4.1), applied after the signature verified.
struct ClaimRules: Sendable {
    let issuer: String?
    let audience: String?
    let leeway: Int64
    var maxLifetime: Int64? = nil

    /// NumericDates outside year 0…9999 are refused, which also keeps `exp + leeway` and
    /// `nbf - leeway` far from overflow.
    static let latestDate: Int64 = 253_402_300_799

    func check(_ claims: [String: JSONValue], now: Int64) throws(AuthError) -> Claims {
        let subject = try Self.subject(claims["sub"])
        guard let expiresAt = try Self.date(claims["exp"], name: "exp") else { throw .missingClaim("exp") }
        let notBefore = try Self.date(claims["nbf"], name: "nbf")
        let issuedAt = try Self.date(claims["iat"], name: "iat")
        let name: String?
        switch claims["name"] {
        case nil, .null?: name = nil
        case .string(let value)?: name = value
        default: throw .invalidClaim("name")
        }

        // RFC 7519 §4.1.4: valid only while now is before exp; leeway absorbs clock skew.
        guard now < expiresAt + leeway else { throw .expired }
        if let notBefore, now < notBefore - leeway { throw .notYetValid }
        if let maxLifetime {
            guard let issuedAt else { throw .missingClaim("iat") }
            guard expiresAt - issuedAt <= maxLifetime else { throw .lifetimeTooLong }
            // A token "issued" in the future would stretch its lifetime past the limit.
            guard issuedAt <= now + leeway else { throw .invalidClaim("iat") }
        }
        try checkIssuer(claims["iss"])
        try checkAudience(claims["aud"])
        return Claims(subject: subject, expiresAt: expiresAt, notBefore: notBefore, issuedAt: issuedAt, name: name)
    }

    private func checkIssuer(_ value: JSONValue?) throws(AuthError) {
        guard let issuer else { return }
        switch value {
        case nil: throw .missingClaim("iss")
        case .string(let given)?: guard given == issuer else { throw .wrongIssuer }
        default: throw .invalidClaim("iss")
        }
    }

    /// RFC 7519 §4.1.3: a token that names audiences is for those only, so a verifier without a
    /// configured audience refuses any token that has `aud`.
    private func checkAudience(_ value: JSONValue?) throws(AuthError) {
        guard let value else {
            if audience != nil { throw .missingClaim("aud") }
            return
        }
        var audiences: [String] = []
        switch value {
        case .string(let single): audiences = [single]
        case .array(let items):
            for item in items {
                guard case .string(let entry) = item else { throw .invalidClaim("aud") }
                audiences.append(entry)
            }
        default: throw .invalidClaim("aud")
        }
        guard let audience, audiences.contains(audience) else { throw .wrongAudience }
    }

    private static func subject(_ value: JSONValue?) throws(AuthError) -> String {
        guard let value else { throw .missingClaim("sub") }
        guard case .string(let subject) = value, isValidSubject(subject) else { throw .invalidClaim("sub") }
        return subject
    }

    /// `[A-Za-z0-9_.@-]{1,128}`: user ids end up in room membership keys and log lines, so
    /// nothing outside this set is let through.
    static func isValidSubject(_ subject: String) -> Bool {
        let bytes = subject.utf8
        guard (1...128).contains(bytes.count) else { return false }
        return bytes.allSatisfy { byte in
            switch byte {
            case UInt8(ascii: "A")...UInt8(ascii: "Z"), UInt8(ascii: "a")...UInt8(ascii: "z"),
                 UInt8(ascii: "0")...UInt8(ascii: "9"),
                 UInt8(ascii: "_"), UInt8(ascii: "."), UInt8(ascii: "@"), UInt8(ascii: "-"):
                return true
            default:
                return false
            }
        }
    }

    /// A NumericDate (RFC 7519 §2): an integer or a float, rounded down to whole seconds.
    /// nil when the claim is absent.
    private static func date(_ value: JSONValue?, name: String) throws(AuthError) -> Int64? {
        let seconds: Int64
        switch value {
        case nil: return nil
        case .integer(let whole)?: seconds = whole
        case .float(let real)?:
            guard real.isFinite, real >= 0, real <= Double(latestDate) else { throw .invalidClaim(name) }
            seconds = Int64(real.rounded(.down))
        default: throw .invalidClaim(name)
        }
        guard (0...latestDate).contains(seconds) else { throw .invalidClaim(name) }
        return seconds
    }
}
