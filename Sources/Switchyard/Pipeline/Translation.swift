/// A request translated for its tenant (the `translate` phase's result): the tenant's binding, which
/// answers for it, the request as its vendors will serve it, and for a migrating tenant how it is
/// split between the two (API.md §8).
struct Translation {
    let binding: VendorBinding
    let deviceRequest: DeviceRequest
    let split: MigrationSplit?
}
