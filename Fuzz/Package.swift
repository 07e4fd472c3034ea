// swift-tools-version: 6.1
import PackageDescription

// libFuzzer targets for Switchyard's parsers and readers (Fuzz/README.md; run them with
// scripts/fuzz.sh). A package of its own so that the gateway's normal build never sees a
// sanitizer flag.
//
// Why the gateway's modules are compiled here again, through the symbolic links in Linked/,
// rather than taken from a `.package(path: "..")` dependency (whose library products exist for
// Benchmarks/InProcess): a dependency's modules are built with its own settings, without the
// fuzzer's. Compiling them here lets exactly those modules carry the fuzzer's coverage
// instrumentation (`unsafeFlags` are allowed in a root package), while swift-crypto, Yams,
// swift-log, swift-metrics, swift-prometheus and swift-w3c-trace-context are built as usual. Keep
// the module list and the dependency versions in step with ../Package.swift.

/// Instrumentation for everything under test: libFuzzer's coverage (edges, comparisons) and
/// AddressSanitizer, debug info for readable stack traces. `-assert-config Debug` keeps
/// `assert` and the unsafe-buffer bounds checks in the optimised build, and exclusivity is
/// checked (the gateway's release build turns that off): each of those is an invariant the code
/// already states, and a violation is a finding.
let instrumented: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .unsafeFlags([
        "-sanitize=fuzzer,address", "-g",
        "-assert-config", "Debug",
        "-enforce-exclusivity=checked",
    ]),
]

/// The fuzzer's runtime (which also brings AddressSanitizer's), linked with lld: gold fails on
/// the sanitizers' debug info.
let fuzzerLink: [LinkerSetting] = [.unsafeFlags(["-sanitize=fuzzer,address", "-use-ld=lld"])]

/// One executable per fuzz target: `Targets/<name>/<name>.swift`.
func fuzzTarget(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: ["FuzzSupport"] + dependencies,
        path: "Targets/\(name)",
        swiftSettings: instrumented,
        linkerSettings: fuzzerLink
    )
}

let vendorTargets = ["gate", "mobilefirst-push", "control-center", "vodlix", "iot-security"].map { vendor in
    fuzzTarget("vendor-\(vendor)", ["SwitchyardDevices", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardVendors"])
}

let package = Package(
    name: "SwitchyardFuzz",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", "4.1.0"..<"6.0.0"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.5.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/swift-otel/swift-w3c-trace-context", from: "1.0.0"),
    ],
    targets: [
        // The gateway's own modules (../Sources, linked), instrumented.
        .target(name: "CLinux", path: "Linked/CLinux"),
        .target(name: "CByteScan", path: "Linked/CByteScan"),
        .systemLibrary(name: "COpenSSL", path: "Linked/COpenSSL", pkgConfig: "openssl", providers: [.apt(["libssl-dev"])]),
        .systemLibrary(name: "CZlib", path: "Linked/CZlib", providers: [.apt(["zlib1g-dev"])]),
        .target(name: "SwitchyardIO", dependencies: ["CLinux", "COpenSSL"], path: "Linked/SwitchyardIO",
                swiftSettings: instrumented),
        .target(name: "SwitchyardHTTP",
                dependencies: ["SwitchyardIO", "CByteScan", "CZlib", .product(name: "W3CTraceContext", package: "swift-w3c-trace-context")],
                path: "Linked/SwitchyardHTTP", swiftSettings: instrumented),
        .target(name: "SwitchyardJSON", dependencies: ["SwitchyardIO", "CByteScan"], path: "Linked/SwitchyardJSON",
                swiftSettings: instrumented),
        .target(name: "SwitchyardRedis", dependencies: ["SwitchyardIO"], path: "Linked/SwitchyardRedis",
                swiftSettings: instrumented),
        .target(name: "SwitchyardDevices", dependencies: ["SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON"],
                path: "Linked/SwitchyardDevices", swiftSettings: instrumented),
        .target(name: "SwitchyardVendors", dependencies: ["SwitchyardDevices", "SwitchyardHTTP", "SwitchyardJSON"],
                path: "Linked/SwitchyardVendors", swiftSettings: instrumented),
        .target(
            name: "Switchyard",
            dependencies: [
                "SwitchyardIO", "SwitchyardHTTP", "SwitchyardJSON", "SwitchyardRedis", "SwitchyardDevices", "SwitchyardVendors",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "W3CTraceContext", package: "swift-w3c-trace-context"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "CryptoExtras", package: "swift-crypto"),
            ],
            path: "Linked/Switchyard",
            swiftSettings: instrumented,
            plugins: ["BuildCommit"]
        ),
        .plugin(name: "BuildCommit", capability: .buildTool(), path: "Linked/BuildCommit"),

        // What the fuzz targets share: the driver, invariant checks, the vendor-answer harness.
        .target(name: "CLibFuzzer", path: "Support/CLibFuzzer"),
        .target(
            name: "FuzzSupport",
            dependencies: ["CLibFuzzer", "SwitchyardDevices", "SwitchyardHTTP", "SwitchyardJSON"],
            path: "Support/FuzzSupport",
            swiftSettings: instrumented
        ),

        fuzzTarget("request-head", ["SwitchyardHTTP"]),
        fuzzTarget("chunked-body", ["SwitchyardHTTP"]),
        fuzzTarget("response-head", ["SwitchyardHTTP"]),
        fuzzTarget("json", ["SwitchyardJSON"]),
        fuzzTarget("jwt", [
            "Switchyard", "SwitchyardDevices", "SwitchyardJSON",
            .product(name: "Crypto", package: "swift-crypto"),
            .product(name: "CryptoExtras", package: "swift-crypto"),
        ]),
        fuzzTarget("config", [
            "Switchyard", "SwitchyardVendors",
            .product(name: "Crypto", package: "swift-crypto"),
        ]),
    ] + vendorTargets
)
