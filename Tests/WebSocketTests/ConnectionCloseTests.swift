import Testing
@testable import WebSocket

private func closeFrame(code: UInt16, reason: [UInt8] = []) -> [UInt8] {
    clientFrame(.close, [UInt8(code >> 8), UInt8(code & 0xFF)] + reason)
}

@Suite struct ConnectionCloseTests {
    @Test func emptyCloseIsAnsweredWithEmptyClose() {
        var connection = WebSocketConnection()
        let actions = run(&connection, [clientFrame(.close, [])])
        #expect(actions == [.sendClose(code: nil, reason: ""), .closeTransport])
        #expect(actions.first?.encodedFrame() == [0x88, 0x00])
    }

    @Test func oneByteCloseIsProtocolError() {
        var connection = WebSocketConnection()
        #expect(run(&connection, [clientFrame(.close, [0x03])]) == failure(.invalidClosePayload))
        #expect(WebSocketError.invalidClosePayload.closeCode == 1002)
    }

    @Test(arguments: [0, 999, 1004, 1005, 1006, 1015, 1016, 1100, 2000, 2999, 5000, 65535] as [UInt16])
    func invalidCodeIsProtocolError(code: UInt16) {
        var connection = WebSocketConnection()
        #expect(run(&connection, [closeFrame(code: code)]) == failure(.invalidCloseCode(code)))
        #expect(WebSocketError.invalidCloseCode(code).closeCode == 1002)
    }

    @Test(arguments: [1000, 1001, 1002, 1003, 1007, 1008, 1009, 1010, 1011, 1012, 1013, 1014, 3000, 3999, 4000, 4999] as [UInt16])
    func validCodeIsEchoed(code: UInt16) {
        var connection = WebSocketConnection()
        #expect(run(&connection, [closeFrame(code: code, reason: bytes("bye ✓"))])
                == [.sendClose(code: code, reason: ""), .closeTransport])
        #expect(connection.state == .closed)
    }

    @Test func invalidUTF8ReasonIsInvalidPayload() {
        var connection = WebSocketConnection()
        let reason = bytes("κόσμε") + [0xED, 0xA0, 0x80] + bytes("edited")
        #expect(run(&connection, [closeFrame(code: 1000, reason: reason)]) == failure(.invalidUTF8))
        var truncated = WebSocketConnection()
        #expect(run(&truncated, [closeFrame(code: 1000, reason: [0xE2, 0x82])]) == failure(.invalidUTF8))
    }

    @Test func oversizedCloseIsProtocolError() {
        var connection = WebSocketConnection()
        let frame = closeFrame(code: 1000, reason: [UInt8](repeating: 0x61, count: 124))
        #expect(run(&connection, [frame]) == failure(.controlFrameTooLarge))
    }

    @Test func closeBetweenFragmentsStillCloses() {
        var connection = WebSocketConnection()
        let input = clientFrame(.text, bytes("half"), fin: false) + closeFrame(code: 1000)
        #expect(run(&connection, [input]) == [.sendClose(code: 1000, reason: ""), .closeTransport])
        #expect(!connection.holdsHeapStorage)
    }

    @Test func validityTable() {
        let valid: [ClosedRange<UInt16>] = [1000...1003, 1007...1014, 3000...4999]
        for code in UInt16(0)...UInt16.max {
            let expected = valid.contains { $0.contains(code) }
            if CloseCode.isValidReceived(code) != expected {
                Issue.record("code \(code)")
            }
        }
    }
}
