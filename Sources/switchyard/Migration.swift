import ArgumentParser
import Dispatch
import Switchyard
import SwitchyardHTTP
import SwitchyardIO
import SwitchyardJSON
import Synchronization

/// `switchyard migration`: the staged vendor migrations of running gateways (docs/MIGRATION.md).
struct MigrationCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "migration",
        abstract: "Staged vendor migrations: what the running gateways found so far.",
        subcommands: [Status.self]
    )

    /// `switchyard migration status`: each migrating tenant's report (API.md §8), from one admin
    /// listener or summed over several (each replica counts its own).
    struct Status: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The migration reports of one or more gateways (GET /-/migrations), summed, as a table.")

        @Option(name: .long, help: ArgumentHelp(
            "A gateway's admin listener, host:port or http://host:port; give it once per replica to sum them.", valueName: "address"))
        var admin: [String] = ["127.0.0.1:9090"]

        @Option(name: .long, help: ArgumentHelp("Only this tenant.", valueName: "tenant"))
        var tenant: String?

        @Flag(name: .long, help: "The summed reports as JSON, in GET /-/migrations' shape.")
        var json = false

        func run() throws {
            var documents: [JSONValue] = []
            for address in admin {
                do {
                    documents.append(try Self.fetch(address))
                } catch {
                    printError("switchyard migration status: \(address): \(error)")
                    throw ExitCode(1)
                }
            }
            var reports = MigrationSummary.sum(documents)
            if let tenant { reports = reports.filter { $0["tenant"]?.stringValue == tenant } }
            if json {
                var writer = JSONWriter()
                writer.beginObject()
                writer.member("replicas", documents.count)
                writer.key("migrations")
                writer.value(.array(reports.map(JSONValue.object)))
                writer.endObject()
                print(String(decoding: writer.bytes, as: UTF8.self))
            } else {
                print(MigrationSummary.table(reports, replicas: documents.count), terminator: "")
            }
        }

        /// `GET /-/migrations` from one admin listener, parsed; within 2 s to connect and 5 s in all.
        static func fetch(_ address: String) throws -> JSONValue {
            var text = Substring(address)
            if text.hasPrefix("http://") { text = text.dropFirst("http://".count) }
            if text.hasSuffix("/") { text = text.dropLast() }
            guard let colon = text.lastIndex(of: ":"), let port = UInt16(text[text.index(after: colon)...]) else {
                throw ValidationError("expected host:port or http://host:port")
            }
            var host = String(text[..<colon])
            if host.hasPrefix("["), host.hasSuffix("]") { host = String(host.dropFirst().dropLast()) }
            let target = try UpstreamTarget(unresolvedScheme: .http, host: host, port: port)
            if let failure = target.refreshAddresses() { throw ValidationError(failure.description) }
            let loop = try EventLoop(index: 0)
            let client = LoopBound<UpstreamClient?>(nil, loop: loop)
            let thread = loop.start(name: "switchyard-cli")
            defer {
                loop.stop()
                thread.join()
                // Released only once the loop has stopped: a connection closing after the answer
                // (its lingering close ends when the admin closes its side) still calls back into
                // the client, which must not be gone by then.
                withExtendedLifetime(client) {}
            }
            let answer = Mutex<Result<UpstreamResponse, UpstreamError>?>(nil)
            let answered = DispatchSemaphore(value: 0)
            loop.execute { loop in
                let made = UpstreamClient(loop: loop, limits: UpstreamLimits(connectTimeoutSeconds: 2, timeoutSeconds: 5,
                                                                             maxResponseBodyBytes: 16 << 20, maxIdlePerKey: 0))
                client.value = made
                made.send(UpstreamRequest(method: .get, path: "/-/migrations"), to: target) { result in
                    answer.withLock { $0 = result }
                    answered.signal()
                }
            }
            answered.wait()
            // The client closes its connections on its loop before the loop stops; it is freed after
            // (the `defer` above), never from inside one of its own callbacks.
            loop.execute { _ in client.value?.shutdown() }
            switch answer.withLock({ $0 }) {
            case .success(let response) where response.status == 200:
                return try JSONParser.parse(response.body)
            case .success(let response):
                throw ValidationError("GET /-/migrations answered \(response.status)")
            case .failure(let error):
                throw ValidationError(error.description)
            case nil:
                throw ValidationError("no answer")
            }
        }
    }
}
