-- RFC 9457 problem documents, as the gateway writes them (SwitchyardDevices/Problem.swift):
-- type, title, status, detail, code, requestId, then fields and upstream when there are any.

local json = require "devicegw.json"

local _M = {}

-- code → { status, title, the start of the document up to `"detail":` }
local CODES = {}
for _, row in ipairs {
    { "invalid_request", 400, "Invalid request" },
    { "unauthenticated", 401, "Unauthenticated" },
    { "insufficient_scope", 403, "Insufficient scope" },
    { "device_not_found", 404, "Device not found" },
    { "not_found", 404, "Not found" },
    { "method_not_allowed", 405, "Method not allowed" },
    { "not_acceptable", 406, "Not acceptable" },
    { "conflict", 409, "Conflict" },
    { "payload_too_large", 413, "Payload too large" },
    { "unsupported_media_type", 415, "Unsupported media type" },
    { "unsupported_field", 422, "Unsupported field" },
    { "validation_failed", 422, "Validation failed" },
    { "rate_limited", 429, "Rate limited" },
    { "upstream_rate_limited", 429, "Upstream rate limited" },
    { "internal_error", 500, "Internal error" },
    { "unsupported_operation", 501, "Unsupported operation" },
    { "upstream_auth_failed", 502, "Upstream authentication failed" },
    { "upstream_error", 502, "Upstream error" },
    { "upstream_unavailable", 503, "Upstream unavailable" },
    { "upstream_timeout", 504, "Upstream timeout" },
} do
    local code, status, title = row[1], row[2], row[3]
    CODES[code] = {
        status = status,
        head = '{"type":"https://switchyard.dev/problems/' .. code:gsub("_", "-") .. '","title":"' .. title
            .. '","status":' .. status .. ',"detail":',
        code_member = ',"code":"' .. code .. '","requestId":',
    }
end

function _M.status(code)
    return CODES[code].status
end

-- The document for `code`. `fields`: list of {pointer, reason}; `upstream`: {status, code,
-- message} as the vendor answered (code and message may be nil).
function _M.body(code, detail, request_id, fields, upstream)
    local c = CODES[code]
    json.reset()
    json.raw(c.head)
    json.string(detail)
    json.raw(c.code_member)
    json.string(request_id)
    if fields and #fields > 0 then
        json.raw(',"fields":[')
        for i = 1, math.min(#fields, 100) do
            if i > 1 then
                json.raw(",")
            end
            json.raw('{"pointer":')
            json.string(fields[i][1])
            json.raw(',"reason":')
            json.string(fields[i][2])
            json.raw("}")
        end
        json.raw("]")
    end
    if upstream then
        json.raw(',"upstream":{"status":' .. upstream[1])
        if upstream[2] then
            json.raw(',"code":')
            json.string(upstream[2])
        end
        if upstream[3] then
            json.raw(',"message":')
            json.string(upstream[3])
        end
        json.raw("}")
    end
    json.raw("}")
    return json.take()
end

return _M
