// swift-tools-version: 6.1
import PackageDescription

// Layers point one way (docs/ARCHITECTURE.md): SwitchyardIO ← SwitchyardHTTP, SwitchyardJSON,
// SwitchyardRedis ← SwitchyardDevices (the device domain) ← SwitchyardVendors (the adapters) ←
// Switchyard (the gateway) ← switchyard (the executable). The simulators know the domain only.
// Nothing here may depend on SwiftNIO: the I/O core is our own.
// Release builds drop the runtime exclusivity checks: they cost about 5% of a keep-alive request
// (profiled: swift_beginAccess on every buffer append). Debug builds, and so every test run,
// keep them, which is where a violation would show.
// They also optimize across the package's modules: a request crosses five of them (I/O, HTTP,
// devices, vendors, the gateway), and calls into another module's non-inlinable functions and
// unspecialized generics cost 1.1% of a control-center request's instructions and 1.7% of a
// gate one's (callgrind, Benchmarks/RESULTS.md, "The fifteenth pass").
// And they copy and destroy values the way debug builds do, in code made for each type: by default
// an optimized build does it for an optional or an enum with a large payload (`UpstreamCall?`,
// `Result<UpstreamResponse, Problem>`, `Problem?`) by looking up the type's metadata and calling
// its value witnesses, which walk its layout at run time: some 20 such calls a request, 2.4% of a
// control-center request's instructions and 2.6% of a gate one's (RESULTS.md, "The twenty-fifth
// pass"), for 53 KB more code.
let strict: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags(["-enforce-exclusivity=unchecked", "-cross-module-optimization", "-Xfrontend", "-disable-type-layout"],
                 .when(configuration: .release)),
]

// The modules that only translate (JSON, the device domain, the adapters, the gateway) also end a
// value's life at its last use, as Swift's rules allow, rather than at the end of its scope: the
// optimizer then drops a retain/release pair wherever a reference was kept alive only for its name's
// sake, 1.4% of a control-center request's instructions (RESULTS.md, "The twenty-sixth pass"). It
// changes nothing for correct code, and these modules were read for what it would break: no pointer
// into an object's storage outlives a use of the object, no `weak` reference, and their deinits
// (`JSONValue.Pool`, `DeviceCall`) only hand storage back. The I/O and HTTP modules, whose C
// wrappers hand out pointers to what their objects own, keep lexical lifetimes, and so does the
// Redis client, which was not read for it. Release builds
// only, so `scripts/test-release.sh` runs the tests that start `switchyard` against a release binary.
let translating: [SwiftSetting] = strict + [
    .unsafeFlags(["-Xfrontend", "-enable-lexical-lifetimes=false"], .when(configuration: .release)),
]
// Link-time optimization is asked for on the command line (`--experimental-lto-mode=full`, by
// scripts/build-release.sh, which every production build uses), not here: `-lto=llvm-full`
// as a flag of these targets makes bitcode of them, but the link then misses the libraries Swift's
// objects name for themselves (Foundation, Glibc's overlay), which only SwiftPM's own mode passes.

