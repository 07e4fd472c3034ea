/// Where a node sits in the document, spelled the way operators write it: `tenants.acme.upstream`,
/// `auth.apiKeys[2].scopes[0]`.
struct ConfigurationKeyPath: CustomStringConvertible {
    let description: String

    static let root = ConfigurationKeyPath(description: "")

    func appending(_ key: String) -> ConfigurationKeyPath {
        ConfigurationKeyPath(description: description.isEmpty ? key : "\(description).\(key)")
    }

    func appending(index: Int) -> ConfigurationKeyPath {
        ConfigurationKeyPath(description: "\(description)[\(index)]")
    }
}
