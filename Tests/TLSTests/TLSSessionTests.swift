import COpenSSL
import Foundation
import Testing
@testable import TLS

/// Generates a self-signed certificate with the openssl CLI (no key is committed).
func makeCertificate(kind: String) throws -> (cert: String, key: String) {
    let dir = FileManager.default.temporaryDirectory.appendingPathComponent("rally-tls-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
    let cert = dir.appendingPathComponent("cert.pem").path
    let key = dir.appendingPathComponent("key.pem").path
    let keyArgs = kind == "ec" ? ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:prime256v1"] : ["-newkey", "rsa:2048"]
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/usr/bin/openssl")
    process.arguments = ["req", "-x509", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
                         "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", key, "-out", cert] + keyArgs
    process.standardError = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    guard process.terminationStatus == 0 else { throw TLSError.configuration("openssl req failed") }
    return (cert, key)
}

/// A client SSL object over memory BIOs, to drive a `TLSSession` without sockets.
final class TestClient {
    let ctx: OpaquePointer
    let ssl: OpaquePointer
    let input: OpaquePointer
    let output: OpaquePointer

    init(version: Int32? = nil, ciphers: String? = nil) {
        ctx = SSL_CTX_new(TLS_client_method())!
        if let version {
            SSL_CTX_set_min_proto_version_shim(ctx, version)
        }
        if let ciphers { SSL_CTX_set_cipher_list(ctx, ciphers) }
        ssl = SSL_new(ctx)!
        input = BIO_new(BIO_s_mem())!
        output = BIO_new(BIO_s_mem())!
        SSL_set_bio(ssl, input, output)
        SSL_set_connect_state(ssl)
    }

    deinit { SSL_free(ssl); SSL_CTX_free(ctx) }

    func take() -> [UInt8] {
        var out: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 16384)
        while true {
            let n = BIO_read(output, &buffer, Int32(buffer.count))
            if n <= 0 { return out }
            out.append(contentsOf: buffer[0..<Int(n)])
        }
    }

    func give(_ bytes: [UInt8]) { if !bytes.isEmpty { BIO_write(input, bytes, Int32(bytes.count)) } }

    func step() { _ = SSL_do_handshake(ssl) }

    func read() -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: 16384)
        let n = SSL_read(ssl, &buffer, Int32(buffer.count))
        return n > 0 ? Array(buffer[0..<Int(n)]) : []
    }
}

/// Forces one protocol version on a client context (the setters are macros).
func SSL_CTX_set_min_proto_version_shim(_ ctx: OpaquePointer, _ version: Int32) {
    _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MIN_PROTO_VERSION, Int(version), nil)
    _ = SSL_CTX_ctrl(ctx, SSL_CTRL_SET_MAX_PROTO_VERSION, Int(version), nil)
}

@Suite struct TLSSessionTests {
    let scratch = UnsafeMutableRawBufferPointer.allocate(byteCount: 17 << 10, alignment: 16)

    /// Shuttles bytes until neither side produces more; returns plaintext the server received.
    func pump(_ client: TestClient, _ server: TLSSession) throws -> [UInt8] {
        var plaintext: [UInt8] = []
        for _ in 0..<20 {
            client.step()
            let toServer = client.take()
            if !toServer.isEmpty {
                try toServer.withUnsafeBytes { try server.receive($0, scratch: scratch) { plaintext.append(contentsOf: $0) } }
            }
            var toClient: [UInt8] = []
            server.drainCiphertext(scratch: scratch) { toClient.append(contentsOf: $0) }
            client.give(toClient)
            if toServer.isEmpty && toClient.isEmpty { break }
        }
        return plaintext
    }

