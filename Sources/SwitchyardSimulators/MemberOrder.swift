import Foundation
import SwitchyardJSON

/// The order the simulators write the members of an object kept as a dictionary: the order
/// Foundation's `JSONSerialization` gave them with `.sortedKeys`, which wrote the simulators'
/// answers before SwitchyardJSON did, so that answers and control API listings keep their bytes.
/// It is not code-point order: digits compare by value and case counts last (`accountCustom2`
/// before `accountCustom10`, `sessionEnd` before `SessionEvtType`).
enum MemberOrder {
    static func sorted<Value>(_ members: [String: Value]) -> [(name: String, value: Value)] {
        members.sorted { precedes($0.key, $1.key) }.map { (name: $0.key, value: $0.value) }
    }

    static func precedes(_ name: String, _ other: String) -> Bool {
        name.compare(other, options: [.numeric, .caseInsensitive, .forcedOrdering], locale: systemLocale) == .orderedAscending
    }

    /// `NSLocale.system`, the root locale: the same order whatever the process's locale is.
    private static let systemLocale = Locale(identifier: "")
}

extension JSONObject {
    /// An object of `members` in `MemberOrder`.
    init(sorting members: [String: JSONValue]) {
        self.init(MemberOrder.sorted(members))
    }

    /// An object of string members in `MemberOrder`.
    init(sorting strings: [String: String]) {
        self.init(sorting: strings.mapValues(JSONValue.string))
    }
}
