// swift-tools-version: 6.1
import PackageDescription

// In-process costs of the gateway's hot pieces (JSON, the vendor adapters, JWT checks, GCRA),
// measured with ordo-one/benchmark: README.md beside this file. A package of its own so that the
// gateway's build and CI never build the benchmark framework; the gateway comes in through the
// library products of ../../Package.swift.
//
// `traits: ["MallocInterposer"]` keeps the malloc counts (the headline figure) and leaves out the
// framework's other default trait, RuntimeInterposer: its package (swift-runtime-interposer, for ARC
// counts on Linux with Swift 6.3) is not among the packages this project's machines can fetch.

/// One benchmark suite: `Benchmarks/<name>/`, run by the framework's plugin.
func suite(_ name: String, _ dependencies: [Target.Dependency]) -> Target {
    .executableTarget(
        name: name,
        dependencies: [.product(name: "Benchmark", package: "benchmark"), "SuiteDefaults"] + dependencies,
        path: "Benchmarks/\(name)",
        swiftSettings: [.swiftLanguageMode(.v6)],
        plugins: [.plugin(name: "BenchmarkPlugin", package: "benchmark")]
    )
}

let package = Package(
    name: "SwitchyardInProcessBenchmarks",
    platforms: [.macOS(.v15)],
    dependencies: [
        .package(url: "https://github.com/ordo-one/benchmark", from: "1.38.1", traits: ["MallocInterposer"]),
        .package(name: "Switchyard", path: "../.."),
    ],
    targets: [
        // What every suite measures, and for how long.
        .target(
            name: "SuiteDefaults",
            dependencies: [.product(name: "Benchmark", package: "benchmark")],
            swiftSettings: [.swiftLanguageMode(.v6)]
        ),
        suite("JSONCosts", [.product(name: "SwitchyardJSON", package: "Switchyard")]),
        suite("VendorCosts", [
            .product(name: "SwitchyardVendors", package: "Switchyard"),
            .product(name: "SwitchyardDevices", package: "Switchyard"),
            .product(name: "SwitchyardHTTP", package: "Switchyard"),
            .product(name: "SwitchyardJSON", package: "Switchyard"),
        ]),
        suite("AuthCosts", [.product(name: "Switchyard", package: "Switchyard")]),
        suite("RateLimitCosts", [.product(name: "Switchyard", package: "Switchyard")]),
    ]
)
