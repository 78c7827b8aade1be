import Foundation
import Testing
@testable import WireProtocol

func bytes(_ text: String) -> [UInt8] { Array(text.utf8) }

/// Parses JSON text with the module's parser (default limits unless given).
func parse(_ text: String, limits: JSONLimits = .default) throws(JSONError) -> JSONValue {
    try JSONParser.parse(bytes(text), limits: limits)
}

/// The error parsing `text` throws, or nil when it parses.
func parseError(_ text: String, limits: JSONLimits = .default) -> JSONError.Kind? {
    parseError(bytes(text), limits: limits)
}

func parseError(_ input: [UInt8], limits: JSONLimits = .default) -> JSONError.Kind? {
    do {
        _ = try JSONParser.parse(input, limits: limits)
        return nil
    } catch {
        return error.kind
    }
}

/// Decodes a command frame given as text.
func decode(_ text: String, textLimits: TextLimits = .default) -> Result<CommandEnvelope, CommandDecodeError> {
    WireDecoder.decodeCommand(bytes(text), textLimits: textLimits)
}

/// Writes a value with `JSONWriter` and returns the text.
func written(_ value: JSONValue) -> String {
    var writer = JSONWriter()
    writer.value(value)
    return String(decoding: writer.bytes, as: UTF8.self)
}

/// Parses encoder output back, failing the test (not crashing) on invalid JSON.
func reparse(_ output: [UInt8], sourceLocation: SourceLocation = #_sourceLocation) -> JSONValue? {
    do {
        return try JSONParser.parse(output, limits: .serverFrame)
    } catch {
        Issue.record("encoder wrote invalid JSON (\(error)): \(String(decoding: output, as: UTF8.self))",
                     sourceLocation: sourceLocation)
        return nil
    }
}

/// Generous limits for reading the protocol's own files.
let fileLimits = JSONLimits(
    maxBytes: 16 << 20, maxDepth: 64, maxStringBytes: 1 << 20, maxArrayCount: 100_000, maxObjectCount: 10_000)

/// The repository's protocol/ folder: the first ancestor of this file that has one (symbolic
/// links resolved, so a package that links to the test folder still finds the repository's).
func protocolDirectory(filePath: String = #filePath) -> URL? {
    var directory = URL(fileURLWithPath: filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    while directory.path != "/" {
        let candidate = directory.appendingPathComponent("protocol")
        if FileManager.default.fileExists(atPath: candidate.appendingPathComponent("vectors").path) {
            return candidate
        }
        directory = directory.deletingLastPathComponent()
    }
    return nil
}

/// Reads and parses a JSON file of protocol/.
func loadProtocolFile(_ relativePath: String) throws -> JSONValue {
    guard let root = protocolDirectory() else { throw ProtocolFileError.noProtocolDirectory }
    let data = try Data(contentsOf: root.appendingPathComponent(relativePath))
    return try JSONParser.parse(Array(data), limits: fileLimits)
}

enum ProtocolFileError: Error {
    case noProtocolDirectory
}

/// The vector files' names (without .json), sorted.
func vectorNames() -> [String] {
    guard let root = protocolDirectory(),
          let names = try? FileManager.default.contentsOfDirectory(atPath: root.appendingPathComponent("vectors").path)
    else { return [] }
    return names.filter { $0.hasSuffix(".json") }.map { String($0.dropLast(5)) }.sorted()
}

/// A sample event for encoder tests.
func sampleEvent(text: String = "Running 5 min late, start without me 🥾") -> Event {
    Event(room: "grp:hikers", epoch: "k3v9q1", id: "1764147600000-0", prev: "1764144000000-0", seq: 12,
          at: 1_764_147_600_000, body: .message(author: "alice", text: text, cmid: "a-7", replyTo: nil))
}
