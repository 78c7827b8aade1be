import ArgumentParser

/// `rally-bench`: load for a running Rally server, from this process's own RallyClients.
struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rally-bench",
        abstract: "Measure a running Rally server (embedded or not) with many RallyClients.",
        subcommands: [AnnounceBench.self, ChatBench.self, IdleBench.self, SayCommand.self])
}

/// Options every benchmark shares: where the server is and how to sign in.
struct Target: ParsableArguments {
    @Option(help: "Server port (ws://127.0.0.1:PORT/ws).")
    var port: Int

    @Option(name: .customLong("api-port"), help: "Port of the HTTP API (default: --port).")
    var apiPort: Int?

    @Option(name: .customLong("api-key"), help: "An API key of the server.")
    var apiKey: String

    @Option(help: "The server's HS256 secret (its --jwt-key hs256:secret=...), to mint tokens.")
    var secret: String

    @Option(help: "A prefix for the rooms and users this run creates.")
    var prefix: String = "bench"
}
