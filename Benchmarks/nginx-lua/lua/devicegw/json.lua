-- JSON in and out for the device gateway.
--
-- In: lua-cjson (Debian's lua-cjson), one instance of its safe decoder per worker, nesting
-- bounded as the gateway bounds it (32 levels). Out: written by hand into one buffer per worker,
-- because every answer has a fixed member order (the device document's canonical order) that
-- cjson.encode, which walks a Lua table, cannot keep. Strings are escaped the way the gateway's
-- JSONWriter escapes them: `"` and `\`, \n \r \t, other control characters and DEL as \u00xx,
-- everything else (UTF-8 included) as it is.

local cjson_safe = require "cjson.safe"
local new_tab = require "table.new"
local clear_tab = require "table.clear"

local concat = table.concat
local find = string.find
local gsub = string.gsub
local format = string.format
local type = type
local next = next

local _M = {}

local decoder = cjson_safe.new()
decoder.decode_max_depth(32)
-- Bodies are JSON texts; numbers stay exact where Lua can hold them, nothing else is asked of them.
decoder.decode_invalid_numbers(false)

_M.null = decoder.null

-- Decoded value, or nil and cjson's reason.
function _M.decode(text)
    return decoder.decode(text)
end

-- A decoded JSON object (not an array, not a scalar). lua-cjson decodes both to tables: an
-- object is a table whose keys are not exactly 1..n. `{}` and `[]` both come out empty and are
-- taken as objects.
local function is_object(value)
    if type(value) ~= "table" then
        return false
    end
    local n = #value
    if n == 0 then
        return true
    end
    -- An array's keys are exactly 1..n; any other key makes it an object.
    local count = 0
    for _ in next, value do
        count = count + 1
        if count > n then
            return true
        end
    end
    return false
end
_M.is_object = is_object

-- The gateway's JSON type names, for "expected a string, found a number".
function _M.type_name(value)
    local t = type(value)
    if t == "string" then
        return "a string"
    elseif t == "number" then
        return "a number"
    elseif t == "boolean" then
        return "a boolean"
    elseif t == "table" then
        return is_object(value) and "an object" or "an array"
    end
    return "null"
end

local ESCAPES = { ['"'] = '\\"', ["\\"] = "\\\\", ["\n"] = "\\n", ["\r"] = "\\r", ["\t"] = "\\t" }
for code = 0, 31 do
    local c = string.char(code)
    ESCAPES[c] = ESCAPES[c] or format("\\u%04x", code)
end
ESCAPES["\127"] = "\\u007f"

-- The inside of a JSON string for `text`. Nearly every value needs no escaping: one scan, no copy.
local function escaped(text)
    if not find(text, '[%c"\\]') then
        return text
    end
    return (gsub(text, '[%c"\\]', ESCAPES))
end
_M.escaped = escaped

-- The writer: one buffer per worker, reused by every answer (nothing yields while an answer is
-- written, so no two requests ever share it at once).
local buffer = new_tab(64, 0)
local n = 0

function _M.reset()
    n = 0
end

-- Appends raw JSON text.
function _M.raw(text)
    n = n + 1
    buffer[n] = text
end

-- Appends `"text"`.
function _M.string(text)
    buffer[n + 1] = '"'
    buffer[n + 2] = escaped(text)
    buffer[n + 3] = '"'
    n = n + 3
end

-- The text written since reset(); the buffer is emptied for the next answer.
function _M.take()
    local text = concat(buffer, "", 1, n)
    if n > 256 then
        -- A rare, large answer: don't keep its pieces alive.
        clear_tab(buffer)
    end
    n = 0
    return text
end


return _M
