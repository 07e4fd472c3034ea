import SwitchyardHTTP
import SwitchyardJSON

extension HTTPResponse {
    /// A JSON object answer with the vendor's content type; `members` writes what is inside the
    /// braces, in `MemberOrder` where the answer's members were ever sorted.
    static func json(_ status: Int, headers: [(name: String, value: String)] = [],
                     _ members: (inout JSONWriter) -> Void) -> HTTPResponse {
        var json = JSONWriter()
        json.beginObject()
        members(&json)
        json.endObject()
        return HTTPResponse(status: status, headers: [("content-type", "application/json")] + headers, body: json.bytes)
    }

    /// A document kept as a value (a vendor's state, a device), its members in their order.
    static func json(_ status: Int, _ document: JSONObject) -> HTTPResponse {
        HTTPResponse(status: status, headers: [("content-type", "application/json")], body: document.jsonBytes)
    }
}

extension JSONObject {
    /// The object as JSON text, members in their order.
    var jsonBytes: [UInt8] {
        var json = JSONWriter()
        json.value(.object(self))
        return json.bytes
    }
}
