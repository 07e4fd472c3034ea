/// The release this build is: what `switchyard --version` prints and `GET /-/version` on the admin
/// listener answers, so an operator can tell which build each replica runs. Semantic versioning;
/// CHANGELOG.md lists what each release changed.
public enum SwitchyardVersion {
    public static let number = "0.5.0"
    /// The git commit the build was made from (12 hex digits, `-dirty` with uncommitted changes to
    /// tracked files), when the build knew it: nil when built outside a git checkout.
    public static let commit: String? = BuildCommit.hash

    /// `0.5.0 (commit 0123456789ab)`, or the number alone.
    public static var text: String {
        commit.map { "\(number) (commit \($0))" } ?? number
    }
}
