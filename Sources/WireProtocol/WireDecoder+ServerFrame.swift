extension WireDecoder {
    /// Decodes one frame from the server (client side).
    ///
    /// A frame with a `push` member is a push; otherwise one with `ok` is a reply. Unknown
    /// members are ignored and unknown push or event kinds decode to `.unknown`, as the
    /// versioning rules require; anything else that breaks the shapes is a 1000 `malformed`
    /// error (a client treats it as a broken server and reconnects).
    public static func decodeServerFrame(
        _ bytes: UnsafeRawBufferPointer, limits: JSONLimits = .serverFrame
    ) -> Result<ServerFrame, ProtocolError> {
        do throws(ProtocolError) {
            let value: JSONValue
            do {
                value = try JSONParser.parse(bytes, limits: limits)
            } catch {
                throw .malformed(error.description)
            }
            let frame = try FrameReader(value, path: "")
            if frame.value("push") != nil {
                return .success(.push(try push(frame)))
            }
            if frame.value("ok") != nil {
                return .success(try reply(frame))
            }
            throw .malformed("a server frame has either push or ok")
        } catch {
            return .failure(error)
        }
    }

    /// Decodes a server frame held in a byte array (a convenience for tests and tools).
    public static func decodeServerFrame(_ bytes: [UInt8]) -> Result<ServerFrame, ProtocolError> {
        bytes.withUnsafeBytes { decodeServerFrame($0) }
    }

    private static func push(_ frame: FrameReader) throws(ProtocolError) -> Push {
        let kind = try frame.string("push")
        switch kind {
        case PushKind.event:
            return .event(try frame.event())
        case PushKind.roomJoined:
            return .roomJoined(try frame.object("room").roomState())
        case PushKind.roomLeft:
            return .roomLeft(room: try frame.string("room"))
        default:
            return .unknown(kind: kind)
        }
    }

    private static func reply(_ frame: FrameReader) throws(ProtocolError) -> ServerFrame {
        let id = try frame.nullableString("id")
        if try frame.bool("ok") {
            let result = frame.members.filter { $0.0 != "id" && $0.0 != "ok" }
            return .reply(id: id, .success(ReplyPayload(members: result)))
        }
        return .reply(id: id, .failure(try frame.object("error").protocolError()))
    }
}
