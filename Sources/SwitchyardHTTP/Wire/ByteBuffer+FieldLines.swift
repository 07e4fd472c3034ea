import SwitchyardIO

extension ByteBuffer {
    /// Writes `name: value` field lines, each preceded by CRLF (the line before them is left
    /// open, so callers end the head with one "\r\n\r\n"). Shared by responses and upstream requests.
    func appendFieldLines(_ fields: [(name: String, value: String)]) {
        for (name, value) in fields {
            append("\r\n" as StaticString)
            append(name)
            append(": " as StaticString)
            append(value)
        }
    }
}
