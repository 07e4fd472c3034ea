import SwitchyardJSON

/// Migration reports (`GET /-/migrations`) summed over replicas, for `switchyard migration status`:
/// each replica counts its own, so the counts add up; lists merge by what names an entry (a
/// mismatch's pointer, a not-portable change's operation and field), keeping the last five
/// request ids; latencies, which can't be added, are the slowest replica's; the stage is `mixed`
/// while replicas disagree (mid-reload). Works on the report's JSON as it is, so a field the
/// gateway adds is summed too.
enum MigrationSummary {
    /// Every tenant's report in `documents`, summed, by tenant name.
    static func sum(_ documents: [JSONValue]) -> [JSONObject] {
        var byTenant: [(tenant: String, report: JSONObject)] = []
        for document in documents {
            for report in document.objectValue?["migrations"]?.arrayValue ?? [] {
                guard let object = report.objectValue, let tenant = object["tenant"]?.stringValue else { continue }
                if let index = byTenant.firstIndex(where: { $0.tenant == tenant }) {
                    byTenant[index].report = merged(byTenant[index].report, object)
                } else {
                    byTenant.append((tenant, object))
                }
            }
        }
        return byTenant.sorted { $0.tenant < $1.tenant }.map(\.report)
    }

    private static func merged(_ left: JSONObject, _ right: JSONObject) -> JSONObject {
        var result = JSONObject()
        for (name, value) in left.members {
            result.append(name, right[name].map { merged(name, value, $0) } ?? value)
        }
        for (name, value) in right.members where left[name] == nil { result.append(name, value) }
        return result
    }

    private static func merged(_ name: String, _ left: JSONValue, _ right: JSONValue) -> JSONValue {
        switch (left, right) {
        case (.number, .number):
            if name.hasSuffix("Millis") { return (left.doubleValue ?? 0) >= (right.doubleValue ?? 0) ? left : right }
            if let a = left.intValue, let b = right.intValue { return .number(String(a + b)) }
            return .number(String((left.doubleValue ?? 0) + (right.doubleValue ?? 0)))
        case (.string(let a), .string(let b)):
            return name == "stage" && a != b ? .string("mixed") : name == "lastRollback" ? right : left
        case (.object(let a), .object(let b)):
            return .object(merged(a, b))
        case (.array(let a), .array(let b)) where a.allSatisfy({ $0.stringValue != nil }) && b.allSatisfy({ $0.stringValue != nil }):
            return .array(Array((a + b).suffix(5)))
        case (.array(let a), .array(let b)):
            var entries = a
            for entry in b {
                if let index = entries.firstIndex(where: { identity(of: $0) == identity(of: entry) }),
                   let existing = entries[index].objectValue, let added = entry.objectValue {
                    entries[index] = .object(merged(existing, added))
                } else {
                    entries.append(entry)
                }
            }
            return .array(entries)
        default:
            return left
        }
    }

    /// What names a list entry: its string members (`pointer`; `operation` and `field`).
    private static func identity(of entry: JSONValue) -> [String] {
        entry.objectValue?.members.compactMap { member in member.value.stringValue.map { "\(member.name)=\($0)" } } ?? []
    }

    /// The reports as a table for a terminal: one line per tenant, then what each found.
    static func table(_ reports: [JSONObject], replicas: Int) -> String {
        let plural = replicas == 1 ? "" : "s"
        guard !reports.isEmpty else { return "No tenant is migrating (\(replicas) replica\(plural)).\n" }
        let counters = ["mirrored", "matched", "mismatched", "notPortable", "targetErrors", "dropped", "rollbacks"]
        let header = ["tenant", "stage", "from → to", "mirrored", "matched", "mismatched", "not portable", "target errors", "dropped", "rollbacks"]
        let rows = reports.map { report in
            let stage = text(report, "stage"), configured = text(report, "configuredStage")
            return [text(report, "tenant"), stage == configured ? stage : "\(stage) (configured \(configured))",
                    "\(text(report, "currentVendor")) → \(text(report, "targetVendor"))"]
                + counters.map { String(report[$0]?.intValue ?? 0) }
        }
        let widths = header.indices.map { column in ([header] + rows).map { $0[column].count }.max() ?? 0 }
        func line(_ cells: [String]) -> String {
            cells.enumerated().map { column, cell in
                let padding = String(repeating: " ", count: widths[column] - cell.count)
                return column < 3 ? cell + padding : padding + cell
            }.joined(separator: "  ") + "\n"
        }
        return "Summed over \(replicas) replica\(plural).\n\n" + line(header) + rows.map(line).joined() + reports.map(details).joined()
    }

    /// What one report found, a section per kind.
    private static func details(_ report: JSONObject) -> String {
        let (tenant, current, target) = (text(report, "tenant"), text(report, "currentVendor"), text(report, "targetVendor"))
        func entries(_ name: String) -> [JSONObject] { report[name]?.arrayValue?.compactMap(\.objectValue) ?? [] }
        func section(_ title: String, _ lines: [String]) -> String {
            lines.isEmpty ? "" : "\n\(tenant): \(title)\n" + lines.map { "  \($0)\n" }.joined()
        }
        func codes(_ name: String) -> [String] {
            report[name]?.objectValue?.members.map { "\($0.name)  \($0.value.intValue ?? 0)" } ?? []
        }
        let latencies = [("current", current), ("target", target)].compactMap { key, vendor -> String? in
            guard let entry = report["latency"]?.objectValue?[key]?.objectValue, let p50 = entry["p50Millis"]?.doubleValue,
                  let p99 = entry["p99Millis"]?.doubleValue else { return nil }
            return "\(vendor) p50 \(millis(p50)) ms, p99 \(millis(p99)) ms (\(entry["calls"]?.intValue ?? 0) calls)"
        }
        return section("fields the vendors answer differently", entries("mismatches").map {
            "\(text($0, "pointer"))  \($0["count"]?.intValue ?? 0)  last requests: "
                + ($0["lastRequestIds"]?.arrayValue?.compactMap(\.stringValue) ?? []).joined(separator: ", ")
        })
            + section("changes \(target) can't take (not portable)", entries("notPortableChanges").map {
                "\(text($0, "operation"))  \($0["field"]?.stringValue ?? "(the operation itself)")  \($0["count"]?.intValue ?? 0)"
            })
            + section("requests naming devices without their kind (\(target) would read them otherwise)", entries("bareDeviceIds").map {
                "\(text($0, "operation"))  \($0["count"]?.intValue ?? 0)"
            })
            + section("\(target) errors", codes("targetErrorCodes"))
            + section("\(current) errors after \(target) served", codes("previousVendorErrorCodes"))
            + section("last rollback", report["lastRollback"]?.stringValue.map { [$0] } ?? [])
            + section("latency, the slowest replica's", latencies)
    }

    private static func text(_ object: JSONObject, _ name: String) -> String { object[name]?.stringValue ?? "" }

    private static func millis(_ value: Double) -> String {
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(rounded)
    }
}
