-- The unified device document (docs/API.md §2): its fields in canonical order, each field's
-- format rule, typed device ids (`iccid:8988…`), reading a client's document out of decoded JSON,
-- and writing a device answer. What the gateway's SwitchyardDevices does, for the vendors this
-- gateway serves.

local ffi = require "ffi"
local json = require "devicegw.json"

local byte = string.byte
local find = string.find
local sub = string.sub
local gsub = string.gsub
local match = string.match
local tonumber = tonumber
local type = type
local pairs = pairs
local floor = math.floor
local min = math.min

local _M = {}

ffi.cdef [[
int inet_pton(int af, const char *src, void *dst);
]]
local AF_INET, AF_INET6 = 2, 10
local address_buffer = ffi.new("unsigned char[16]")

-- Rules: each returns the value in canonical form, or nil and the reason (never the value).

local function digits(lo, hi, rule)
    return function(value)
        local n = #value
        if n >= lo and n <= hi and not find(value, "%D") then
            return value
        end
        return nil, rule
    end
end

local function one_of(list)
    local set, names = {}, {}
    for i, name in ipairs(list) do
        set[name] = true
        names[i] = name
    end
    table.sort(names)
    local rule = "one of " .. table.concat(names, ", ")
    return function(value)
        if set[value] then
            return value
        end
        return nil, rule
    end
end

-- Characters, not bytes: UTF-8 continuation bytes are not counted.
local function characters(value)
    local n = #value
    if n <= 2000 then
        return n  -- at most that many characters: the limit can't be passed
    end
    local _, continuation = gsub(value, "[\128-\191]", "")
    return n - continuation
end

local MAX_LENGTH = 2000

local function text(value)
    if value == "" then
        return nil, "must not be empty"
    end
    if characters(value) > MAX_LENGTH then
        return nil, "at most 2000 characters"
    end
    return value
end

-- Control Center's custom fields: blank clears a combo box, so "" is a value.
local function custom(value)
    if characters(value) > MAX_LENGTH then
        return nil, "at most 2000 characters"
    end
    return value
end

local function msisdn(value)
    local digits_part = byte(value, 1) == 43 and sub(value, 2) or value  -- "+"
    local n = #digits_part
    if n >= 6 and n <= 15 and not find(digits_part, "%D") then
        return value
    end
    return nil, "6 to 15 digits, optionally after a +"
end

local MAC_RULE = "a MAC address: 12 hex digits, optionally in pairs separated by : or -"
local function mac(value)
    local hex = gsub(value, "[:%-%.]", "")
    if #hex ~= 12 or find(hex, "%X") then
        return nil, MAC_RULE
    end
    local separators = #value - 12
    if separators == 5 then
        if #value ~= 17 then
            return nil, MAC_RULE
        end
        local sep = sub(value, 3, 3)
        for i = 3, 15, 3 do
            if sub(value, i, i) ~= sep then
                return nil, MAC_RULE
            end
        end
        if sep == "." then
            return nil, MAC_RULE
        end
    elseif separators == 2 then
        if #value ~= 14 or sub(value, 5, 5) ~= "." or sub(value, 10, 10) ~= "." then
            return nil, MAC_RULE
        end
    elseif separators ~= 0 then
        return nil, MAC_RULE
    end
    return (string.upper(hex))
end

local function address(family, rule)
    return function(value)
        if #value <= 45 and ffi.C.inet_pton(family, value, address_buffer) == 1 then
            return value
        end
        return nil, rule
    end
end

local function user_id(value)
    local n = characters(value)
    if n >= 1 and n <= 254 then
        return value
    end
    return nil, "a user id is 1 to 254 characters"
end

