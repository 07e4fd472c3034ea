#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error: problems go there so scripts can keep stdout clean.
/// (`write(2)` on fd 2 rather than Glibc's `stderr` global, which Swift 6 treats as shared state.)
func printError(_ message: String) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    line.withUTF8 { bytes in _ = write(2, bytes.baseAddress, bytes.count) }
}
