import Testing
@testable import WireProtocol

/// ErrorCode and RallyCloseCode agree with protocol/codes.json, the list the spec links to.
@Test func errorCodesMatchTheCodesFile() throws {
    let codes = try loadProtocolFile("codes.json")
    let listed = try #require(codes["errors"]?.arrayValue)
    let fromFile = listed.compactMap { entry -> ErrorCode? in
        guard let code = entry["code"]?.int64Value, let reason = entry["reason"]?.stringValue else { return nil }
        return ErrorCode(Int(code), reason: reason)
    }
    #expect(fromFile.count == listed.count)
    #expect(fromFile.map(\.value) == ErrorCode.all.map(\.value))
    #expect(fromFile.map(\.reason) == ErrorCode.all.map(\.reason))
    for entry in listed {
        let code = try #require(entry["code"]?.int64Value.flatMap { ErrorCode.known(Int($0)) })
        let category: String
        switch code.category {
        case .invalidRequest: category = "invalid_request"
        case .refused: category = "refused"
        case .transient: category = "transient"
        case .connection: category = "connection"
        case .unknown: category = "unknown"
        }
        #expect(entry["category"]?.stringValue == category)
        #expect(code.retryable == (category == "transient"))
    }
}

@Test func closeCodesMatchTheCodesFile() throws {
    let codes = try loadProtocolFile("codes.json")
    let listed = try #require(codes["closes"]?.arrayValue)
    #expect(listed.compactMap { $0["code"]?.int64Value }.map { UInt16($0) } == RallyCloseCode.all)
    for entry in listed {
        let code = UInt16(try #require(entry["code"]?.int64Value))
        #expect(RallyCloseCode.reason(code) == entry["reason"]?.stringValue)
        #expect(RallyCloseCode.shouldReconnect(code) == entry["reconnect"]?.boolValue)
        #expect((RallyCloseCode.reason(code)?.utf8.count ?? 0) <= 123)
    }
    #expect(RallyCloseCode.shouldReconnect(1001))
    #expect(!RallyCloseCode.shouldReconnect(1009))
    #expect(RallyCloseCode.reason(1000) == nil)
}

@Test func connectionErrorsShareTheirCloseCode() {
    for code in ErrorCode.all where code.category == .connection {
        #expect(RallyCloseCode.reason(UInt16(code.value)) == code.reason)
    }
    #expect(Set(ErrorCode.all.map(\.reason)).count == ErrorCode.all.count)
    #expect(ErrorCode(1002, reason: "whatever") == .invalidArgument)
}
