import SwitchyardDevices
import SwitchyardHTTP
import SwitchyardJSON

/// A `/devices` request's body, as the read-body phase takes it (API.md §2): JSON only, inflated
/// when gzip, within the limits. A body that fails here is refused before the rate limit, so it
/// costs the tenant no budget.
enum RequestBody {
    /// `Accept` (406), `Content-Type` (415), `Content-Encoding` (gzip within `maxBodyBytes`,
    /// else 413; other codings 415), then strict JSON (400). nil for an empty body.
    static func read(_ bytes: [UInt8], of head: HTTPRequestHead, limits: Limits, gunzip: GzipDecoder,
                     objects: JSONObject.Pool) -> Result<JSONValue?, Problem> {
        guard ContentNegotiation.acceptsJSON(head) else {
            return .failure(Problem(.notAcceptable, detail: "Answers are application/json or application/problem+json; Accept admits neither."))
        }
        guard !bytes.isEmpty else { return .success(nil) }
        guard ContentNegotiation.isJSON(head) else {
            return .failure(Problem(.unsupportedMediaType, detail: "The body must be application/json (UTF-8)."))
        }
        var bytes = bytes
        switch head.firstValue(.contentEncoding)?.lowercased() {
        case nil, "identity":
            break
        case "gzip":
            do {
                bytes = try gunzip.decompress(bytes, limit: limits.maxBodyBytes)
            } catch .tooLarge {
                return .failure(Problem(.payloadTooLarge, detail: "The body inflates past \(limits.maxBodyBytes) bytes."))
            } catch {
                return .failure(Problem(.invalidRequest, detail: "The gzip body could not be decoded: \(error)."))
            }
        default:
            return .failure(Problem(.unsupportedMediaType, detail: "The only content coding accepted is gzip."))
        }
        do {
            return .success(try JSONParser.parse(bytes, objects: objects))
        } catch {
            return .failure(Problem(.invalidRequest, detail: "The body is not valid JSON: \(error)."))
        }
    }
}
