#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

extension JWTKey {
    /// A key from its command-line form: `ALG` followed by `:OPTION=VALUE` parts, in any order.
    ///
    /// - `ALG`: `hs256`, `rs256` or `es256` (any case).
    /// - `kid=ID`: the key id tokens name in their `kid` header; without it the key serves
    ///   tokens that have no `kid` (one such key per algorithm).
    /// - HS256 takes exactly one secret source. A literal secret is not accepted, since the
    ///   command line is visible to every user of the machine:
    ///   - `secret=env:NAME`: the bytes of environment variable NAME;
    ///   - `secret-file=PATH`: the bytes of the file, without trailing CR/LF characters (so
    ///     that `echo "$S" > file` works).
    ///   The secret must be at least 32 bytes (RFC 7518 §3.2).
    /// - RS256 and ES256 take exactly one PEM public key source (see `publicKey(pem:…)`):
    ///   - `file=PATH`: a PEM file;
    ///   - `pem=env:NAME`: the PEM text in environment variable NAME.
    ///
    /// A `:` belongs to the value unless an option name and `=` follow it, so `env:NAME` and
    /// paths containing `:` need no quoting. Examples:
    /// `hs256:kid=k1:secret=env:RALLY_JWT_SECRET`, `hs256:secret-file=/run/secrets/jwt`,
    /// `rs256:kid=k2:file=/etc/rally/pub.pem`, `es256:file=/etc/rally/ec.pem`.
    ///
    /// Throws `AuthError.configuration` for an unknown algorithm or option, a repeated or
    /// missing option, an option that does not fit the algorithm, an unset variable, an
    /// unreadable file, or a key that does not fit (as `hmac`/`publicKey` define).
    public static func load(spec: String) throws(AuthError) -> JWTKey {
        let (algorithm, options) = try KeySpec.parse(spec)
        // Refuse options of the other key kind before reading any file or variable.
        let allowed: Set<String> = algorithm == .hs256 ? ["kid", "secret", "secret-file"] : ["kid", "file", "pem"]
        if let extra = options.keys.filter({ !allowed.contains($0) }).sorted().first {
            throw .configuration("key spec: option \(extra) does not apply to \(algorithm.rawValue.lowercased())")
        }
        let kid = options["kid"]
        if kid?.isEmpty == true { throw .configuration("key spec: empty kid") }
        switch algorithm {
        case .hs256:
            let secret: [UInt8]
            switch (options["secret"], options["secret-file"]) {
            case (let source?, nil): secret = try KeySpec.environmentBytes(source, option: "secret")
            case (nil, let path?): secret = KeySpec.trimmingLineBreaks(try KeySpec.readFile(path))
            default: throw .configuration("key spec: hs256 needs exactly one of secret=env:NAME, secret-file=PATH")
            }
            guard secret.count >= 32 else {
                throw .configuration("key spec: HS256 secret has \(secret.count) bytes; at least 32 are required")
            }
            return .hmac(secret: secret, kid: kid)
        case .rs256, .es256:
            let pem: [UInt8]
            switch (options["file"], options["pem"]) {
            case (let path?, nil): pem = try KeySpec.readFile(path)
            case (nil, let source?): pem = try KeySpec.environmentBytes(source, option: "pem")
            default: throw .configuration("key spec: \(algorithm.rawValue.lowercased()) needs exactly one of file=PATH, pem=env:NAME")
            }
            return try .publicKey(pem: String(decoding: pem, as: UTF8.self), algorithm: algorithm, kid: kid)
        }
    }
}

/// The pieces of `JWTKey.load(spec:)`.
enum KeySpec {
    static let optionNames: Set<String> = ["kid", "secret", "secret-file", "file", "pem"]
    /// Key material files are small; this bounds what a wrong path (a log, a device) can cost.
    static let maxFileBytes = 64 * 1024

    /// The algorithm and the `OPTION=VALUE` parts of a spec.
    static func parse(_ spec: String) throws(AuthError) -> (JWTAlgorithm, [String: String]) {
        let segments = spec.split(separator: ":", omittingEmptySubsequences: false).map(String.init)
        guard let first = segments.first,
              let algorithm = JWTAlgorithm(rawValue: first.uppercased()) else {
            throw .configuration("key spec must start with hs256, rs256 or es256")
        }
        var options: [(name: String, value: String)] = []
        for segment in segments.dropFirst() {
            if let equals = segment.firstIndex(of: "="), optionNames.contains(String(segment[..<equals])) {
                options.append((String(segment[..<equals]), String(segment[segment.index(after: equals)...])))
            } else if let last = options.indices.last {
                // Not an option: the ':' was part of the previous value (env:NAME, a path).
                options[last].value += ":" + segment
            } else {
                throw .configuration("key spec: unknown option \"\(segment.prefix(32))\"")
            }
        }
        var result: [String: String] = [:]
        for (name, value) in options {
            guard result.updateValue(value, forKey: name) == nil else {
                throw .configuration("key spec: option \(name) given twice")
            }
        }
        return (algorithm, result)
    }

    /// The bytes of the environment variable named by `env:NAME`.
    static func environmentBytes(_ source: String, option: String) throws(AuthError) -> [UInt8] {
        guard source.hasPrefix("env:") else {
            throw .configuration("key spec: \(option) must be env:NAME (literal keys would show in the process list)")
        }
        let name = String(source.dropFirst(4))
        guard !name.isEmpty, let value = getenv(name) else {
            throw .configuration("key spec: environment variable \(name) is not set")
        }
        let bytes = Array(String(cString: value).utf8)
        guard !bytes.isEmpty else { throw .configuration("key spec: environment variable \(name) is empty") }
        return bytes
    }

    /// The whole file at `path` (at most `maxFileBytes`).
    static func readFile(_ path: String) throws(AuthError) -> [UInt8] {
        guard !path.isEmpty else { throw .configuration("key spec: empty file path") }
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { throw .configuration("cannot open \(path): \(errorText())") }
        defer { close(descriptor) }
        var contents: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 4096)
        while true {
            let count = chunk.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw .configuration("cannot read \(path): \(errorText())")
            }
            contents += chunk[..<count]
            guard contents.count <= maxFileBytes else {
                throw .configuration("\(path) is larger than \(maxFileBytes) bytes")
            }
        }
        guard !contents.isEmpty else { throw .configuration("\(path) is empty") }
        return contents
    }

    static func trimmingLineBreaks(_ bytes: [UInt8]) -> [UInt8] {
        var end = bytes.endIndex
        while end > bytes.startIndex, bytes[end - 1] == 0x0A || bytes[end - 1] == 0x0D { end -= 1 }
        return Array(bytes[..<end])
    }

    private static func errorText() -> String {
        String(cString: strerror(errno))
    }
}