-- RFC 3339 date-time: seconds since 1970, or nil.
local MONTH_DAYS = { 31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31 }
local function rfc3339_seconds(value)
    local y, mo, d, sep, h, mi, s, rest = match(value, "^(%d%d%d%d)%-(%d%d)%-(%d%d)([Tt])(%d%d):(%d%d):(%d%d)(.*)$")
    if not y then
        return nil
    end
    y, mo, d, h, mi, s = tonumber(y), tonumber(mo), tonumber(d), tonumber(h), tonumber(mi), tonumber(s)
    if mo < 1 or mo > 12 or h > 23 or mi > 59 or s > 60 then
        return nil
    end
    local days_in_month = MONTH_DAYS[mo]
    if mo == 2 and y % 4 == 0 and (y % 100 ~= 0 or y % 400 == 0) then
        days_in_month = 29
    end
    if d < 1 or d > days_in_month then
        return nil
    end
    local fraction = 0
    local frac_digits, zone = match(rest, "^%.(%d+)(.*)$")
    if frac_digits then
        fraction = tonumber("0." .. frac_digits)
        rest = zone
    elseif byte(rest, 1) == 46 then
        return nil
    end
    local offset = 0
    if rest == "Z" or rest == "z" then
        offset = 0
    else
        local sign, oh, om = match(rest, "^([%+%-])(%d%d):(%d%d)$")
        if not sign then
            return nil
        end
        oh, om = tonumber(oh), tonumber(om)
        if oh > 23 or om > 59 then
            return nil
        end
        offset = (oh * 3600 + om * 60) * (sign == "+" and 1 or -1)
    end
    -- Days from civil (Howard Hinnant's algorithm), proleptic Gregorian.
    local yy = mo <= 2 and y - 1 or y
    local era = floor(yy / 400)
    local year_of_era = yy - era * 400
    local day_of_year = floor((153 * (mo + (mo > 2 and -3 or 9)) + 2) / 5) + d - 1
    local day_of_era = year_of_era * 365 + floor(year_of_era / 4) - floor(year_of_era / 100) + day_of_year
    local days = era * 146097 + day_of_era - 719468
    return days * 86400 + h * 3600 + mi * 60 + min(s, 59) - offset + fraction
end
_M.rfc3339_seconds = rfc3339_seconds

local function date_time(value)
    if rfc3339_seconds(value) then
        return value
    end
    return nil, "a date and time in RFC 3339 form, like 2026-12-01T00:00:00Z"
end

-- The fields, in canonical order (the order answers use): group (nil: top level), member, who
-- may set it ("rw", "wo": write-only, never answered; "ro": the vendor's, refused in requests),
-- its JSON type, its rule.
local FIELDS = {
    { nil, "iccid", "rw", "string", digits(19, 20, "an ICCID is 19 or 20 digits") },
    { nil, "imei", "rw", "string", digits(15, 15, "an IMEI is 15 digits") },
    { nil, "imsi", "rw", "string", digits(6, 15, "an IMSI is 6 to 15 digits (country and network code, then the subscriber)") },
    { nil, "msisdn", "rw", "string", msisdn },
    { nil, "mac", "rw", "string", mac },
    { nil, "deviceId", "rw", "string", text },
    { nil, "ipv4", "rw", "string", address(AF_INET, "an IPv4 address in dotted-decimal form") },
    { nil, "ipv6", "rw", "string", address(AF_INET6, "an IPv6 address") },
    { nil, "apn", "rw", "string", text },
    { nil, "pdpId", "rw", "string", text },
    { "user", "id", "rw", "string", user_id },
    { "user", "username", "rw", "string", text },
    { "user", "password", "wo", "string", text },
    { "user", "externalId", "rw", "string", text },
    { "user", "class", "rw", "string", text },
    { "push", "token", "rw", "string", text },
    { "push", "platform", "ro", "string", text },
    { "sim", "status", "rw", "string", one_of { "ACTIVATED", "ACTIVATION_READY", "DEACTIVATED", "INVENTORY", "PURGED",
                                                "REPLACED", "RETIRED", "TEST_READY" } },
    { "sim", "ratePlan", "rw", "string", text },
    { "sim", "communicationPlan", "rw", "string", text },
    { "sim", "customer", "rw", "string", text },
    { "sim", "modemId", "rw", "string", text },
    { "sim", "overageLimitOverride", "rw", "string", one_of { "DEFAULT", "TEMPORARY_OVERRIDE", "PERMANENT_OVERRIDE" } },
}
for i = 1, 5 do FIELDS[#FIELDS + 1] = { "custom", "operatorCustom" .. i, "rw", "string", custom } end
for i = 1, 10 do FIELDS[#FIELDS + 1] = { "custom", "accountCustom" .. i, "rw", "string", custom } end
for i = 1, 5 do FIELDS[#FIELDS + 1] = { "custom", "customerCustom" .. i, "rw", "string", custom } end
for _, row in ipairs {
    { "platform", "os", "rw", "string", text }, { "platform", "osVersion", "rw", "string", text },
    { "platform", "type", "rw", "string", text },
    { "app", "name", "rw", "string", text }, { "app", "version", "rw", "string", text },
    { "session", "event", "rw", "string", text },
    { nil, "effectiveAt", "rw", "string", date_time },
    { "state", "active", "ro", "boolean" }, { "state", "banned", "ro", "boolean" },
    { nil, "createdAt", "ro", "string", date_time }, { nil, "updatedAt", "ro", "string", date_time },
} do
    FIELDS[#FIELDS + 1] = row
end

local COUNT = #FIELDS
local GROUP, MEMBER, ACCESS, VALUE_TYPE, RULE = {}, {}, {}, {}, {}
local POINTER = {}
local MEMBER_KEY, GROUP_KEY = {}, {}  -- '"status":' and '"sim":{', made once
local BY_NAME = { [""] = {} }  -- group ("" for top level) → member → field number
local F = {}                   -- "sim.status" / "iccid" → field number
for i, row in ipairs(FIELDS) do
    local group, member = row[1], row[2]
    GROUP[i], MEMBER[i], ACCESS[i], VALUE_TYPE[i], RULE[i] = group, member, row[3], row[4], row[5]
    POINTER[i] = group and ("/" .. group .. "/" .. member) or ("/" .. member)
    MEMBER_KEY[i] = '"' .. member .. '":'
    if group then GROUP_KEY[group] = '"' .. group .. '":{' end
    BY_NAME[group or ""] = BY_NAME[group or ""] or {}
    BY_NAME[group or ""][member] = i
    F[group and (group .. "." .. member) or member] = i
end
_M.F = F
_M.COUNT = COUNT
_M.MEMBER = MEMBER
_M.GROUP = GROUP
_M.POINTER = POINTER
_M.ACCESS = ACCESS

-- The value in canonical form, or nil and why not.
function _M.check(field, value)
    return RULE[field](value)
end

-- Identifier kinds, in the gateway's order, and the field each is held in.
local KINDS = { "iccid", "imei", "imsi", "msisdn", "mac", "deviceId", "ipv4" }
local KIND_FIELD = {}
for _, kind in ipairs(KINDS) do KIND_FIELD[kind] = F[kind] end
_M.KINDS = KINDS
_M.KIND_FIELD = KIND_FIELD
local KIND_LIST = table.concat(KINDS, ", ")

-- RFC 6901: `~` as `~0`, `/` as `~1`.
local function escape_pointer(name)
    if not find(name, "[~/]") then
        return name
    end
    return (gsub(gsub(name, "~", "~0"), "/", "~1"))
end

-- A device id from the path (percent-decoded already): kind and canonical value, or nil and the
-- problem's detail. A bare value is of `primary`, the vendor's primary kind.
function _M.parse_id(id_text, primary)
    local colon = find(id_text, ":", 1, true)
    local prefix = colon and sub(id_text, 1, colon - 1)
    local kind, value, typed
    if prefix and KIND_FIELD[prefix] then
        kind, value, typed = prefix, sub(id_text, colon + 1), true
    elseif primary then
        kind, value, typed = primary, id_text, false
    elseif prefix then
        return nil, '"' .. prefix .. '" is not an identifier kind; use one of ' .. KIND_LIST .. "."
    else
        return nil, "A bare identifier needs a primary identifier kind, and this tenant's devices have none; write it as kind:value."
    end
    if value == "." or value == ".." then
        return nil, 'A device id cannot be "." or "..".'
    end
    local canonical, reason = RULE[KIND_FIELD[kind]](value)
    if not canonical then
        if not typed and kind ~= "mac" and prefix and prefix ~= "" and not find(prefix, "%A") then
            return nil, '"' .. prefix .. '" is not an identifier kind; use one of ' .. KIND_LIST .. "."
        end
        return nil, "The " .. kind .. " identifier is malformed: " .. reason .. "."
    end
    return kind, canonical
end

local function add(list, pointer, reason)
    list = list or {}
    list[#list + 1] = { pointer, reason }
    return list
end

local null = json.null
local type_name = json.type_name
local is_object = json.is_object

local function read_field(field, value, pointer, doc, r)
    if value == null then
        r.unsupported = add(r.unsupported, pointer, "fields cannot be removed (no vendor supports it)")
        return
    end
    if ACCESS[field] == "ro" then
        r.unsupported = add(r.unsupported, pointer, "set by the vendor; responses only")
        return
    end
    local vt = type(value)
    if VALUE_TYPE[field] == "string" then
        if vt ~= "string" then
            r.type_errors = add(r.type_errors, pointer, "expected a string, found " .. type_name(value))
            return
        end
        local canonical, reason = RULE[field](value)
        if canonical then
            doc[field] = canonical
        else
            r.invalid = add(r.invalid, pointer, reason)
        end
    elseif vt == "boolean" then
        doc[field] = value
    else
        r.type_errors = add(r.type_errors, pointer, "expected a boolean, found " .. type_name(value))
    end
end

-- Reads a client's device document (a decoded JSON object): the document (field number →
-- canonical value) and what is wrong with it, sorted by what the client must fix first:
-- `type_errors` (400), `unsupported` (422 unsupported_field), `invalid` (422 validation_failed),
-- each a list of {pointer, reason} or nil.
function _M.read(object)
    local doc = {}
    local r = { doc = doc }
    local top = BY_NAME[""]
    for name, value in pairs(object) do
        local group = BY_NAME[name]
        if group and name ~= "" then
            if type(value) == "table" and is_object(value) then
                for inner, inner_value in pairs(value) do
                    local field = group[inner]
                    local pointer = "/" .. escape_pointer(name) .. "/" .. escape_pointer(inner)
                    if field then
                        read_field(field, inner_value, pointer, doc, r)
                    else
                        r.unsupported = add(r.unsupported, pointer, "not a field of the device document")
                    end
                end
            elseif value == null then
                r.unsupported = add(r.unsupported, "/" .. name, "fields cannot be removed (no vendor supports it)")
            else
                r.type_errors = add(r.type_errors, "/" .. name, "expected an object, found " .. type_name(value))
            end
        else
            local field = top[name]
            if field then
                read_field(field, value, "/" .. escape_pointer(name), doc, r)
            else
                r.unsupported = add(r.unsupported, "/" .. escape_pointer(name), name == "id"
                    and "the device is addressed by the path; id appears in responses only"
                    or "not a field of the device document")
            end
        end
    end
    return r
end

-- The checks every change passes before a vendor sees it (the gateway's DeviceRequest.check):
-- types (400), what the vendor can never store (422), values (422), then the vendor's rules.
-- Returns the change {operation, kind, id, doc}, or nil and a problem {code, detail, fields}.
function _M.change(reading, operation, kind, id, adapter, now)
    if reading.type_errors then
        return nil, { "invalid_request", "Some members have the wrong JSON type.", reading.type_errors }
    end
    local unsupported = reading.unsupported
    if kind and not adapter.addressable[kind] then
        unsupported = unsupported or {}
        table.insert(unsupported, 1, { "/id", "this tenant's devices cannot be addressed by " .. kind .. "; use "
            .. adapter.addressable_list })
    end
    local doc = reading.doc
    local storable = adapter.storable
    for field = 1, COUNT do
        if doc[field] ~= nil and not storable[field] then
            unsupported = add(unsupported, POINTER[field], "this tenant's vendor cannot store it")
        end
    end
    if kind then
        local held = doc[KIND_FIELD[kind]]
        if held ~= nil and held ~= id then
            unsupported = add(unsupported, POINTER[KIND_FIELD[kind]],
                "the identifier the device is addressed by cannot be changed; address the device by another identifier")
        end
    end
    if unsupported then
        return nil, { "unsupported_field", "Some members cannot be stored by this tenant's vendor; nothing was sent.", unsupported }
    end
    if reading.invalid then
        return nil, { "validation_failed", "Some values are not valid; nothing was sent.", reading.invalid }
    end
    if operation == "upsert" then
        local found = false
        for _, k in ipairs(adapter.kinds) do
            if doc[KIND_FIELD[k]] ~= nil then
                found = true
                break
            end
        end
        if not found then
            return nil, { "validation_failed", "A device needs an identifier.", { { "", "needs one of " .. adapter.addressable_list } } }
        end
    end
    local change = { operation = operation, kind = kind, id = id, doc = doc }
    local problem = adapter.validate(change, now)
    if problem then
        return nil, problem
    end
    return change
end

-- The device as the answer states it (the gateway's DeviceAnswer.answered): what was sent (no
-- write-only field) with what the vendor confirmed laid over it, values that break their rule
-- left out, and the identifier the device is addressed by.
local function answered(change, confirmed)
    local doc = {}
    local sent = change.doc
    for field = 1, COUNT do
        local value = sent[field]
        if value ~= nil and ACCESS[field] ~= "wo" then
            doc[field] = value
        end
    end
    for field, value in pairs(confirmed) do
        if ACCESS[field] ~= "wo" then
            if type(value) == "string" then
                value = RULE[field](value)
            end
            if value ~= nil then
                doc[field] = value
            end
        end
    end
    if change.kind then
        local field = KIND_FIELD[change.kind]
        if doc[field] == nil then
            doc[field] = change.id
        end
    end
    return doc
end

-- Writes the answer for an accepted change: `id` first (the request's; for a new device an
-- identifier the client sent, the vendor's primary kind first, else one the vendor confirmed),
-- then the fields, each group as a nested object. Returns the JSON text.
function _M.answer(change, confirmed, adapter)
    local doc = answered(change, confirmed)
    local kind, id = change.kind, change.id
    if not kind then
        for _, k in ipairs(adapter.kinds) do
            if change.doc[KIND_FIELD[k]] ~= nil then
                kind = k
                break
            end
        end
        if not kind then
            for _, k in ipairs(adapter.kinds) do
                if doc[KIND_FIELD[k]] ~= nil then
                    kind = k
                    break
                end
            end
        end
        id = kind and doc[KIND_FIELD[kind]]
    end
    json.reset()
    json.raw("{")
    local first = true
    if kind and type(id) == "string" then
        json.raw('"id":')
        json.string(kind .. ":" .. id)
        first = false
    end
    local open = nil
    for field = 1, COUNT do
        local value = doc[field]
        if value ~= nil then
            local group = GROUP[field]
            if group ~= open then
                if open then
                    json.raw("}")
                end
                if group then
                    if not first then
                        json.raw(",")
                    end
                    json.raw(GROUP_KEY[group])
                    first = true
                end
                open = group
            end
            if not first then
                json.raw(",")
            end
            first = false
            json.raw(MEMBER_KEY[field])
            if type(value) == "string" then
                json.string(value)
            else
                json.raw(value and "true" or "false")
            end
        end
    end
    if open then
        json.raw("}")
    end
    json.raw("}")
    return json.take()
end

return _M
