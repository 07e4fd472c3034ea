-- What every vendor adapter shares: its description completed from its few declarations, and
-- the problem for a vendor's error answer (the gateway's ErrorCatalogue).
--
-- One difference from the gateway, by design of a proxy that rewrites the answer in a body
-- filter: the client's status is decided in the header filter, from the vendor's status alone,
-- before the body is read. So a vendor error is matched by status (each vendor's own rows, then
-- the fallbacks), not by the vendor's error code as well; the code and message still go into the
-- problem's `upstream` member.

local document = require "devicegw.document"
local json = require "devicegw.json"

local KINDS = document.KINDS
local gsub = string.gsub
local find = string.find
local format = string.format
local byte = string.byte
local type = type
local tonumber = tonumber

local _M = {}

-- Completes an adapter: `kinds` (the addressable kinds, the primary one first: how a new
-- device's id is chosen), `addressable_list` for messages, `storable` as a set of field numbers.
function _M.adapter(adapter)
    local kinds = {}
    if adapter.primary then
        kinds[1] = adapter.primary
    end
    for _, kind in ipairs(KINDS) do
        if adapter.addressable[kind] and kind ~= adapter.primary then
            kinds[#kinds + 1] = kind
        end
    end
    adapter.kinds = kinds
    local names = {}
    for _, kind in ipairs(KINDS) do
        if adapter.addressable[kind] then
            names[#names + 1] = kind
        end
    end
    adapter.addressable_list = table.concat(names, ", ")
    local storable = {}
    for _, name in ipairs(adapter.storable_fields) do
        storable[assert(document.F[name], name)] = true
    end
    adapter.storable = storable
    return adapter
end

-- Answers no vendor document lists, by status (the gateway's ErrorCatalogue.fallbackRows).
local FALLBACK = {
    [400] = { "validation_failed", "An undocumented 400: the vendor refused a value." },
    [401] = { "upstream_auth_failed", "The vendor refused the gateway's credentials." },
    [403] = { "upstream_auth_failed", "The vendor refused the gateway's credentials." },
    [404] = { "device_not_found", "The vendor does not know the device." },
    [409] = { "conflict", "The vendor reports a conflict." },
    [422] = { "validation_failed", "The vendor refused a value." },
    [429] = { "upstream_rate_limited", "The vendor's rate limit; its Retry-After is passed on (else 1)." },
}
local OTHER = { "upstream_error",
    "Any other undocumented answer (other 4xx, every 5xx, 1xx/3xx, a 2xx where none is expected)." }

-- The problem {code, detail} for a vendor's error status: the vendor's row, else the fallback.
function _M.error_row(rows, status)
    return rows[status] or FALLBACK[status] or OTHER
end

-- A vendor's Retry-After when it is delay-seconds (1 to 3600), else 1.
function _M.retry_after(value)
    local seconds = type(value) == "string" and value:match("^%d+$") and tonumber(value)
    if seconds and seconds >= 1 and seconds <= 3600 then
        return value
    end
    return "1"
end

-- A UTF-8 prefix of at most `limit` bytes, cut on a character boundary.
function _M.cut(text, limit)
    if #text <= limit then
        return text
    end
    local stop = limit
    -- The byte after the cut continues a character: drop that character's bytes before the cut.
    local after = byte(text, limit + 1)
    if after >= 0x80 and after < 0xC0 then
        while stop > 0 and byte(text, stop) >= 0x80 and byte(text, stop) < 0xC0 do
            stop = stop - 1
        end
        stop = stop - 1
    end
    return text:sub(1, stop)
end

-- RFC 3986 unreserved characters as they are, every other byte as %XX.
local PERCENT = {}
for code = 0, 255 do
    PERCENT[string.char(code)] = format("%%%02X", code)
end
function _M.path_segment(text)
    if not find(text, "[^%w%-%._~]") then
        return text
    end
    return (gsub(text, "[^%w%-%._~]", PERCENT))
end

-- A vendor's answer body as a JSON object, or nil.
function _M.object(body)
    local value = json.decode(body)
    if type(value) == "table" and json.is_object(value) then
        return value
    end
    return nil
end

return _M
