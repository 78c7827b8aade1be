/// What a `JWTVerifier` accepts.
public struct JWTVerifierConfiguration: Sendable {
    /// Verification keys; several at once for rotation (see `JWTKey` for how one is chosen).
    public var keys: [JWTKey]
    /// Required `iss`, if set.
    public var issuer: String?
    /// Required entry of `aud`, if set. If nil, tokens that carry `aud` are refused
    /// (RFC 7519 §4.1.3).
    public var audience: String?
    /// Clock skew allowed on `exp` and `nbf`, 0…3600 seconds.
    public var leewaySeconds: Int64
    /// Longer tokens (in UTF-8 bytes) are refused before any parsing; 1…1 MiB.
    public var maxTokenBytes: Int
    /// If set, `iat` is required and `exp - iat` may not exceed it (seconds): a token that is
    /// valid for years cannot be accepted, even if the issuer made one.
    public var maxLifetimeSeconds: Int64?

    /// A configuration; see the properties for the meaning and range of each value.
    public init(keys: [JWTKey], issuer: String? = nil, audience: String? = nil,
                leewaySeconds: Int64 = 30, maxTokenBytes: Int = 8192, maxLifetimeSeconds: Int64? = nil) {
        self.maxLifetimeSeconds = maxLifetimeSeconds
        self.keys = keys
        self.issuer = issuer
        self.audience = audience
        self.leewaySeconds = leewaySeconds
        self.maxTokenBytes = maxTokenBytes
    }
}

/// Verifies JWS compact-serialized JWTs (RFC 7515/7519) signed with HS256, RS256 or ES256.
///
/// One verifier is meant to be shared by every event loop: it is immutable after `init`, and
/// `verify` creates its OpenSSL contexts per call, so it may be called from any number of
/// threads at once. Its keys are freed when the last verifier or `JWTKey` holding them goes.
public final class JWTVerifier: Sendable {
    /// Keys that answer to a `kid`, by `kid` (unique across all keys).
    private let keysByID: [String: JWTKey]
    /// For tokens without `kid`: the one kid-less key of each algorithm.
    private let defaultKeys: [JWTAlgorithm: JWTKey]
    private let rules: ClaimRules
    private let maxTokenBytes: Int

    /// Checks the configuration: at least one key; `kid`s non-empty and unique; at most one
    /// key without `kid` per algorithm (otherwise a kid-less token would be ambiguous); HMAC
    /// secrets of at least 32 bytes (RFC 7518 §3.2); non-empty issuer and audience when set;
    /// leeway and size limit in range. Throws `AuthError.configuration` otherwise.
    public init(_ configuration: JWTVerifierConfiguration) throws(AuthError) {
        guard !configuration.keys.isEmpty else { throw .configuration("no verification keys") }
        var byID: [String: JWTKey] = [:]
        var defaults: [JWTAlgorithm: JWTKey] = [:]
        for key in configuration.keys {
            if case .secret(let secret) = key.material, secret.count < 32 {
                throw .configuration("HS256 secret has \(secret.count) bytes; at least 32 are required")
            }
            if let kid = key.kid {
                guard !kid.isEmpty else { throw .configuration("empty kid") }
                guard byID.updateValue(key, forKey: kid) == nil else {
                    throw .configuration("two keys with kid \"\(kid)\"")
                }
            } else {
                guard defaults.updateValue(key, forKey: key.algorithm) == nil else {
                    throw .configuration("two \(key.algorithm.rawValue) keys without kid")
                }
            }
        }
        if configuration.issuer?.isEmpty == true { throw .configuration("empty issuer") }
        if configuration.audience?.isEmpty == true { throw .configuration("empty audience") }
        guard (0...3600).contains(configuration.leewaySeconds) else {
            throw .configuration("leeway must be 0...3600 seconds")
        }
        guard (1...(1 << 20)).contains(configuration.maxTokenBytes) else {
            throw .configuration("token size limit must be 1...1048576 bytes")
        }
        keysByID = byID
        defaultKeys = defaults
        if let lifetime = configuration.maxLifetimeSeconds, lifetime < 1 {
            throw .configuration("maximum token lifetime must be at least 1 second")
        }
        rules = ClaimRules(issuer: configuration.issuer, audience: configuration.audience,
                           leeway: configuration.leewaySeconds, maxLifetime: configuration.maxLifetimeSeconds)
        maxTokenBytes = configuration.maxTokenBytes
    }

    /// Verifies `token` at time `now` (seconds since the epoch) and returns its claims, or
    /// throws why it is refused. Checks, in order: size; three base64url parts (unpadded,
    /// canonical); header JSON object with a supported `alg` (string `kid`/`typ` if present,
    /// no `crit`); a key for `kid` and `alg`; the signature; then the claims (`sub`, `exp`,
    /// `nbf`, `iat`, `name`, `iss`, `aud`) — the claims are parsed only once the signature is good.
    public func verify(_ token: String, now: Int64) throws(AuthError) -> Claims {
        let bytes = token.utf8
        guard bytes.count <= maxTokenBytes else { throw .malformed("token too large") }
        let parts = bytes.split(separator: UInt8(ascii: "."), maxSplits: 3, omittingEmptySubsequences: false)
        guard parts.count == 3 else { throw .malformed("token must have three parts") }
        guard let headerBytes = Base64URL.decode(parts[0]),
              let payloadBytes = Base64URL.decode(parts[1]),
              let signature = Base64URL.decode(parts[2]) else {
            throw .malformed("invalid base64url")
        }
        guard let header = JSONValue.parseObject(headerBytes) else {
            throw .malformed("header is not a JSON object")
        }
        let (algorithm, kid) = try Self.readHeader(header)
        // A token that names a key gets that key or none: it never falls back to the default.
        let candidate = if let kid { keysByID[kid] } else { defaultKeys[algorithm] }
        guard let key = candidate, key.algorithm == algorithm else {
            throw .unknownKey(kid.map(AuthError.clipped))
        }
        // The signing input is the token's own first two parts, byte for byte.
        let signingInput = Array(bytes[..<parts[1].endIndex])
        try Signature.verify(signature, over: signingInput, with: key)
        guard let claims = JSONValue.parseObject(payloadBytes) else {
            throw .malformed("claims are not a JSON object")
        }
        return try rules.check(claims, now: now)
    }

    private static func readHeader(_ header: [String: JSONValue]) throws(AuthError) -> (JWTAlgorithm, String?) {
        guard let alg = header["alg"] else { throw .malformed("header has no alg") }
        guard case .string(let name) = alg else { throw .malformed("alg is not a string") }
        // `none` and every other name land here: only the three implemented ones pass.
        guard let algorithm = JWTAlgorithm(rawValue: name) else {
            throw .unsupportedAlgorithm(AuthError.clipped(name))
        }
        // RFC 7515 §4.1.11: extensions listed in `crit` must be understood; none are.
        guard header["crit"] == nil else { throw .malformed("unsupported crit header") }
        switch header["typ"] {
        case nil, .string?: break
        default: throw .malformed("typ is not a string")
        }
        switch header["kid"] {
        case nil: return (algorithm, nil)
        case .string(let kid)?: return (algorithm, kid)
        default: throw .malformed("kid is not a string")
        }
    }
}
