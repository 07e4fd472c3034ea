import SwitchyardDevices

/// What one mirrored change came to (API.md §8): both vendors' answers, each already read into
/// the unified document by its adapter, compared field by field.
enum ChangeComparison: Equatable {
    /// Every field both vendors stated has the same value (fields in `ignore` left out).
    case match
    /// The pointers of the fields both stated with different values, in document order.
    case mismatch(pointers: [String])
    /// The target can't take this change: the pointers of the fields it does not support, none
    /// when it does not support the operation itself. What would break for clients if the tenant
    /// moved now.
    case notPortable(fields: [String])
    /// The target refused or failed otherwise (a vendor 4xx or 5xx, a transport failure).
    case targetError(ProblemCode)

    /// The metric's `result` label.
    var label: String {
        switch self {
        case .match: "match"
        case .mismatch: "mismatch"
        case .notPortable: "not_portable"
        case .targetError: "target_error"
        }
    }

    /// `current` is the current vendor's answer to the change as the client reads it (the
    /// document, `DeviceAnswer.answered`), `target` the target's. Fields only one answer states are
    /// not compared, nor the pointers in `ignoring`; values are never kept, only where they differ.
    static func compare(current: DeviceDocument, target: Result<DeviceDocument, Problem>, ignoring: Set<String>) -> ChangeComparison {
        switch target {
        case .failure(let problem) where problem.code == .unsupportedField || problem.code == .unsupportedOperation:
            return .notPortable(fields: problem.fields.map(\.pointer))
        case .failure(let problem):
            return .targetError(problem.code)
        case .success(let targetDocument):
            let differing = current.fields.filter { field in
                guard let value = targetDocument[field], !ignoring.contains(field.pointer) else { return false }
                return current[field] != value
            }
            return differing.isEmpty ? .match : .mismatch(pointers: differing.map(\.pointer))
        }
    }
}
