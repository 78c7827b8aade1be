/// Decoders of Rally frames: commands (server side) and server frames (client side).
public enum WireDecoder {
    /// Decodes and validates one command frame.
    ///
    /// Checks, in this order, each failure with its code and `field`:
    /// 1. the bytes are one JSON object within `jsonLimits` (else 1000, id nil);
    /// 2. `id` is 1–64 printable ASCII characters (else 1000, field `id`, id nil);
    /// 3. `cmd` is a string (else 1000, field `cmd`) naming a v1 command (else 1001);
    /// 4. no argument the command does not define (else 1002 naming it);
    /// 5. each argument in the spec's order: present when required, of its type and syntax
    ///    (1002), text within `textLimits` (1003) and neither empty, blank nor holding U+0000
    ///    (1004), `limit` within 1...`historyMax` (1005).
    ///
    /// Every failure after step 2 keeps the id so the error reply can echo it.
    public static func decodeCommand(
        _ bytes: UnsafeRawBufferPointer,
        textLimits: TextLimits = .default,
        historyMax: Int = Limits.default.historyMax,
        jsonLimits: JSONLimits = .default
    ) -> Result<CommandEnvelope, CommandDecodeError> {
        let value: JSONValue
        do {
            value = try JSONParser.parse(bytes, limits: jsonLimits)
        } catch {
            return .failure(CommandDecodeError(id: nil, error: .malformed(error.description)))
        }
        guard case .object(let members) = value else {
            return .failure(CommandDecodeError(id: nil, error: .malformed("a command must be a JSON object")))
        }
        let reader = ArgumentReader(members: members)
        guard case .string(let id)? = reader.value("id"), Identifier.isClientToken(id) else {
            let problem = reader.value("id") == nil ? "id is required" : "id must be 1-64 printable ASCII characters"
            return .failure(CommandDecodeError(id: nil, error: .malformed(problem, field: "id")))
        }
        guard let cmdValue = reader.value("cmd") else {
            return .failure(CommandDecodeError(id: id, error: .malformed("cmd is required", field: "cmd")))
        }
        guard case .string(let cmd) = cmdValue else {
            return .failure(CommandDecodeError(id: id, error: .malformed("cmd must be a string", field: "cmd")))
        }
        guard let name = CommandName(rawValue: cmd) else {
            let shown = String(String.UnicodeScalarView(cmd.unicodeScalars.prefix(64)))
            return .failure(CommandDecodeError(
                id: id, error: ProtocolError(.unknownCommand, "unknown command \"\(shown)\"", field: "cmd")))
        }
        do {
            try reader.refuseUnknown(allowed: ["id", "cmd"] + name.argumentNames)
            let rules = CommandRules(text: textLimits, historyMax: historyMax)
            let command = try rules.arguments(of: name, reader)
            return .success(CommandEnvelope(id: id, command: command))
        } catch {
            return .failure(CommandDecodeError(id: id, error: error))
        }
    }

    /// Decodes a command held in a byte array (a convenience for tests and tools).
    public static func decodeCommand(
        _ bytes: [UInt8], textLimits: TextLimits = .default, historyMax: Int = Limits.default.historyMax
    ) -> Result<CommandEnvelope, CommandDecodeError> {
        bytes.withUnsafeBytes { decodeCommand($0, textLimits: textLimits, historyMax: historyMax) }
    }
}
