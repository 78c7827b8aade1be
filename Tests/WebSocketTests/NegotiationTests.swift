import Testing
@testable import WebSocket

/// One row of the negotiation table.
struct NegotiationCase: CustomStringConvertible, Sendable {
    var offers: [String]
    var config = PerMessageDeflateConfig()
    /// Expected response header, nil when every offer must be declined.
    var response: String?
    var description: String { offers.joined(separator: " | ") + " -> " + (response ?? "declined") }
}

private var takeoverConfig: PerMessageDeflateConfig {
    PerMessageDeflateConfig(serverNoContextTakeover: false, clientNoContextTakeover: false)
}

let negotiationCases: [NegotiationCase] = [
    NegotiationCase(offers: ["permessage-deflate"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    NegotiationCase(offers: ["PerMessage-Deflate ;  Client_Max_Window_Bits"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=15"),
    NegotiationCase(offers: ["permessage-deflate; client_max_window_bits=10"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=10"),
    NegotiationCase(offers: ["permessage-deflate; client_max_window_bits=\"9\""],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=9"),
    NegotiationCase(offers: ["permessage-deflate; server_max_window_bits=8; client_no_context_takeover"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=8"),
    // Autobahn 13.x default offer.
    NegotiationCase(offers: ["permessage-deflate; client_no_context_takeover; client_max_window_bits"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=15"),
    // Several offers, first invalid (bad value), second accepted.
    NegotiationCase(offers: ["permessage-deflate; server_max_window_bits=16, permessage-deflate; client_max_window_bits"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; client_max_window_bits=15"),
    // Same, but as separate header values, with an unknown extension first.
    NegotiationCase(offers: ["x-webkit-deflate-frame", "permessage-deflate; foo=1", "permessage-deflate"],
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
    NegotiationCase(offers: ["permessage-deflate; server_max_window_bits"], response: nil),  // value required
    NegotiationCase(offers: ["permessage-deflate; server_max_window_bits=7"], response: nil),
    NegotiationCase(offers: ["permessage-deflate; client_max_window_bits=08"], response: nil),
    NegotiationCase(offers: ["permessage-deflate; client_max_window_bits=abc"], response: nil),
    NegotiationCase(offers: ["permessage-deflate; server_no_context_takeover=1"], response: nil),  // no value allowed
    NegotiationCase(offers: ["permessage-deflate; server_no_context_takeover; server_no_context_takeover"], response: nil),
    NegotiationCase(offers: ["permessage-deflate; mystery"], response: nil),
    NegotiationCase(offers: ["permessage-deflate; client_max_window_bits=\"1,5\""], response: nil),
    NegotiationCase(offers: ["permessage-deflate;"], response: nil),
    NegotiationCase(offers: ["x-other"], response: nil),
    NegotiationCase(offers: [], response: nil),
    NegotiationCase(offers: ["permessage-deflate"], config: PerMessageDeflateConfig(enabled: false), response: nil),
    // Takeover configured: kept unless the client asks otherwise.
    NegotiationCase(offers: ["permessage-deflate"], config: takeoverConfig, response: "permessage-deflate"),
    NegotiationCase(offers: ["permessage-deflate; server_no_context_takeover"], config: takeoverConfig,
                    response: "permessage-deflate; server_no_context_takeover"),
    NegotiationCase(offers: ["permessage-deflate; client_no_context_takeover"], config: takeoverConfig,
                    response: "permessage-deflate; client_no_context_takeover"),
    // Configured windows cap the answers but are only sent when offered.
    NegotiationCase(offers: ["permessage-deflate; server_max_window_bits=12; client_max_window_bits"],
                    config: PerMessageDeflateConfig(serverMaxWindowBits: 10, clientMaxWindowBits: 11),
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover; server_max_window_bits=10; client_max_window_bits=11"),
    NegotiationCase(offers: ["permessage-deflate"],
                    config: PerMessageDeflateConfig(serverMaxWindowBits: 10, clientMaxWindowBits: 11),
                    response: "permessage-deflate; server_no_context_takeover; client_no_context_takeover"),
]

@Suite struct NegotiationTests {
    @Test(arguments: negotiationCases)
    func negotiationTable(_ testCase: NegotiationCase) {
        let result = PerMessageDeflate.negotiate(offers: testCase.offers, config: testCase.config)
        #expect(result?.responseHeaderValue == testCase.response)
    }

    @Test func negotiatedParameters() throws {
        let result = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; server_max_window_bits=9; client_max_window_bits=12"],
            config: PerMessageDeflateConfig(serverNoContextTakeover: false, clientNoContextTakeover: false,
                                            maxDecompressedSize: 1234)))
        #expect(result.serverMaxWindowBits == 9)
        #expect(result.clientMaxWindowBits == 12)
        #expect(!result.serverNoContextTakeover && !result.clientNoContextTakeover)
        #expect(!result.isStateless)
        #expect(result.maxDecompressedSize == 1234)

        let silent = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate"], config: PerMessageDeflateConfig(serverMaxWindowBits: 10)))
        #expect(silent.serverMaxWindowBits == 10)   // used, not announced
        #expect(silent.clientMaxWindowBits == 15)   // client was not limited
        #expect(silent.isStateless)
    }

    @Test func privateCodecRequirement() throws {
        let plain = try #require(PerMessageDeflate.negotiate(offers: ["permessage-deflate"], config: PerMessageDeflateConfig()))
        #expect(!plain.usesContextTakeover && !plain.requiresPrivateCodec)
        let smallWindow = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; server_max_window_bits=8"], config: PerMessageDeflateConfig()))
        #expect(!smallWindow.usesContextTakeover && smallWindow.requiresPrivateCodec)
        let takeover = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate"],
            config: PerMessageDeflateConfig(serverNoContextTakeover: false, clientNoContextTakeover: true)))
        #expect(takeover.usesContextTakeover && takeover.requiresPrivateCodec)
        // A small client window alone is fine: the shared inflater uses 15 bits.
        let clientWindow = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; client_max_window_bits=9"], config: PerMessageDeflateConfig()))
        #expect(!clientWindow.requiresPrivateCodec)
        #expect(DeflateCodec(parameters: .noContextTakeover).canServe(clientWindow))
    }

    @Test func clientSideAcceptance() throws {
        #expect(PerMessageDeflate.clientOffer == "permessage-deflate; client_max_window_bits")
        let accepted = try #require(PerMessageDeflate.acceptServerResponse(
            "permessage-deflate; server_no_context_takeover; client_max_window_bits=10"))
        #expect(accepted.serverNoContextTakeover)
        #expect(!accepted.clientNoContextTakeover)
        #expect(accepted.clientMaxWindowBits == 10)
        #expect(accepted.serverMaxWindowBits == 15)

        #expect(PerMessageDeflate.acceptServerResponse("permessage-deflate; client_max_window_bits") == nil)
        #expect(PerMessageDeflate.acceptServerResponse("permessage-deflate, permessage-deflate") == nil)
        #expect(PerMessageDeflate.acceptServerResponse("permessage-deflate; bogus") == nil)
        #expect(PerMessageDeflate.acceptServerResponse("x-other") == nil)

        // What this server answers, this client accepts, and they agree.
        let server = try #require(PerMessageDeflate.negotiate(offers: [PerMessageDeflate.clientOffer], config: PerMessageDeflateConfig()))
        let client = try #require(PerMessageDeflate.acceptServerResponse(server.responseHeaderValue))
        #expect(client.serverNoContextTakeover == server.serverNoContextTakeover)
        #expect(client.clientNoContextTakeover == server.clientNoContextTakeover)
        #expect(client.clientMaxWindowBits == server.clientMaxWindowBits)
    }

    @Test func clientAndServerCodecsInteroperate() throws {
        let server = try #require(PerMessageDeflate.negotiate(
            offers: ["permessage-deflate; client_max_window_bits=9; server_max_window_bits=8"],
            config: PerMessageDeflateConfig(serverNoContextTakeover: false, clientNoContextTakeover: false)))
        let client = try #require(PerMessageDeflate.acceptServerResponse(server.responseHeaderValue))
        let serverCodec = DeflateCodec(negotiated: server, role: .server)
        let clientCodec = DeflateCodec(negotiated: client, role: .client)
        for round in 0..<5 {
            let message = bytes("message number \(round) with some repeated repeated repeated text")
            #expect(try clientCodec.decompress(serverCodec.compress(message), maxSize: 1000) == message)
            #expect(try serverCodec.decompress(clientCodec.compress(message), maxSize: 1000) == message)
        }
    }
}
