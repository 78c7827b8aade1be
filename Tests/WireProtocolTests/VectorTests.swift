import Testing
@testable import WireProtocol

/// What replaying the vectors met, for the coverage test.
struct VectorCoverage {
    var commands = Set<CommandName>()
    var pushKinds = Set<String>()
    var eventKinds = Set<String>()
    var errorCodes = Set<Int>()
}

/// Replays one vector file through the module:
/// - a client frame decodes to a CommandEnvelope that re-encodes to an equal JSON value, or, if
///   marked invalid, fails with the id, code and field of the error reply that follows it;
/// - a server frame decodes with `decodeServerFrame` and re-encodes with the encoders to an equal
///   JSON value (for forward-compatible frames: to the part a v1 client knows);
/// - a close frame carries the reason Rally defines for its code.
@discardableResult
func replayVector(_ name: String) throws -> VectorCoverage {
    let vector = try loadProtocolFile("vectors/\(name).json")
    #expect(vector["name"]?.stringValue == name)
    let frames = try #require(vector["frames"]?.arrayValue)
    var coverage = VectorCoverage()
    var commandsByID: [String: CommandName] = [:]
    for (index, frame) in frames.enumerated() {
        let label = "\(name) frame \(index)"
        if let close = frame["close"] {
            let code = try #require(close["code"]?.int64Value, "\(label)")
            #expect(RallyCloseCode.reason(UInt16(code)) == close["reason"]?.stringValue, "\(label)")
            continue
        }
        let input: [UInt8]
        if let raw = frame["raw"]?.stringValue {
            input = bytes(raw)
        } else {
            var writer = JSONWriter()
            writer.value(try #require(frame["json"], "\(label)"))
            input = writer.bytes
        }
        if frame["from"]?.stringValue == "client" {
            let next = index + 1 < frames.count ? frames[index + 1]["json"] : nil
            try replayClientFrame(input, frame: frame, nextFrame: next, label: label, commandsByID: &commandsByID, coverage: &coverage)
        } else {
            try replayServerFrame(input, frame: frame, label: label, commandsByID: commandsByID, coverage: &coverage)
        }
    }
    return coverage
}

private func replayClientFrame(
    _ input: [UInt8], frame: JSONValue, nextFrame: JSONValue?, label: String,
    commandsByID: inout [String: CommandName], coverage: inout VectorCoverage
) throws {
    let result = WireDecoder.decodeCommand(input)
    if frame["invalid"]?.boolValue == true {
        guard case .failure(let failure) = result else {
            Issue.record("\(label): an invalid frame decoded")
            return
        }
        let reply = try #require(nextFrame, "\(label): no error reply follows")
        #expect(reply["ok"] == .bool(false), "\(label)")
        #expect(reply["id"] == (failure.id.map { JSONValue.string($0) } ?? .null), "\(label)")
        #expect(reply["error"]?["code"] == .int(Int64(failure.error.code.value)), "\(label): \(failure.error.message)")
        #expect(reply["error"]?["field"]?.stringValue == failure.error.field, "\(label): \(failure.error.message)")
        return
    }
    let envelope: CommandEnvelope
    switch result {
    case .success(let decoded): envelope = decoded
    case .failure(let failure):
        Issue.record("\(label): \(failure.error.code) \(failure.error.message) field \(failure.error.field ?? "-")")
        return
    }
    commandsByID[envelope.id] = envelope.command.name
    coverage.commands.insert(envelope.command.name)
    #expect(reparse(WireEncoder.command(envelope)) == frame["json"], "\(label)")
}

private func replayServerFrame(
    _ input: [UInt8], frame: JSONValue, label: String,
    commandsByID: [String: CommandName], coverage: inout VectorCoverage
) throws {
    let original = try #require(frame["json"], "\(label)")
    let forwardCompatible = frame["forwardCompatible"]?.boolValue == true
    let decoded: ServerFrame
    switch WireDecoder.decodeServerFrame(input) {
    case .success(let frame): decoded = frame
    case .failure(let error):
        Issue.record("\(label): \(error.message)")
        return
    }
    let reencoded: [UInt8]
    switch decoded {
    case .push(let push):
        coverage.pushKinds.insert(push.kind)
        if case .event(let event) = push { coverage.eventKinds.insert(event.kind) }
        reencoded = WireEncoder.push(push)
    case .reply(let id, .success(let payload)):
        let replyID = try #require(id, "\(label): a success reply has an id")
        let command = try #require(commandsByID[replyID], "\(label): reply to an unknown command")
        let result = try payload.result(for: command)
        if case .history(let page) = result { coverage.eventKinds.formUnion(page.events.map(\.kind)) }
        reencoded = WireEncoder.reply(id: replyID, result: result)
    case .reply(let id, .failure(let error)):
        coverage.errorCodes.insert(error.code.value)
        reencoded = WireEncoder.errorReply(id: id, error)
    }
    guard let value = reparse(reencoded) else { return }
    if forwardCompatible {
        #expect(isKnownPart(value, of: original), "\(label): \(String(decoding: reencoded, as: UTF8.self))")
    } else {
        #expect(value == original, "\(label): \(String(decoding: reencoded, as: UTF8.self))")
    }
}

/// Whether `part` is `whole` with some object members left out (at any depth).
func isKnownPart(_ part: JSONValue, of whole: JSONValue) -> Bool {
    switch (part, whole) {
    case let (.object(members), .object):
        return members.allSatisfy { key, value in whole[key].map { isKnownPart(value, of: $0) } ?? false }
    case let (.array(elements), .array(others)):
        return elements.count == others.count && zip(elements, others).allSatisfy { isKnownPart($0, of: $1) }
    default:
        return part == whole
    }
}

@Test("every vector replays through the decoders and encoders", arguments: vectorNames())
func vectorReplays(_ name: String) throws {
    try replayVector(name)
}

@Test func vectorsCoverTheProtocol() throws {
    let names = vectorNames()
    #expect(names.count >= 20, "protocol/vectors not found or nearly empty")
    var all = VectorCoverage()
    for name in names {
        let coverage = try replayVector(name)
        all.commands.formUnion(coverage.commands)
        all.pushKinds.formUnion(coverage.pushKinds)
        all.eventKinds.formUnion(coverage.eventKinds)
        all.errorCodes.formUnion(coverage.errorCodes)
    }
    #expect(all.commands == Set(CommandName.allCases))
    #expect(all.pushKinds.isSuperset(of: PushKind.all))
    #expect(all.eventKinds.isSuperset(of: EventKind.all))
    #expect(all.errorCodes == Set(ErrorCode.all.map(\.value)))
}
