import Benchmark
import SuiteDefaults
import SwitchyardJSON

/// The JSON reader and writer on the two bodies the gateway sees most: one device document (a
/// `PATCH /devices/{id}` body, or an answer) and a bulk `PATCH /devices` body of 100 devices. Each
/// is read with `JSONParser.parse`, and written back from the parsed value by a fresh `JSONWriter`
/// of the capacity `DeviceAnswer` gives its writers (512 bytes for one device, 128 a device for a
/// bulk answer), so what a short guess costs in growth shows too.
let benchmarks: @Sendable () -> Void = {
    SuiteDefaults.apply()

    let document = Array(SampleBodies.device(iccid: "8988216716970004975").utf8)
    let bulk = Array(SampleBodies.bulk(devices: 100).utf8)
    let bodies = [
        (name: "device document, \(document.count) B", bytes: document, capacity: 512),
        (name: "bulk body, 100 devices, \(bulk.count) B", bytes: bulk, capacity: 128 * 100),
    ]

    for body in bodies {
        Benchmark("JSONParser.parse: \(body.name)") { benchmark in
            for _ in benchmark.scaledIterations {
                blackHole(try? JSONParser.parse(body.bytes))
            }
        }

        let parsed = try! JSONParser.parse(body.bytes)
        Benchmark("JSONWriter: \(body.name)") { benchmark in
            for _ in benchmark.scaledIterations {
                var writer = JSONWriter(capacity: body.capacity)
                writer.value(parsed)
                blackHole(writer.bytes)
            }
        }
    }
}
