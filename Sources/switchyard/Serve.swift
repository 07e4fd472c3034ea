import ArgumentParser
import Logging
import Switchyard
import SwitchyardVendors
import SwitchyardIO

/// `switchyard serve --config FILE`: runs the gateway until SIGTERM or SIGINT.
struct Serve: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway with a configuration file.",
        discussion: "Stops on SIGTERM: /readyz answers 503 while the listeners still accept for limits.drainDelaySeconds, then stops accepting, finishes requests in flight within limits.shutdownGraceSeconds and exits 0. SIGINT (Ctrl-C) skips the drain delay."
    )

    @OptionGroup var options: ConfigurationOption

    func run() throws {
        let runtime = try Startup.runtime(configPath: options.config)
        runtime.start()
        runtime.runUntilSignalled()
    }
}

/// Building a runtime from a file, shared by `serve` and `demo`: any failure is printed as the
/// operator should read it and ends the process with status 1.
enum Startup {
    static func runtime(configPath: String) throws -> GatewayRuntime {
        // Signals are blocked before any loop thread exists, so every thread inherits the mask
        // and only the main thread's sigwait receives them.
        Signals.blockTermination()
        let configuration = try loadConfiguration(configPath)
        configuration.logFormat.bootstrap()
        let logger = Logger(label: "switchyard")
        for warning in configuration.warnings { logger.warning("\(configPath): \(warning)") }
        do {
            return try GatewayRuntime(
                settings: RuntimeSettings(configuration: configuration), configuration: configuration,
                adapter: VendorAdapters.adapter(for:),
                configurationPath: configPath,
                logger: logger
            )
        } catch {
            printError("\(configPath): cannot start: \(error)")
            throw ExitCode(1)
        }
    }
}
