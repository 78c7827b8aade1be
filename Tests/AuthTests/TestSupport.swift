import Foundation
import Testing
@testable import Auth

/// The time every test token is minted around and verified at.
let now: Int64 = 1_700_000_000
/// The HS256 secret shared with PyJWT (32 bytes, RFC 7518 §3.2's minimum).
let secret = Array("rally-test-secret-0123456789abcdef".utf8)

struct FixtureError: Error, CustomStringConvertible {
    let description: String
}

/// Keys made with the openssl CLI in a fresh temp directory (none is committed), and tokens
/// minted from them by PyJWT in one python3 run.
struct Fixture: Sendable {
    let directory: String
    let rsaPublicPEM: String
    let ecPublicPEM: String
    /// PyJWT's tokens by name (see `mintScript`).
    let tokens: [String: String]

    /// Built once for the whole run; a failure (openssl or PyJWT missing) fails each test that
    /// needs it, with the reason, instead of skipping it.
    static let shared: Result<Fixture, FixtureError> = {
        do { return .success(try Fixture.make()) } catch { return .failure(FixtureError(description: "\(error)")) }
    }()

    static func get() throws -> Fixture { try shared.get() }

    func path(_ name: String) -> String { directory + "/" + name }

    func pem(_ name: String) throws -> String { try String(contentsOfFile: path(name), encoding: .utf8) }

    func token(_ name: String) throws -> String {
        guard let token = tokens[name] else { throw FixtureError(description: "PyJWT minted no token \(name)") }
        return token
    }

    private static func make() throws -> Fixture {
        let directory = FileManager.default.temporaryDirectory
            .appendingPathComponent("rally-auth-\(UUID().uuidString)").path
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let keys: [(name: String, options: [String])] = [
            ("rsa", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048"]),
            ("ec", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256"]),
            ("rsa1024", ["-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:1024"]),
            ("ec384", ["-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-384"]),
            ("ed25519", ["-algorithm", "ED25519"]),
        ]
        for key in keys {
            _ = try run("/usr/bin/openssl", ["genpkey"] + key.options + ["-out", "\(directory)/\(key.name).pem"])
            _ = try run("/usr/bin/openssl", ["pkey", "-in", "\(directory)/\(key.name).pem", "-pubout",
                                             "-out", "\(directory)/\(key.name)_pub.pem"])
        }
        let output = try run("/usr/bin/env", ["python3", "-c", mintScript, directory, String(now),
                                              String(decoding: secret, as: UTF8.self)])
        guard let tokens = try JSONSerialization.jsonObject(with: output) as? [String: String] else {
            throw FixtureError(description: "mint script printed no token table")
        }
        // Environment variables for the load(spec:) tests, set here (once, before any test can
        // read the environment) because setenv is not safe while other threads call getenv.
        setenv("RALLY_TEST_JWT_SECRET", String(decoding: secret, as: UTF8.self), 1)
        setenv("RALLY_TEST_JWT_SHORT", "too-short", 1)
        setenv("RALLY_TEST_EC_PEM", try String(contentsOfFile: "\(directory)/ec_pub.pem", encoding: .utf8), 1)
        return Fixture(directory: directory,
                       rsaPublicPEM: try String(contentsOfFile: "\(directory)/rsa_pub.pem", encoding: .utf8),
                       ecPublicPEM: try String(contentsOfFile: "\(directory)/ec_pub.pem", encoding: .utf8),
                       tokens: tokens)
    }
}

/// Runs a program to completion; its standard output, or an error with its standard error.
func run(_ executable: String, _ arguments: [String]) throws -> Data {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: executable)
    process.arguments = arguments
    let output = Pipe()
    let errors = Pipe()
    process.standardOutput = output
    process.standardError = errors
    try process.run()
    // Read before waiting: a child blocked on a full pipe would never exit.
    let data = output.fileHandleForReading.readDataToEndOfFile()
    let errorText = String(decoding: errors.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
    process.waitUntilExit()
    guard process.terminationStatus == 0 else {
        throw FixtureError(description: "\(arguments.prefix(2).joined(separator: " ")) failed: \(errorText)"
            + (errorText.contains("No module named") ? " (pip install pyjwt cryptography)" : ""))
    }
    return data
}

/// An HS256 token over arbitrary header and payload JSON (for what no well-behaved signer makes).
func mint(header: String = #"{"alg":"HS256","typ":"JWT"}"#, _ payload: String, secret key: [UInt8] = secret) -> String {
    JWTSigner.hs256(headerJSON: header, payloadJSON: payload, secret: key)
}

/// A payload valid at `now` with the given extra members.
func payload(_ extra: String = "") -> String {
    #"{"sub":"alice","exp":\#(now + 600)"# + (extra.isEmpty ? "" : "," + extra) + "}"
}

/// `token` with one bit flipped in byte `index` of part `part` (0 header, 1 payload, 2 signature),
/// re-encoded as valid base64url so that only the content changes.
func flipping(_ token: String, part: Int, byte index: Int) -> String {
    var parts = token.split(separator: ".", omittingEmptySubsequences: false).map(String.init)
    guard var bytes = Base64URL.decode(parts[part].utf8), bytes.indices.contains(index) else { return token }
    bytes[index] ^= 0x01
    parts[part] = Base64URL.encode(bytes)
    return parts.joined(separator: ".")
}

func hsVerifier(issuer: String? = nil, audience: String? = nil, leeway: Int64 = 30) throws -> JWTVerifier {
    try JWTVerifier(JWTVerifierConfiguration(keys: [.hmac(secret: secret, kid: nil)], issuer: issuer,
                                             audience: audience, leewaySeconds: leeway))
}
