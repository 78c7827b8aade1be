extension HTTPRequestParser {
    /// The outcome of one body-parsing step.
    enum Step {
        case emit(HTTPRequestEvent)
        case needMoreBytes
        /// The state changed without an event; run the machine again.
        case continueParsing
    }

    /// One step in a body state. Body bytes are handed out as soon as they arrive, so a large
    /// body never accumulates in the parser.
    mutating func advanceBody() throws(HTTPParseError) -> Step {
        switch state {
        case .fixedBody(let remaining):
            guard !input.isEmpty else { return .needMoreBytes }
            let bytes = input.read(min(remaining, input.count))
            state = bytes.count == remaining
                ? .endOfMessage
                : .fixedBody(remaining: remaining - bytes.count)
            return .emit(.body(bytes))
        case .chunkSize(let received):
            return try readChunkSize(received: received)
        case .chunkData(let remaining, let received):
            guard !input.isEmpty else { return .needMoreBytes }
            let bytes = input.read(min(remaining, input.count))
            state = bytes.count == remaining
                ? .chunkDataEnd(received: received)
                : .chunkData(remaining: remaining - bytes.count, received: received)
            return .emit(.body(bytes))
        case .chunkDataEnd(let received):
            // Wait for both bytes so the verdict does not depend on how they arrive.
            guard input.count >= 2 else { return .needMoreBytes }
            guard input[0] == ASCII.cr, input[1] == ASCII.lf else {
                throw .badRequest("chunk data not followed by CRLF")
            }
            input.consume(2)
            state = .chunkSize(received: received)
            return .continueParsing
        case .trailerLines:
            return try readTrailerLine()
        case .requestLine, .headerLines, .endOfMessage:
            // Not body states; `advance` handles them and never calls this.
            return .continueParsing
        }
    }

    /// Reads a chunk-size line. The body limit applies to the running total of chunk data and is
    /// checked as soon as a size is announced, before any of that chunk is read.
    private mutating func readChunkSize(received: Int) throws(HTTPParseError) -> Step {
        switch input.nextLine() {
        case .incomplete(let contentSoFar, _):
            if contentSoFar > ChunkSizeLine.maxBytes { throw Self.chunkLineTooLong }
            return .needMoreBytes
        case .complete(let content, let terminatedByCRLF, let length):
            if content.count > ChunkSizeLine.maxBytes { throw Self.chunkLineTooLong }
            if !terminatedByCRLF { throw Self.bareLineFeed }
            let size = try input.withBytes(content, ChunkSizeLine.parse)
            guard size <= limits.maxBodyBytes - received else { throw .payloadTooLarge }
            input.consume(length)
            state = size == 0
                ? .trailerLines
                : .chunkData(remaining: size, received: received + size)
            return .continueParsing
        }
    }

    /// Reads one trailer line. Trailers are validated like header fields, counted against the
    /// same header limits as the request's headers (the limits cover the whole request), and
    /// then dropped: nothing in Rally reads them.
    private mutating func readTrailerLine() throws(HTTPParseError) -> Step {
        guard let line = try nextFieldLine() else { return .needMoreBytes }
        if line.content.isEmpty {
            input.consume(line.length)
            state = .endOfMessage
            return .continueParsing
        }
        try input.withBytes(line.content, HeaderLine.validate)
        input.consume(line.length)
        fieldCount += 1
        fieldBytes += line.content.count
        return .continueParsing
    }

    static let chunkLineTooLong = HTTPParseError.badRequest("chunk size line too long")
}
