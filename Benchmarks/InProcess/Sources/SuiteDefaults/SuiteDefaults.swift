import Benchmark

/// What every suite here measures, and for how long, in one place so that the suites' tables line
/// up: each suite calls ``apply()`` first thing in its `benchmarks` closure.
public enum SuiteDefaults {
    /// Allocations and wall-clock time, nothing else. Malloc counts are exact and repeatable on a
    /// shared, noisy machine, where times are only rough; and they stay exact only while nothing
    /// else is measured: for CPU time and instructions the framework reads `/proc` inside the
    /// measured window, which cost 16 allocations a sample here, counted as the benchmark's own.
    /// CPU time would say little anyway (on Linux it comes in 10 ms clock ticks, and a sample takes
    /// microseconds), and instructions need the CPU's counters (`perf_event_open`), which a VM
    /// without a virtual PMU lacks; where they exist, `--metric instructions` gives them in a run
    /// of their own. No ARC counts: on Linux with Swift 6.3 the framework needs its runtime
    /// interposer package for them (the RuntimeInterposer trait, not built here: Package.swift),
    /// and its fallback hooks crash.
    public static let metrics: [BenchmarkMetric] = [.mallocCountTotal, .wallClock]

    /// One second a benchmark keeps a whole run to about a minute once built; longer buys nothing
    /// for the allocation counts, and the times stay noisy either way.
    public static func apply() {
        Benchmark.defaultConfiguration = .init(metrics: metrics, maxDuration: .seconds(1))
    }
}
