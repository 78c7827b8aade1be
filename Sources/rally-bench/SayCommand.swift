import ArgumentParser
import Foundation
import Reactor
import RallyClient
import WireProtocol

/// `rally-bench say`: one message from one RallyClient, acknowledged, then exit (tests drive a
/// browser against it).
struct SayCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "say", abstract: "Send one message with a RallyClient and wait for its ack.")

    @Option(help: "Server port (ws://127.0.0.1:PORT/ws).") var port: Int
    @Option(help: "A token for the user.") var token: String
    @Option(help: "The room.") var room: String
    @Option(help: "The text.") var text: String

    func run() throws {
        let loop = try EventLoop(index: 0)
        var options = RallyClient.Options(port: port, token: { [token] in token })
        options.reconnect = false
        let client = RallyClient(loop: loop, options: options)
        var outcome: Result<ReplyPayload, ProtocolError>?
        client.onStatus = { status in
            switch status {
            case .connected:
                let cmid = UUID().uuidString
                client.command(.send(SendCommand(room: room, text: text, cmid: cmid, replyTo: nil))) { result in
                    outcome = result
                    client.stop()
                    loop.stop()
                }
            case .closed(let code, let reason, _):
                if outcome == nil { outcome = .failure(ProtocolError(.unavailable, "closed \(code.map(String.init) ?? "-") \(reason)")) }
                loop.stop()
            case .connecting:
                break
            }
        }
        try loop.execute { client.start() }
        loop.schedule(after: 10_000_000_000) { loop.stop() }
        loop.run()
        switch outcome {
        case .success(let reply)?:
            print((try? reply.appended().id) ?? "sent")
        case .failure(let error)?:
            throw BenchError("send failed: \(error.code.reason): \(error.message)")
        case nil:
            throw BenchError("no answer within 10 s")
        }
    }
}
