import SwitchyardDevices
import Yams

/// A static API key, stored as the SHA-256 of the key so the file never holds a usable credential.
///
/// The tenant comes from the entry, never from the request (API.md §1.2), which is why the tenant
/// must exist when the file is loaded.
public struct APIKey: Sendable, Equatable {
    /// 64 lowercase hexadecimal characters.
    public var sha256: String
    /// Name of a configured tenant.
    public var tenant: String
    /// Never empty.
    public var scopes: CaseSet<Scope>
}

extension ConfigurationDecoder {
    /// `tenantNames` is every name under `tenants`, or `nil` when that section was unusable (then
    /// references are not checked, rather than each reported as a second error).
    func apiKeys(_ node: Node, at path: ConfigurationKeyPath, tenantNames: Set<String>?) -> [APIKey] {
        guard let items = sequence(node, at: path) else { return [] }
        var keys: [APIKey] = []
        var firstIndexOfHash: [String: Int] = [:]
        for (index, item) in items.enumerated() {
            let itemPath = path.appending(index: index)
            guard let map = mapping(item, at: itemPath) else { continue }
            map.rejectUnknownKeys(known: ["sha256", "tenant", "scopes"])
            let sha256 = map.decode("sha256", required: true) { node, path in
                keyHash(node, at: path, index: index, firstIndexOfHash: &firstIndexOfHash)
            }
            let tenant = map.decode("tenant", required: true) { node, path in
                tenantReference(node, at: path, tenantNames: tenantNames)
            }
            let scopes = map.decode("scopes", required: true) { self.scopes($0, at: $1) }
            if let sha256, let tenant, let scopes {
                keys.append(APIKey(sha256: sha256, tenant: tenant, scopes: scopes))
            }
        }
        return keys
    }

    /// The hash is not echoed: for a short key it is as good as the key itself.
    private func keyHash(
        _ node: Node, at path: ConfigurationKeyPath, index: Int, firstIndexOfHash: inout [String: Int]
    ) -> String? {
        guard let text = string(node, at: path) else { return nil }
        let hash = text.lowercased()
        guard hash.utf8.count == 64, hash.allSatisfy({ $0.isASCII && $0.isHexDigit }) else {
            report("expected the key's SHA-256 as 64 hexadecimal characters (printf %s KEY | sha256sum)",
                   at: path, node: node)
            return nil
        }
        if let first = firstIndexOfHash[hash] {
            report("the same key is already listed as auth.apiKeys[\(first)]; a key belongs to one tenant",
                   at: path, node: node)
            return nil
        }
        firstIndexOfHash[hash] = index
        return hash
    }

    private func tenantReference(_ node: Node, at path: ConfigurationKeyPath, tenantNames: Set<String>?) -> String? {
        guard let name = string(node, at: path) else { return nil }
        if let tenantNames, !tenantNames.contains(name) {
            let hint = KeySuggestion.closest(to: name, among: tenantNames.sorted()).map { " (did you mean \"\($0)\"?)" } ?? ""
            report("no tenant named \(quoted(name)) is configured\(hint)", at: path, node: node)
            return nil
        }
        return name
    }

    private func scopes(_ node: Node, at path: ConfigurationKeyPath) -> CaseSet<Scope>? {
        guard let items = sequence(node, at: path) else { return nil }
        guard !items.isEmpty else {
            report("must list at least one scope (\(Scope.allCases.map(\.rawValue).joined(separator: ", ")))",
                   at: path, node: node)
            return nil
        }
        var scopes = CaseSet<Scope>()
        var valid = true
        for (index, item) in items.enumerated() {
            if let scope: Scope = choice(item, at: path.appending(index: index), noun: "scope") {
                scopes.insert(scope)
            } else {
                valid = false
            }
        }
        return valid ? scopes : nil
    }
}
