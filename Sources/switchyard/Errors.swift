import ArgumentParser
import SwitchyardVendors

/// `switchyard errors`: the error catalogue as Markdown (docs/ERRORS.md is its output).
struct Errors: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Print the error catalogue: every vendor answer and transport failure, and the problem each becomes."
    )

    func run() throws {
        print(ErrorCatalogue.markdown(VendorAdapters.catalogue), terminator: "")
    }
}
