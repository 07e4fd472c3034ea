-- Zequenze GATE, POST /device_app_user_update/: one user record, found by any of its identifiers
-- and updated with the rest. The body is {"data": "<a JSON object as a string>"}: the inner
-- object is written first and its text is then a string value of the outer one, so every quote
-- and backslash of a value is escaped twice. Gate answers 201 with the whole record (the
-- password included, which never goes back to a client). The gateway's GateAdapter.

local document = require "devicegw.document"
local json = require "devicegw.json"
local vendor = require "devicegw.vendor"

local F = document.F
local KIND_FIELD = document.KIND_FIELD
local ACCESS = document.ACCESS
local escaped = json.escaped
local type = type
local pairs = pairs

-- The members of `data` in the document's order, which is also the order they are sent in.
local MEMBERS = {
    { "number", F.msisdn }, { "generic_id", F.deviceId }, { "imei", F.imei }, { "imsi", F.imsi },
    { "iccid", F.iccid }, { "username", F["user.username"] }, { "password", F["user.password"] },
    { "user_external_id", F["user.externalId"] }, { "user_class", F["user.class"] },
}
for _, member in ipairs(MEMBERS) do
    member[3] = '"' .. member[1] .. '":'
end

local _M = vendor.adapter {
    name = "gate",
    primary = nil,  -- gate finds a user by whichever identifier it is given
    addressable = { iccid = true, imei = true, imsi = true, msisdn = true, deviceId = true },
    supports_upsert = true,
    storable_fields = { "msisdn", "deviceId", "imei", "imsi", "iccid", "user.username", "user.password",
                        "user.externalId", "user.class" },
}

-- Gate's own rules are its answer's business.
function _M.validate()
    return nil
end

function _M.authorization(credentials)
    return "Bearer " .. credentials.token
end

function _M.request(change)
    local doc = change.doc
    -- An update names the user by its id; the document can't hold another value of that kind.
    local id_field = change.kind and KIND_FIELD[change.kind]
    json.reset()
    json.raw("{")
    local first = true
    for i = 1, #MEMBERS do
        local member = MEMBERS[i]
        local field = member[2]
        local value = doc[field]
        if value == nil and field == id_field then
            value = change.id
        end
        if value ~= nil then
            if not first then
                json.raw(",")
            end
            first = false
            json.raw(member[3])
            json.string(value)
        end
    end
    json.raw("}")
    local data = json.take()
    return ngx.HTTP_POST, "/device_app_user_update/", '{"data":"' .. escaped(data) .. '"}'
end

-- Gate says 201 whether the user was changed or found by an upsert: an upsert is 201, an update 200.
function _M.success_status(status, change)
    if status == 201 then
        return change.operation == "upsert" and 201 or 200
    end
    return nil
end

function _M.answer(change, body)
    local record = vendor.object(body)
    if not record then
        return nil, "the 201 body is not a JSON object"
    end
    local confirmed = {}
    for i = 1, #MEMBERS do
        local member = MEMBERS[i]
        local field = member[2]
        if ACCESS[field] ~= "wo" then
            local value = record[member[1]]
            if type(value) == "string" then
                confirmed[field] = value
            elseif value ~= nil and value ~= json.null then
                -- A DRF serializer writes an unset nullable field as null; anything else is wrong.
                return nil, member[1] .. " is " .. json.type_name(value) .. ", not a string"
            end
        end
    end
    return document.answer(change, confirmed, _M)
end

_M.error_rows = {
    [400] = { "validation_failed", "Gate refused the data: invalid format or no identifier to find the user by." },
    [401] = { "upstream_auth_failed", "Gate refused the tenant's bearer token (credentials.token)." },
    [404] = { "device_not_found", "No gate user has any of the identifiers sent (\"User not found\")." },
    [422] = { "validation_failed", "Gate refused a value (its message names the field)." },
    [429] = { "upstream_rate_limited", "Gate's rate limit; its Retry-After is passed on." },
    [500] = { "upstream_error", "Gate failed internally." },
}

-- Gate's message: DRF's {"detail": …}, or field name → list of messages, or a text body.
-- A message that repeats the password sent is withheld.
function _M.diagnostic(body, change)
    local password = change.doc[F["user.password"]]
    local message
    local object = vendor.object(body)
    if object then
        if type(object.detail) == "string" then
            message = object.detail
        else
            local parts = {}
            for name, value in pairs(object) do
                if type(value) == "table" and #value > 0 then
                    local texts = {}
                    for i = 1, #value do
                        if type(value[i]) == "string" then
                            texts[#texts + 1] = value[i]
                        end
                    end
                    if #texts > 0 then
                        parts[#parts + 1] = name .. ": " .. table.concat(texts, " ")
                    end
                end
            end
            message = #parts > 0 and table.concat(parts, "; ") or nil
        end
    elseif json.decode(body) == nil then
        local text = body:match("^%s*(.-)%s*$")
        message = text ~= "" and text:sub(1, 200) or nil
    end
    if message and password and message:find(password, 1, true) then
        message = "(gate's message repeated the password and is withheld)"
    end
    return nil, message
end

return _M
