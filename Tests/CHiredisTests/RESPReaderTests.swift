import CHiredis
import Testing

/// hiredis's reader as Rally will use it: bytes fed in arbitrary pieces, whole replies out.
struct RESPReaderTests {
    /// Feeds `bytes` split at `split` and returns a description of every reply, or the error.
    func parse(_ bytes: [UInt8], split: Int) -> [String] {
        guard let reader = redisReaderCreate() else { return ["no reader"] }
        defer { redisReaderFree(reader) }
        var out: [String] = []
        for piece in [bytes[..<split], bytes[split...]] where !piece.isEmpty {
            let fed = piece.withUnsafeBufferPointer { buffer in
                buffer.baseAddress!.withMemoryRebound(to: CChar.self, capacity: buffer.count) {
                    redisReaderFeed(reader, $0, buffer.count)
                }
            }
            guard fed == REDIS_OK else { return out + ["feed error"] }
            while true {
                var reply: UnsafeMutableRawPointer?
                guard redisReaderGetReply(reader, &reply) == REDIS_OK else {
                    return out + ["error: " + String(cString: chiredis_reader_error(reader))]
                }
                guard let reply else { break }
                let typed = reply.assumingMemoryBound(to: redisReply.self)
                out.append(describe(typed.pointee))
                freeReplyObject(reply)
            }
        }
        return out
    }

    func describe(_ reply: redisReply) -> String {
        switch Int(reply.type) {
        case Int(CHIREDIS_STATUS): return "status " + String(cString: reply.str)
        case Int(CHIREDIS_ERROR): return "error " + String(cString: reply.str)
        case Int(CHIREDIS_INTEGER): return "int \(reply.integer)"
        case Int(CHIREDIS_NIL): return "nil"
        case Int(CHIREDIS_STRING):
            let bytes = UnsafeRawBufferPointer(start: reply.str, count: Int(reply.len))
            return "string " + String(decoding: bytes, as: UTF8.self)
        case Int(CHIREDIS_ARRAY):
            let items = (0..<Int(reply.elements)).map { describe(reply.element[$0]!.pointee) }
            return "[" + items.joined(separator: ", ") + "]"
        default: return "type \(reply.type)"
        }
    }

    @Test func repliesParseTheSameWhereverTheInputIsSplit() {
        let input = Array("+OK\r\n*3\r\n$7\r\nmessage\r\n$5\r\nroom1\r\n$-1\r\n:42\r\n-ERR wrong type\r\n".utf8)
        let expected = ["status OK", "[string message, string room1, nil]", "int 42", "error ERR wrong type"]
        for split in 0...input.count {
            #expect(parse(input, split: split) == expected, "split at \(split)")
        }
    }

    @Test func aBinaryBulkStringKeepsItsBytes() {
        let input: [UInt8] = Array("$3\r\n".utf8) + [0, 13, 10] + Array("\r\n".utf8)
        #expect(parse(input, split: 2) == ["string \u{0}\r\n"])
    }

    @Test func garbageIsAProtocolError() {
        let result = parse(Array("?what\r\n".utf8), split: 0)
        #expect(result.count == 1)
        #expect(result.first?.hasPrefix("error: Protocol error") == true)
    }
}
