import ArgumentParser
import Foundation
import Logging
import Switchyard

/// `switchyard demo`: the gateway on its built-in defaults with generated dev certificates, on
/// loopback, printing commands to try. Run it from the repository (it uses `certs/` and `routes/`).
struct Demo: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run the gateway on loopback with dev certificates and print commands to try.",
        discussion: "Generates certs/dev/ with certs/make-dev-certs.sh on first use and serves routes/demo.yaml. Ctrl-C stops it."
    )

    func run() throws {
        let script = "certs/make-dev-certs.sh"
        guard FileManager.default.isExecutableFile(atPath: script) else {
            printError("switchyard demo: run it from the repository root (\(script) not found in \(FileManager.default.currentDirectoryPath))")
            throw ExitCode(1)
        }
        let certificates = Process()
        certificates.executableURL = URL(fileURLWithPath: script)
        certificates.standardOutput = FileHandle.nullDevice
        try certificates.run()
        certificates.waitUntilExit()
        guard certificates.terminationStatus == 0 else {
            printError("switchyard demo: \(script) failed (status \(certificates.terminationStatus))")
            throw ExitCode(1)
        }

        let runtime = try Startup.runtime(configPath: "routes/demo.yaml", logger: Logger(label: "switchyard"))
        runtime.start()
        let base = "https://localhost:\(runtime.server.address.port)"
        printNow("""

        Switchyard demo is up (gateway only: tenants bound to vendor simulators arrive with step 4). Try:

          # a problem document: 404 not_found
          curl --cacert certs/dev/ca.crt -i \(base)/nowhere
          # the /devices API refuses a request without a token: 401 unauthenticated, WWW-Authenticate
          curl --cacert certs/dev/ca.crt -i \(base)/devices/iccid:8988216716970004975 -X PATCH \\
               -H 'content-type: application/json' -d '{"sim": {"status": "ACTIVATED"}}'
          # readiness (503 while draining)
          curl -s http://\(runtime.adminServer.map { "\($0.address)" } ?? "127.0.0.1:9090")/readyz

        Ctrl-C stops it.

        """)
        runtime.runUntilSignalled()
    }
}
