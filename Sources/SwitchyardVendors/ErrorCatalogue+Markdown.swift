import Foundation
import SwitchyardDevices

extension ErrorCatalogue {
    /// The catalogue as the Markdown table of `docs/ERRORS.md` (`switchyard errors` prints it;
    /// a test keeps the file identical to it).
    public static func markdown(_ rows: [Row]) -> String {
        var lines = [
            "# The error catalogue",
            "",
            "Every vendor answer the gateway knows, and every way a call can fail without one, with the problem",
            "the client gets (API.md §2). Generated from the code by `switchyard errors`; do not edit by hand.",
            "",
            "Rows match most specific first: vendor, status and vendor code; then vendor and status; then the",
            "fallbacks, by status alone. Rows marked \"no\" are answers no vendor document lists: they are",
            "mapped deliberately (a vendor 5xx is never a gateway 500), and each one met is counted. Problems caused by a vendor",
            "answer carry it under `upstream` (`status`, `code`, `message` as the vendor sent them).",
            "",
            "| vendor | vendor status | vendor code | problem | status | documented | meaning |",
            "|---|---|---|---|---|---|---|",
        ]
        for row in rows {
            let cells = [
                row.vendor?.rawValue ?? "any",
                row.status.map(String.init) ?? "—",
                row.vendorCode.map { "`\($0)`" } ?? "—",
                "`\(row.problem.rawValue)`",
                String(row.problem.status),
                row.vendor == nil && row.status == nil ? "gateway" : row.documented ? "yes" : "no",
                row.meaning.replacingOccurrences(of: "|", with: "\\|"),
            ]
            lines.append("| " + cells.joined(separator: " | ") + " |")
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
