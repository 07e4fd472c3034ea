import Foundation
import XCTest
#if canImport(Glibc)
import Glibc
#endif

/// Paths and one-time fixtures for the simulator tests: the repository, dev certificates made by
/// the project's own script once per run, and a bounded way to run a program (curl, the
/// `switchyard` binary). A copy of EndToEndTests' helper: test targets cannot share files.
enum TestEnvironment {
    static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// `swift build --build-tests` puts the executable next to the test binary.
    static let binary: URL = {
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("switchyard")
    }()

    static let temporaryRoot: URL = FileManager.default.temporaryDirectory
        .appendingPathComponent("switchyard-simulator-tests-\(getpid())")

    /// A CA and a server certificate for localhost, generated once per test run.
    static let certificates: URL = {
        let directory = temporaryRoot.appendingPathComponent("certs")
        let result = run(repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path, ["--out", directory.path])
        precondition(result.status == 0, "make-dev-certs.sh failed: \(result.output) \(result.error)")
        return directory
    }()

    static var caFile: String { certificates.appendingPathComponent("ca.crt").path }
    static var serverCertificate: String { certificates.appendingPathComponent("server.crt").path }
    static var serverKey: String { certificates.appendingPathComponent("server.key").path }

    static func temporaryFile(_ name: String) -> String {
        try? FileManager.default.createDirectory(at: temporaryRoot, withIntermediateDirectories: true)
        return temporaryRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(12))").path
    }

    /// Runs a program to completion (bounded by `timeout`), returning its exit status and output.
    @discardableResult
    static func run(_ executable: String, _ arguments: [String], timeout: Double = 30) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        let stdout = Pipe()
        let stderr = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = FileHandle.nullDevice
        do { try process.run() } catch { return (-1, "", "\(error)") }
        // Read both pipes concurrently so a chatty child can't block on a full pipe.
        let collected = OutputCollector(stdout: stdout, stderr: stderr)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(5_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        let (out, err) = collected.finish()
        return (process.terminationStatus, out, err)
    }
}

/// Drains a child's stdout and stderr on background threads.
final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let group = DispatchGroup()

    init(stdout: Pipe, stderr: Pipe) {
        for (pipe, isOut) in [(stdout, true), (stderr, false)] {
            group.enter()
            let handle = pipe.fileHandleForReading
            Thread.detachNewThread { [self] in
                while true {
                    let data = handle.availableData
                    if data.isEmpty { break }
                    lock.lock()
                    if isOut { out.append(data) } else { err.append(data) }
                    lock.unlock()
                }
                group.leave()
            }
        }
    }

    /// Everything so far, without waiting for the end.
    var currentOutput: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    func finish() -> (String, String) {
        _ = group.wait(timeout: .now() + 5)
        lock.lock()
        defer { lock.unlock() }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
