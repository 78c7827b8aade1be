import ArgumentParser
import Auth
import Glibc

/// `rally-server token --user NAME --secret S`: prints an HS256 token (for tests and tools;
/// the host platform mints real ones).
struct TokenCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "token", abstract: "Print an HS256 token for a user.")

    @Option(help: "The user id (the token's sub).")
    var user: String

    @Option(help: "The HS256 secret (at least 32 bytes).")
    var secret: String

    @Option(help: "The key id (kid) to put in the header.")
    var kid: String?

    @Option(help: "Seconds until the token expires.")
    var ttl: Int64 = 3_600

    @Option(help: "The iss claim.")
    var issuer: String?

    @Option(help: "The aud claim.")
    var audience: String?

    func validate() throws {
        if secret.utf8.count < 32 { throw ValidationError("--secret must be at least 32 bytes (RFC 7518 §3.2)") }
        if ttl < 1 || ttl > 31_536_000 { throw ValidationError("--ttl must be between 1 and 31536000 seconds") }
    }

    func run() throws {
        var now = timespec()
        clock_gettime(CLOCK_REALTIME, &now)
        let claims = Claims(subject: user, expiresAt: Int64(now.tv_sec) + ttl, issuedAt: Int64(now.tv_sec))
        print(JWTSigner.hs256(claims: claims, secret: Array(secret.utf8), kid: kid, issuer: issuer, audience: audience))
    }
}
