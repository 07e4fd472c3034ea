#if canImport(Glibc)
import Glibc
#endif

/// Writes a line to standard error: problems go there so scripts can keep stdout clean.
func printError(_ message: String) {
    writeLine(message, to: 2)
}

/// Writes to standard output at once. `print` buffers when stdout is a pipe or a file, and a
/// command that then waits for a signal would never show what it printed.
func printNow(_ message: String) {
    writeLine(message, to: 1)
}

/// `write(2)` on the descriptor rather than Glibc's `stdout`/`stderr` globals, which Swift 6
/// treats as shared mutable state.
private func writeLine(_ message: String, to descriptor: Int32) {
    var line = message
    if !line.hasSuffix("\n") { line += "\n" }
    line.withUTF8 { bytes in _ = write(descriptor, bytes.baseAddress, bytes.count) }
}
