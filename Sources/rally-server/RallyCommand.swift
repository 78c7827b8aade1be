import ArgumentParser

/// `rally-server`: serve (the default), or mint a token.
struct RallyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "rally-server",
        abstract: "Rally: a real-time messaging server.",
        subcommands: [ServeCommand.self, TokenCommand.self],
        defaultSubcommand: ServeCommand.self)
}
