import ArgumentParser
import Switchyard

/// `switchyard`: the gateway and its operator tools.
@main
struct SwitchyardCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "switchyard",
        abstract: "A TLS API gateway: one /devices API in front of five device vendors.",
        version: SwitchyardVersion.text,
        subcommands: [Serve.self, Check.self, Demo.self, Simulate.self, Token.self, Errors.self, MigrationCommand.self]
    )
}

/// The one option every command that reads a configuration takes.
struct ConfigurationOption: ParsableArguments {
    @Option(name: .long, help: ArgumentHelp("The configuration file (YAML, see docs/CONFIGURATION.md).", valueName: "file"))
    var config: String
}

/// Loads and validates a configuration file; on failure prints every problem (with key and line)
/// and ends the command with status 1. What `serve`, `check`, `token` and `demo` all start with.
func loadConfiguration(_ path: String) throws -> GatewayConfiguration {
    do {
        return try GatewayConfiguration.load(path: path)
    } catch {
        printError("\(error)")
        throw ExitCode(1)
    }
}
