import SwitchyardDevices
import SwitchyardIO

/// What a credential may do, as named in JWT `scope` claims and API-key entries.
///
/// A closed set so a misspelt scope in the configuration is an error at load time instead of a key
/// that silently gets 403 on every request.
public enum Scope: String, Sendable, CaseIterable, CaseKeyed, CaseSetElement {
    /// `POST /devices` and `PATCH /devices/{id}`.
    case devicesWrite = "devices:write"
    /// `PATCH /devices`.
    case devicesBulk = "devices:bulk"

    /// A credential's scopes are a `CaseSet`: asked on every request, a bit where a `Set` hashes.
    public var caseBit: Int { Int(caseIndex) }
}
