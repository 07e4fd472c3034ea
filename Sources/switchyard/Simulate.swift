import SwitchyardDevices
import ArgumentParser
import Foundation
import SwitchyardIO
import SwitchyardSimulators

/// `switchyard simulate VENDOR --port P`: one vendor simulator over HTTPS until SIGINT or
/// SIGTERM, for trying an adapter or the gateway against something that answers as the vendor
/// does (docs/SIMULATORS.md).
struct Simulate: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a simulator of one vendor's API over HTTPS.",
        discussion: """
        VENDOR is one of: \(Vendor.allCases.map(\.rawValue).joined(separator: ", ")).
        Prints the base URL, the credentials the simulator accepts and its control API; Ctrl-C stops it.
        The default certificate is certs/dev/ (make it with certs/make-dev-certs.sh); see docs/SIMULATORS.md.
        """
    )

    @Argument(help: ArgumentHelp("The vendor to play.", valueName: "vendor"))
    var vendor: String

    @Option(help: ArgumentHelp("The port to listen on (0 picks a free one).", valueName: "port"))
    var port: UInt16

    @Option(help: ArgumentHelp("The address to listen on.", valueName: "address"))
    var host = "127.0.0.1"

    @Option(help: ArgumentHelp("The server certificate (PEM).", valueName: "file"))
    var cert = "certs/dev/server.crt"

    @Option(help: ArgumentHelp("The certificate's private key (PEM).", valueName: "file"))
    var key = "certs/dev/server.key"

    @Option(help: ArgumentHelp("The path prefix in front of the vendor's paths (gate: /api/v1, others: none).", valueName: "path"))
    var prefix: String?

    func validate() throws {
        guard Vendor(rawValue: vendor) != nil else {
            throw ValidationError("unknown vendor \"\(vendor)\" (expected one of: \(Vendor.allCases.map(\.rawValue).joined(separator: ", ")))")
        }
    }

    func run() throws {
        let vendor = Vendor(rawValue: vendor)!
        for file in [cert, key] where !FileManager.default.isReadableFile(atPath: file) {
            printError("switchyard simulate: \(file) not found; make dev certificates with certs/make-dev-certs.sh (or pass --cert and --key)")
            throw ExitCode(1)
        }
        // Blocked before the loop's thread exists, so only the main thread's sigwait gets them.
        Signals.blockTermination()
        let simulator: SimulatorHost
        do {
            simulator = try SimulatorHost(configuration: SimulatorConfiguration(
                vendor: vendor, host: host, port: port, certificatePath: cert, privateKeyPath: key, pathPrefix: prefix
            ))
        } catch {
            printError("switchyard simulate: cannot start the \(vendor.rawValue) simulator: \(error)")
            throw ExitCode(1)
        }
        simulator.start()
        let credentials = simulator.credentials.configurationKeys.map { "    \($0.key): \($0.value)" }.joined(separator: "\n")
        let endpoints = vendor.endpoints.map { endpoint in
            let parts = endpoint.split(separator: " ", maxSplits: 1)
            return "    \(parts[0]) \(simulator.baseURL)\(parts[1])"
        }.joined(separator: "\n")
        printOut("""
        \(vendor.rawValue) simulator listening on \(simulator.baseURL)
          endpoints:
        \(endpoints)
          credentials:
        \(credentials)
          control API: \(simulator.controlURL)/ (info, faults, requests, stats, devices, reset)
          try: curl --cacert certs/dev/ca.crt \(simulator.controlURL)/info
        Ctrl-C stops it.

        """)
        _ = Signals.wait()
        simulator.stop()
    }

    /// Unbuffered, so a script reading the URL sees it before the simulator exits.
    private func printOut(_ text: String) {
        FileHandle.standardOutput.write(Data(text.utf8))
    }
}
