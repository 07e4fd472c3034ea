-- Cisco (Jasper) Control Center, "Edit Device Details": PUT /rws/api/v1/devices/{iccid} with
-- HTTP Basic `username:apiKey` and the changed parameters as JSON; 200 (or 202 for a change
-- scheduled by effectiveDate) with {"iccid": …}. The gateway's ControlCenterAdapter, for one SIM.

local document = require "devicegw.document"
local json = require "devicegw.json"
local vendor = require "devicegw.vendor"

local F = document.F
local type = type
local tostring = tostring

-- The body parameters in the document's canonical order, each field and the vendor's name for it;
-- iccid travels in the path and effectiveAt becomes effectiveDate.
local PARAMETERS = {
    { F.deviceId, "deviceID" }, { F.ipv4, "ipv4Address" }, { F.ipv6, "ipv6Address" }, { F.apn, "apn" },
    { F.pdpId, "pdpId" }, { F["sim.status"], "status" }, { F["sim.ratePlan"], "ratePlan" },
    { F["sim.communicationPlan"], "communicationPlan" }, { F["sim.customer"], "customer" },
    { F["sim.modemId"], "modemID" }, { F["sim.overageLimitOverride"], "overageLimitOverride" },
}
local storable = { "iccid", "effectiveAt" }
for field = 1, document.COUNT do
    if document.GROUP[field] == "custom" then
        PARAMETERS[#PARAMETERS + 1] = { field, document.MEMBER[field] }
    end
end
for _, parameter in ipairs(PARAMETERS) do
    local field = parameter[1]
    storable[#storable + 1] = document.GROUP[field] and (document.GROUP[field] .. "." .. document.MEMBER[field])
        or document.MEMBER[field]
    parameter[3] = '"' .. parameter[2] .. '":'  -- the member's key, made once
end

local MAX_DAYS_AHEAD = 180
local NOTHING_TO_CHANGE = "at least one of deviceId, ipv4, ipv6, apn, pdpId, sim.status, sim.ratePlan, "
    .. "sim.communicationPlan, sim.customer, sim.modemId, sim.overageLimitOverride or a custom field"

local _M = vendor.adapter {
    name = "control-center",
    primary = "iccid",
    addressable = { iccid = true },
    supports_upsert = false,
    storable_fields = storable,
}

-- The vendor's rules (422 validation_failed), checked before anything is sent.
function _M.validate(change, now)
    local doc = change.doc
    local errors
    local effective_at = doc[F.effectiveAt]
    if effective_at then
        local seconds = document.rfc3339_seconds(effective_at)
        if seconds and seconds - now > MAX_DAYS_AHEAD * 86400 then
            errors = { { "/effectiveAt", "at most 180 days ahead" } }
        end
    end
    local any = false
    for i = 1, #PARAMETERS do
        if doc[PARAMETERS[i][1]] ~= nil then
            any = true
            break
        end
    end
    if not any then
        errors = errors or {}
        errors[#errors + 1] = { "", NOTHING_TO_CHANGE }
    end
    if doc[F.ipv4] ~= nil or doc[F.ipv6] ~= nil then
        for _, name in ipairs { "apn", "pdpId" } do
            if doc[F[name]] == nil then
                errors = errors or {}
                errors[#errors + 1] = { "/" .. name, "required with ipv4 or ipv6" }
            end
        end
    end
    if errors then
        return { "validation_failed", "The change does not meet the device vendor's rules; nothing was sent.", errors }
    end
    return nil
end

-- The tenant's Authorization value, made once per configuration.
function _M.authorization(credentials)
    return "Basic " .. ngx.encode_base64(credentials.username .. ":" .. credentials.api_key)
end

-- The vendor call: method, path (after the tenant's upstream prefix), body.
function _M.request(change)
    local doc = change.doc
    json.reset()
    json.raw("{")
    local first = true
    for i = 1, #PARAMETERS do
        local parameter = PARAMETERS[i]
        local value = doc[parameter[1]]
        if value ~= nil then
            if not first then
                json.raw(",")
            end
            first = false
            json.raw(parameter[3])
            json.string(value)
        end
    end
    local effective_at = doc[F.effectiveAt]
    local seconds = effective_at and document.rfc3339_seconds(effective_at)
    if seconds then
        if not first then
            json.raw(",")
        end
        json.raw('"effectiveDate":')
        json.string(os.date("!%Y-%m-%dT%H:%M:%SZ", math.floor(seconds)))
    end
    json.raw("}")
    return ngx.HTTP_PUT, "/rws/api/v1/devices/" .. vendor.path_segment(change.id), json.take()
end

-- The client's status for a vendor status that means success, else nil.
function _M.success_status(status)
    if status == 200 or status == 202 then
        return status
    end
    return nil
end

-- The client's answer for a success: the device document, or nil and why the vendor's answer
-- can't be read.
function _M.answer(change, body)
    local object = vendor.object(body)
    local iccid = object and object.iccid
    if type(iccid) ~= "string" then
        return nil, 'no "iccid" string'
    end
    -- The answer names the SIM the vendor changed; another one is no answer to this request.
    if iccid ~= change.id then
        return nil, "it names another ICCID"
    end
    return document.answer(change, { [F.iccid] = iccid }, _M)
end

-- Error answers by status: the vendor document's rows that match by status alone, and for the
-- statuses whose rows need the error code, the commonest meaning.
_M.error_rows = {
    [400] = { "validation_failed", "The vendor refused a value of the change (its errorCode says which)." },
    [401] = { "upstream_auth_failed",
        "Invalid credentials: the gateway's username or API key is wrong, or its address is outside the account's allowed range." },
    [404] = { "device_not_found", "Resource not found: no SIM with this ICCID." },
    [429] = { "upstream_rate_limited",
        "Rate limit exceeded: over the 5 calls per second per account (docs/VENDORS.md); the code is from the vendor's general error list, not this endpoint's page." },
    [500] = { "upstream_error", "Unknown server error." },
}

-- The vendor's own code and message, for the problem's `upstream` member.
function _M.diagnostic(body)
    local object = vendor.object(body)
    if not object then
        return nil, nil
    end
    local code, message = object.errorCode, object.errorMessage
    if type(code) == "number" then
        code = tostring(code)
    elseif type(code) ~= "string" then
        code = nil
    end
    return code, type(message) == "string" and message or nil
end

return _M
