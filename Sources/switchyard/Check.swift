import ArgumentParser
import Switchyard
import SwitchyardIO

/// `switchyard check --config FILE`: validates without serving; exit 0 or 1 with every problem.
struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate a configuration file without serving.",
        discussion: "Reports every problem at once, each with its key and line, loads the TLS certificate and key to prove they match, and resolves each upstream host name (one that does not resolve is a warning: the network here may not be the one the gateway runs in). Exits 0 when the file is valid, 1 otherwise."
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
        // The network at check time is not the one at run time (a CI runner, a laptop): a name
        // that doesn't resolve here is worth a warning, not a failure (API.md §4).
        for (name, tenant) in configuration.tenants.sorted(by: { $0.key < $1.key }) {
            do {
                if let failure = try tenant.upstreamTarget().refreshAddresses() {
                    printError("\(options.config): warning: tenants.\(name).upstream: \(failure)")
                }
            } catch {
                printError("\(options.config): tenants.\(name).upstream: \(error)")
                throw ExitCode(1)
            }
        }
        print("\(options.config): OK (\(configuration.tenants.count) tenants)")
    }
}
