import Testing
@testable import WebSocket

@Suite struct ConnectionTests {
    /// Runs the same input through a fresh connection for every chunking and checks the
    /// actions are identical each time.
    private func expectActions(
        _ input: [UInt8], _ expected: [WebSocketAction],
        configuration: WebSocketConfiguration = WebSocketConfiguration(),
        sourceLocation: SourceLocation = #_sourceLocation
    ) {
        for chunks in chunkings(of: input, exhaustiveLimit: 600) {
            var connection = WebSocketConnection(configuration: configuration)
            #expect(run(&connection, chunks) == expected, sourceLocation: sourceLocation)
        }
    }

    @Test func textMessage() {
        expectActions(clientFrame(.text, bytes("Hello, κόσμε 😀")), [.message(.text, bytes("Hello, κόσμε 😀"))])
    }

    @Test func binaryMessage() {
        let payload: [UInt8] = [0, 0xFF, 0xC0, 0x80, 1]  // not UTF-8, fine for binary
        expectActions(clientFrame(.binary, payload), [.message(.binary, payload)])
    }

    @Test func emptyMessages() {
        expectActions(clientFrame(.text, []) + clientFrame(.binary, []), [.message(.text, []), .message(.binary, [])])
    }

    @Test func fragmentedWithInterleavedControlFrames() {
        let input = clientFrame(.text, bytes("Hel"), fin: false) + clientFrame(.ping, bytes("p1"))
            + clientFrame(.continuation, bytes("lo κό"), fin: false) + clientFrame(.pong, bytes("x"))
            + clientFrame(.continuation, bytes("σμε"))
        expectActions(input, [.sendFrame(.pong, bytes("p1")), .message(.text, bytes("Hello κόσμε"))])
    }

    @Test func fragmentSplitInsideMultibyteCharacter() {
        let text = bytes("€uro")
        let input = clientFrame(.text, Array(text[..<1]), fin: false) + clientFrame(.continuation, Array(text[1...]))
        expectActions(input, [.message(.text, text)])
    }

    @Test func pingIsAnsweredWithSamePayload() {
        expectActions(clientFrame(.ping, [1, 2, 3]) + clientFrame(.ping, []),
                      [.sendFrame(.pong, [1, 2, 3]), .sendFrame(.pong, [])])
    }

    @Test func continuationWithoutStart() {
        expectActions(clientFrame(.continuation, bytes("x")), failure(.unexpectedContinuation))
    }

    @Test func newMessageWhileFragmentsOpen() {
        let input = clientFrame(.text, bytes("a"), fin: false) + clientFrame(.binary, bytes("b"))
        expectActions(input, failure(.expectedContinuation))
    }

    @Test func unmaskedFrameFails() {
        expectActions(FrameEncoder.encode(opcode: .text, payload: bytes("x")), failure(.unmaskedFrame))
        #expect(WebSocketError.unmaskedFrame.closeCode == 1002)
    }

    @Test func invalidUTF8InSecondFragmentFailsBeforeTheFinalFragment() {
        var connection = WebSocketConnection()
        var actions = run(&connection, [clientFrame(.text, bytes("κόσμε"), fin: false)])
        #expect(actions.isEmpty)
        actions = run(&connection, [clientFrame(.continuation, [0xCE, 0xBA, 0xED, 0xA0, 0x80, 0x61], fin: false)])
        #expect(actions == failure(.invalidUTF8))
        #expect(WebSocketError.invalidUTF8.closeCode == 1007)
        // The final fragment arriving afterwards changes nothing.
        #expect(run(&connection, [clientFrame(.continuation, bytes("end"))]).isEmpty)
    }

    @Test func invalidUTF8FailsInsideAFrameStillArriving() {
        // Autobahn 6.4.3: one frame sent in chops; the chop with the bad byte must fail.
        let frame = clientFrame(.text, bytes("κόσμε") + [0xED, 0xA0, 0x80] + bytes("edited"))
        let badByteEnd = 6 + bytes("κόσμε").count + 2  // header + prefix + ED A0
        var connection = WebSocketConnection()
        #expect(run(&connection, [Array(frame[..<(badByteEnd - 1)])]).isEmpty)
        #expect(run(&connection, [Array(frame[(badByteEnd - 1)..<badByteEnd])]) == failure(.invalidUTF8))
    }

    @Test func incompleteTextAtMessageEnd() {
        expectActions(clientFrame(.text, [0x61, 0xE2, 0x82]), failure(.invalidUTF8))
    }

