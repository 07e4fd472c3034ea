/// The release this build is: what `switchyard --version` prints and `GET /-/version` on the admin
/// listener answers, so an operator can tell which build each replica runs. Semantic versioning;
/// CHANGELOG.md lists what each release changed.
public enum SwitchyardVersion {
    public static let number = "0.5.0"
}
