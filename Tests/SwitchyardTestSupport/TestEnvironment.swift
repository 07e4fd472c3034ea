import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Paths and one-time fixtures shared by the test targets: the repository, the built `switchyard`
/// binary, dev certificates made by the project's own script once per run, temporary places, and
/// a bounded way to run a program (curl, openssl, the binary).
public enum TestEnvironment {
    /// This file is Tests/SwitchyardTestSupport/TestEnvironment.swift.
    public static let repositoryRoot: URL = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The `switchyard` the tests run: `SWITCHYARD_TEST_BINARY` when set (scripts/test-release.sh
    /// sets it to a release build, whose optimizations a debug build doesn't make), else the one
    /// `swift build --build-tests` puts next to the test binary (on Linux the `.xctest` bundle is
    /// itself the running executable).
    public static let binary: URL = {
        if let path = ProcessInfo.processInfo.environment["SWITCHYARD_TEST_BINARY"], !path.isEmpty {
            return URL(fileURLWithPath: path)
        }
        let testBinary = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
        return testBinary.deletingLastPathComponent().appendingPathComponent("switchyard")
    }()

    /// Everything a test run writes lives under here.
    public static let temporaryRoot: URL = FileManager.default.temporaryDirectory
        .appendingPathComponent("switchyard-tests-\(getpid())")

    /// A CA and a server certificate for localhost, generated once per test run.
    public static let certificates: URL = {
        let directory = temporaryRoot.appendingPathComponent("certs")
        let result = run(repositoryRoot.appendingPathComponent("certs/make-dev-certs.sh").path, ["--out", directory.path])
        precondition(result.status == 0, "make-dev-certs.sh failed: \(result.output) \(result.error)")
        return directory
    }()

    public static var caFile: String { certificates.appendingPathComponent("ca.crt").path }
    public static var serverCertificate: String { certificates.appendingPathComponent("server.crt").path }
    public static var serverKey: String { certificates.appendingPathComponent("server.key").path }

    /// A new empty directory.
    public static func temporaryDirectory(_ name: String) -> URL {
        let url = temporaryRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(8))")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    /// A path for a new file (not created).
    public static func temporaryFile(_ name: String) -> String {
        try? FileManager.default.createDirectory(at: temporaryRoot, withIntermediateDirectories: true)
        return temporaryRoot.appendingPathComponent("\(name)-\(UUID().uuidString.prefix(12))").path
    }

    /// Runs a program to completion (bounded by `timeout`), returning its exit status and output.
    @discardableResult
    public static func run(_ executable: String, _ arguments: [String], input: String? = nil, timeout: Double = 30,
                    environment: [String: String]? = nil) -> (status: Int32, output: String, error: String) {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable.hasPrefix("/") ? executable : "/usr/bin/env")
        process.arguments = executable.hasPrefix("/") ? arguments : [executable] + arguments
        if let environment { process.environment = environment }
        let stdout = Pipe()
        let stderr = Pipe()
        let stdin = Pipe()
        process.standardOutput = stdout
        process.standardError = stderr
        process.standardInput = stdin
        do { try process.run() } catch { return (-1, "", "\(error)") }
        if let input { stdin.fileHandleForWriting.write(Data(input.utf8)) }
        try? stdin.fileHandleForWriting.close()
        // Read both pipes concurrently so a chatty child can't block on a full pipe.
        let collected = OutputCollector(stdout: stdout, stderr: stderr)
        let deadline = Date().addingTimeInterval(timeout)
        while process.isRunning && Date() < deadline { usleep(10_000) }
        if process.isRunning { process.terminate(); process.waitUntilExit() }
        let (out, err) = collected.finish()
        return (process.terminationStatus, out, err)
    }
}

/// Drains a child's stdout and stderr on background threads.
public final class OutputCollector: @unchecked Sendable {
    private let lock = NSLock()
    private var out = Data()
    private var err = Data()
    private let group = DispatchGroup()

    public init(stdout: Pipe, stderr: Pipe) {
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

    /// Everything on stdout so far, without waiting for the end.
    public var currentOutput: String {
        lock.lock()
        defer { lock.unlock() }
        return String(decoding: out, as: UTF8.self)
    }

    public func finish() -> (String, String) {
        _ = group.wait(timeout: .now() + 5)
        lock.lock()
        defer { lock.unlock() }
        return (String(decoding: out, as: UTF8.self), String(decoding: err, as: UTF8.self))
    }
}