let package = Package(
    name: "Switchyard",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "switchyard", targets: ["switchyard"]),
        // For the in-process benchmarks (Benchmarks/InProcess), a package of their own that depends on this one.
        .library(name: "SwitchyardJSON", targets: ["SwitchyardJSON"]),
        .library(name: "SwitchyardDevices", targets: ["SwitchyardDevices"]),
        .library(name: "SwitchyardVendors", targets: ["SwitchyardVendors"]),
        .library(name: "Switchyard", targets: ["Switchyard"]),
        .library(name: "SwitchyardHTTP", targets: ["SwitchyardHTTP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        // Metrics: swift-metrics is the recording API, swift-prometheus renders `/metrics`. Neither
        // depends on SwiftNIO. Recording on the loops goes through per-loop buffers first
        // (docs/ARCHITECTURE.md, "Metrics"), so no lock of theirs is on a request's path.
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        // JWT signature checks (HS256, RS256, ES256) and SHA-256 for API keys. Not jwt-kit: in 5.8
        // its verifiers are reachable only through `JWTKeyCollection`, an actor, and the event
        // loops must not hop through one per request (docs/ARCHITECTURE.md, "Why not …").
        .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"6.0.0"),
        // W3C Trace Context's id and flag types (no SwiftNIO; swift-collections only).
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
    ],
    targets: [
        .target(name: "CLinux"),
        .systemLibrary(name: "COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", providers: [.apt(["zlib1g-dev"])]),
        // Byte scans in C where Swift's SIMD types compile lane by lane (SSE2, a word at a time elsewhere).
        .target(name: "CByteScan"),
        .target(
            name: "SwitchyardIO",
            dependencies: ["CLinux", "COpenSSL"],
            swiftSettings: strict
        ),
        .target(
            name: "SwitchyardHTTP",
            dependencies: ["SwitchyardIO", "CByteScan", "CZlib", .product(name: "W3CTraceContext", package: "swift-w3c-trace-context")],
            swiftSettings: strict
        ),
        // A strict JSON reader and a streaming writer: nothing of HTTP or devices.
        .target(name: "SwitchyardJSON", dependencies: ["SwitchyardIO", "CByteScan"], swiftSettings: translating),
        // A Redis client on the event loops: RESP, pipelining, reconnection.
        .target(name: "SwitchyardRedis", dependencies: ["SwitchyardIO"], swiftSettings: strict),
        // The device domain: documents, fields, identifiers, problems, vendors and the adapter protocol.
        .target(
            name: "SwitchyardDevices",
            dependencies: ["SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON"],
            swiftSettings: translating
        ),
        // The gateway: configuration, auth, rate limits, the pipeline, admin, runtime.
        .target(
            name: "Switchyard",
            dependencies: [
                "SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardRedis", "SwitchyardDevices", "SwitchyardVendors",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
            ],
            swiftSettings: translating,
            plugins: ["BuildCommit"]
        ),
        // One adapter per vendor and the error catalogue: pure translation, no sockets.
        .target(
            name: "SwitchyardVendors",
            dependencies: ["SwitchyardDevices", "SwitchyardHTTP", "SwitchyardJSON"],
            swiftSettings: translating
        ),
        .target(
            name: "SwitchyardSimulators",
            dependencies: ["SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardDevices"],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "switchyard",
            dependencies: [
                "Switchyard", "SwitchyardVendors", "SwitchyardDevices", "SwitchyardIO", "SwitchyardHTTP", "SwitchyardSimulators",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),
        // The git commit of the build, for `--version` and `GET /-/version`.
        .plugin(name: "BuildCommit", capability: .buildTool()),
        // The I/O core as a plain reverse proxy, for Benchmarks/run.sh's pass-through scenario.
        .executableTarget(
            name: "switchyard-passthrough",
            dependencies: ["SwitchyardIO", "SwitchyardHTTP"],
            path: "Benchmarks/PassThrough",
            swiftSettings: strict
        ),
        // What the test targets share: the repository, the built binary, dev certificates.
        .target(name: "SwitchyardTestSupport", path: "Tests/SwitchyardTestSupport", swiftSettings: strict),
        .testTarget(name: "SwitchyardIOTests", dependencies: ["SwitchyardIO"], swiftSettings: strict),
        .testTarget(name: "SwitchyardHTTPTests", dependencies: ["SwitchyardHTTP", "CByteScan"], swiftSettings: strict),
        .testTarget(name: "SwitchyardJSONTests", dependencies: ["SwitchyardJSON"], swiftSettings: strict),
        .testTarget(
            name: "SwitchyardDevicesTests",
            dependencies: ["SwitchyardDevices", "SwitchyardJSON", "SwitchyardHTTP"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardTests",
            dependencies: [
                "Switchyard", "SwitchyardVendors", "SwitchyardDevices", "SwitchyardJSON", "SwitchyardRedis", "SwitchyardIO",
                "SwitchyardTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardVendorsTests",
            dependencies: ["SwitchyardVendors", "SwitchyardDevices", "SwitchyardJSON", "SwitchyardHTTP", "SwitchyardTestSupport"],
            resources: [.copy("Fixtures")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "SwitchyardSimulatorsTests",
            dependencies: ["SwitchyardSimulators", "SwitchyardDevices", "SwitchyardHTTP", "SwitchyardIO", "SwitchyardTestSupport"],
            swiftSettings: strict
        ),
        // The pipeline in-process: every phase's outcomes with a scripted vendor, no sockets.
        .testTarget(
            name: "PipelineTests",
            dependencies: [
                "Switchyard", "SwitchyardDevices", "SwitchyardHTTP", "SwitchyardIO", "SwitchyardJSON", "SwitchyardTestSupport",
                "SwitchyardVendors",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "EndToEndTests",
            dependencies: [
                "Switchyard", "SwitchyardDevices", "SwitchyardJSON", "SwitchyardIO", "SwitchyardHTTP", "SwitchyardSimulators",
                "COpenSSL", "SwitchyardTestSupport",
                .product(name: "Yams", package: "Yams"),
            ],
            swiftSettings: strict
        ),
    ]
)
