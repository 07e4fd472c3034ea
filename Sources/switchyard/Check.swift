import ArgumentParser
import Switchyard
import SwitchyardIO

/// `switchyard check --config FILE`: validates without serving; exit 0 or 1 with every problem.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration file without serving.",
        discussion: "Reports every problem at once, each with its key and line, and loads the TLS certificate and key to prove they match. Exits 0 when the file is valid, 1 otherwise."
    )

    @OptionGroup var options: ConfigurationOption

    func run() throws {
        let configuration = try loadConfiguration(options.config)
        do {
            _ = try TLSContext.server(
                certificateChain: configuration.tls.certificatePath, privateKey: configuration.tls.privateKeyPath
            )
        } catch {
            printError("\(options.config): tls: \(error)")
            throw ExitCode(1)
        }
        do {
            _ = try Authenticator(settings: configuration.auth, tenantNames: Set(configuration.tenants.keys))
        } catch {
            printError("\(options.config): auth: \(error)")
            throw ExitCode(1)
        }
        for warning in configuration.warnings { printError("\(options.config): warning: \(warning)") }
        print("\(options.config): OK (\(configuration.tenants.count) tenants)")
    }
}
