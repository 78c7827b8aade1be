/// Why a token was refused, or why a verifier or key could not be set up.
///
/// Associated strings are chosen by this module (fixed descriptions, claim names, the token's own
/// `alg`/`kid` values), never key material, so every case can be logged. What a client may be
/// told is `message`.
public enum AuthError: Error, Equatable, Sendable, CustomStringConvertible {
    /// The token is not a well-formed JWS compact serialization (parts, base64url, JSON, size).
    case malformed(String)
    /// The header's `alg` is not one this verifier implements (`none` included).
    case unsupportedAlgorithm(String)
    /// No configured key matches the token's `kid` (nil: the token has no `kid`) and `alg`.
    case unknownKey(String?)
    /// The signature does not verify with the selected key.
    case badSignature
    /// `exp` (plus leeway) has passed.
    case expired
    /// `nbf` (minus leeway) is still in the future.
    case notYetValid
    /// `iss` differs from the configured issuer.
    case wrongIssuer
    /// The configured audience is not in `aud`, or the token names an audience the verifier
    /// was not configured with.
    case wrongAudience
    /// A required claim is absent (the claim's name).
    case missingClaim(String)
    /// A claim has the wrong type or a value outside its allowed form (the claim's name).
    case invalidClaim(String)
    /// `exp - iat` is longer than the verifier's maximum lifetime.
    case lifetimeTooLong
    /// A key or verifier could not be set up; a server-side problem, not the client's.
    case configuration(String)

    /// A short explanation that is safe to send to the client: it never contains key material,
    /// file paths or the server's configuration, and never echoes token content back.
    public var message: String {
        switch self {
        case .malformed(let detail): return "malformed token: \(detail)"
        case .unsupportedAlgorithm: return "unsupported token algorithm"
        case .unknownKey: return "unknown signing key"
        case .badSignature: return "invalid token signature"
        case .expired: return "token expired"
        case .notYetValid: return "token not yet valid"
        case .wrongIssuer: return "wrong token issuer"
        case .wrongAudience: return "wrong token audience"
        case .missingClaim(let name): return "missing claim: \(name)"
        case .invalidClaim(let name): return "invalid claim: \(name)"
        case .lifetimeTooLong: return "token lifetime (exp - iat) is longer than this server accepts"
        // Configuration details (paths, option names) are for the operator's log only.
        case .configuration: return "server authentication is misconfigured"
        }
    }

    /// The full explanation, for logs (configuration details included).
    public var description: String {
        switch self {
        case .unsupportedAlgorithm(let alg): return "unsupported token algorithm \"\(alg)\""
        case .unknownKey(let kid?): return "no key for kid \"\(kid)\""
        case .unknownKey(nil): return "no key for a token without kid"
        case .configuration(let detail): return "auth configuration: \(detail)"
        default: return message
        }
    }
}

extension AuthError {
    /// Bounds a token-supplied string (`alg`, `kid`) kept in an error, so that a log line about
    /// a hostile token stays short.
    static func clipped(_ text: String) -> String {
        text.count <= 64 ? text : String(text.prefix(64)) + "…"
    }
}