    @Test(arguments: ["ec", "rsa"], [TLS1_2_VERSION, TLS1_3_VERSION])
    func handshakeAndDataBothWays(kind: String, version: Int32) throws {
        let (cert, key) = try makeCertificate(kind: kind)
        let context = try TLSContext(certificateChainFile: cert, privateKeyFile: key)
        let server = try TLSSession(context: context)
        let client = TestClient(version: version)
        _ = try pump(client, server)
        #expect(server.isHandshakeComplete)
        #expect(server.protocolVersion == (version == TLS1_3_VERSION ? "TLSv1.3" : "TLSv1.2"))

        let message = Array("hello over tls".utf8)
        #expect(SSL_write(client.ssl, message, Int32(message.count)) == Int32(message.count))
        let received = try pump(client, server)
        #expect(received == message)

        var toClient: [UInt8] = []
        try Array("reply".utf8).withUnsafeBytes { try server.send($0, scratch: scratch) { toClient.append(contentsOf: $0) } }
        client.give(toClient)
        #expect(client.read() == Array("reply".utf8))
    }

    @Test func largeWritesLeaveRecordByRecordAndArriveWhole() throws {
        let (cert, key) = try makeCertificate(kind: "ec")
        let server = try TLSSession(context: TLSContext(certificateChainFile: cert, privateKeyFile: key))
        let client = TestClient(version: TLS1_3_VERSION)
        _ = try pump(client, server)
        let big = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7) }
        var pieces = 0
        var toClient: [UInt8] = []
        try big.withUnsafeBytes { try server.send($0, scratch: scratch) { pieces += 1; toClient.append(contentsOf: $0) } }
        // One record at most per piece: the output BIO never holds the whole message.
        #expect(pieces >= 300_000 / 16_384)
        client.give(toClient)
        var received: [UInt8] = []
        while received.count < big.count {
            let chunk = client.read()
            if chunk.isEmpty { break }
            received += chunk
        }
        #expect(received == big)
        #expect(!server.hasCiphertext)
    }

    @Test func closeNotifyIsSentAfterTheHandshake() throws {
        let (cert, key) = try makeCertificate(kind: "ec")
        let server = try TLSSession(context: TLSContext(certificateChainFile: cert, privateKeyFile: key))
        let client = TestClient(version: TLS1_3_VERSION)
        _ = try pump(client, server)
        server.shutdown()
        var toClient: [UInt8] = []
        server.drainCiphertext(scratch: scratch) { toClient.append(contentsOf: $0) }
        client.give(toClient)
        _ = client.read()
        #expect(SSL_get_shutdown(client.ssl) & SSL_RECEIVED_SHUTDOWN != 0)
    }

    @Test func tls11ClientIsRefused() throws {
        let (cert, key) = try makeCertificate(kind: "ec")
        let context = try TLSContext(certificateChainFile: cert, privateKeyFile: key)
        let server = try TLSSession(context: context)
        let client = TestClient(version: TLS1_1_VERSION, ciphers: "DEFAULT@SECLEVEL=0")
        #expect(throws: TLSError.self) { _ = try pump(client, server) }
        #expect(!server.isHandshakeComplete)
    }

    @Test func garbageIsAHandshakeError() throws {
        let (cert, key) = try makeCertificate(kind: "ec")
        let server = try TLSSession(context: TLSContext(certificateChainFile: cert, privateKeyFile: key))
        let garbage = Array("GET / HTTP/1.1\r\nHost: x\r\n\r\n".utf8)
        #expect {
            try garbage.withUnsafeBytes { try server.receive($0, scratch: scratch) { _ in } }
        } throws: { error in
            if case .handshake = error as? TLSError { return true }
            return false
        }
    }

    @Test func missingOrMismatchedKeyIsAConfigurationError() throws {
        let (cert, _) = try makeCertificate(kind: "ec")
        let (_, otherKey) = try makeCertificate(kind: "ec")
        #expect(throws: TLSError.self) { try TLSContext(certificateChainFile: cert, privateKeyFile: "/nonexistent.pem") }
        #expect {
            try TLSContext(certificateChainFile: cert, privateKeyFile: otherKey)
        } throws: { error in
            guard case .configuration(let message) = error as? TLSError else { return false }
            return message.contains("mismatch") || message.contains("does not match")
        }
    }
}
