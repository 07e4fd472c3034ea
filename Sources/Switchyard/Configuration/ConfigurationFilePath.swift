import Foundation

/// Paths named in the configuration (certificates, keys, CA bundles, JWKS).
///
/// They are relative to the configuration file, not to the working directory, so a file and the
/// certificates beside it can move together and `switchyard check` gives the same answer wherever it
/// runs. Only `.` segments and repeated slashes are folded: `..` is left for the kernel, which knows
/// whether the segment before it is a symbolic link.
enum ConfigurationFilePath {
    static func resolve(_ path: String, against directory: String) -> String {
        let joined = path.hasPrefix("/") ? path : directory + "/" + path
        let segments = joined.split(separator: "/").filter { $0 != "." }
        return "/" + segments.joined(separator: "/")
    }

    /// Why the server would fail to open `path`, or `nil` when it can.
    static func whyUnreadable(_ path: String) -> String? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            return "no such file: \(path)"
        }
        if isDirectory.boolValue { return "\(path) is a directory, not a file" }
        if !FileManager.default.isReadableFile(atPath: path) { return "cannot read \(path) (permission denied)" }
        return nil
    }
}