    @Test func messageTooBigSingleFrame() {
        let configuration = WebSocketConfiguration(maxMessageSize: 10, maxFramePayload: 100)
        expectActions(clientFrame(.binary, [UInt8](repeating: 1, count: 10)), [.message(.binary, [UInt8](repeating: 1, count: 10))],
                      configuration: configuration)
        expectActions(clientFrame(.binary, [UInt8](repeating: 1, count: 11)), failure(.messageTooBig), configuration: configuration)
        #expect(WebSocketError.messageTooBig.closeCode == 1009)
    }

    @Test func messageTooBigCountedAcrossFragmentsAtTheHeader() {
        let configuration = WebSocketConfiguration(maxMessageSize: 10, maxFramePayload: 100)
        var connection = WebSocketConnection(configuration: configuration)
        #expect(run(&connection, [clientFrame(.binary, [UInt8](repeating: 1, count: 6), fin: false)]).isEmpty)
        // Only the header of the second fragment: its declared length already breaks the limit.
        let second = clientFrame(.continuation, [UInt8](repeating: 1, count: 5))
        #expect(run(&connection, [Array(second[..<2])]) == failure(.messageTooBig))
    }

    @Test func frameTooBig() {
        let configuration = WebSocketConfiguration(maxMessageSize: 1000, maxFramePayload: 10)
        expectActions(clientFrame(.binary, [UInt8](repeating: 1, count: 11)), failure(.frameTooBig), configuration: configuration)
    }

    @Test func validMessageThenGarbageInOneRead() {
        var connection = WebSocketConnection()
        let input = clientFrame(.text, bytes("ok")) + [0x8F, 0x80, 0, 0, 0, 0]
        #expect(run(&connection, [input]) == [.message(.text, bytes("ok"))] + failure(.reservedOpcode(15)))
    }

    @Test func everythingAfterCloseIsIgnored() {
        var connection = WebSocketConnection()
        let input = clientFrame(.close, [0x03, 0xE8]) + clientFrame(.text, bytes("late")) + [0xFF, 0xFF]
        #expect(run(&connection, [input]) == [.sendClose(code: 1000, reason: ""), .closeTransport])
        #expect(connection.state == .closed)
        #expect(run(&connection, [clientFrame(.ping, [])]).isEmpty)
        #expect(!connection.holdsHeapStorage)
    }

    @Test func afterFailureInputIsIgnored() {
        var connection = WebSocketConnection()
        #expect(run(&connection, [[0x83]]) == failure(.reservedOpcode(3)))
        #expect(run(&connection, [clientFrame(.text, bytes("x"))]).isEmpty)
    }

    @Test func idleConnectionHoldsNoHeapStorage() {
        var connection = WebSocketConnection()
        #expect(!connection.holdsHeapStorage)
        let frame = clientFrame(.text, bytes("Hello"))
        _ = run(&connection, [Array(frame[..<4])])
        #expect(connection.holdsHeapStorage)
        _ = run(&connection, [Array(frame[4...])])
        #expect(!connection.holdsHeapStorage)
        _ = run(&connection, [clientFrame(.binary, [1, 2], fin: false)])
        #expect(connection.holdsHeapStorage)
        #expect(run(&connection, [clientFrame(.continuation, [3])]) == [.message(.binary, [1, 2, 3])])
        #expect(!connection.holdsHeapStorage)
    }

    @Test func serverInitiatedClose() {
        var connection = WebSocketConnection()
        #expect(connection.initiateClose(code: CloseCode.goingAway, reason: "shutting down")
                == [.sendClose(code: 1001, reason: "shutting down")])
        #expect(connection.state == .closeSent)
        #expect(connection.initiateClose(code: 1000, reason: "again").isEmpty)
        // Data, pings and a fragment start are ignored while waiting for the peer's close.
        let ignored = clientFrame(.text, bytes("late")) + clientFrame(.ping, [1]) + clientFrame(.binary, [1], fin: false)
        #expect(run(&connection, [ignored]).isEmpty)
        #expect(run(&connection, [clientFrame(.close, [0x03, 0xE8])]) == [.closeTransport])
        #expect(connection.state == .closed)
    }

    @Test func protocolErrorAfterServerCloseOnlyClosesTransport() {
        var connection = WebSocketConnection()
        _ = connection.initiateClose(code: 1001, reason: "")
        #expect(run(&connection, [[0x83, 0x80, 0, 0, 0, 0]]) == [.closeTransport])
    }

    @Test func initiatedCloseReasonIsTruncated() {
        var connection = WebSocketConnection()
        let actions = connection.initiateClose(code: 1008, reason: String(repeating: "ü", count: 100))
        guard case .sendClose(let code, let reason)? = actions.first else {
            Issue.record("no close action")
            return
        }
        #expect(code == 1008)
        #expect(reason.utf8.count <= 123)
        #expect(reason.utf8.count == 122)  // 61 two-byte characters
    }
}
