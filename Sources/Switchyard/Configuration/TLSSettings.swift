import Yams

/// The certificate chain and key the client-facing listener presents.
///
/// Only the paths are kept: the server loads them, so a reload can re-read renewed files without the
/// configuration changing. They are checked for readability here so `check` catches a wrong path.
public struct TLSSettings: Sendable, Equatable {
    /// Absolute path of the PEM certificate chain, leaf first.
    public var certificatePath: String
    /// Absolute path of the PEM private key.
    public var privateKeyPath: String
}

extension ConfigurationDecoder {
    func tlsSettings(_ node: Node, at path: ConfigurationKeyPath) -> TLSSettings? {
        guard let map = mapping(node, at: path) else { return nil }
        map.rejectUnknownKeys(known: ["certificate", "privateKey"])
        let certificate = map.filePath("certificate", required: true)
        let privateKey = map.filePath("privateKey", required: true)
        guard let certificate, let privateKey else { return nil }
        return TLSSettings(certificatePath: certificate, privateKeyPath: privateKey)
    }
}
