-- The device gateway's phases in nginx + Lua, the way a Kong plugin does its work:
--
--   access         route (404, 405) → authenticate (401) → scope (403) → Accept (406) → read the
--                  body (415, 400) → the tenant's rate limit (429) → the document's and the
--                  vendor's checks (400, 422) → the vendor call, set up for proxy_pass: method,
--                  URI, body and the headers the adapter sends, in nginx variables that the
--                  location's proxy_set_header lines use (no client header is passed on)
--   header_filter  the client's status, Content-Type, request id and RateLimit headers, decided
--                  from the vendor's status; Content-Length cleared, since the body changes
--   body_filter    the vendor's answer, buffered to its end, translated into the client's answer
--
-- What a request carries from access to the filters lives in ngx.ctx; what lives longer is the
-- worker's own (the tenants, the token cache, the writer's buffer); the rate limit is in a
-- shared dict. Nothing is global.

local jwt = require "devicegw.jwt"
local gcra = require "devicegw.gcra"
local document = require "devicegw.document"
local json = require "devicegw.json"
local problem = require "devicegw.problem"
local vendor = require "devicegw.vendor"

local ngx = ngx
local var = ngx.var
local req = ngx.req
local ngx_now = ngx.now
local get_method = req.get_method
local find = string.find
local sub = string.sub
local format = string.format
local concat = table.concat
local random = math.random
local type = type

local PROBLEM_JSON = "application/problem+json"
local JSON = "application/json"
-- The gateway's limits.maxUpstreamBodyBytes.
local MAX_UPSTREAM_BODY = 1048576

local ADAPTERS = {
    ["control-center"] = require "devicegw.vendors.control_center",
    gate = require "devicegw.vendors.gate",
}

local _M = {}

-- Tenant name → { adapter, policy, authorization, host, prefix }; set in init_by_lua, each
-- worker's copy read-only afterwards.
local tenants = {}

-- `config`: { hs256_secret, issuer?, audience?, leeway_seconds?, shared_dict,
-- tenants = { name = { vendor, upstream = "http://host:port/prefix", credentials, rate_limit? } } }
function _M.configure(config)
    local names = {}
    tenants = {}
    for name, t in pairs(config.tenants) do
        local adapter = assert(ADAPTERS[t.vendor], "unknown vendor " .. tostring(t.vendor))
        local host, prefix = t.upstream:match("^http://([^/]+)(.*)$")
        assert(host, "tenant " .. name .. ": upstream must be http://host:port[/prefix]")
        local limit = t.rate_limit
        tenants[name] = {
            name = name,
            adapter = adapter,
            host = host,
            prefix = prefix:gsub("/$", ""),
            authorization = adapter.authorization(t.credentials),
            policy = limit and gcra.policy(name, limit.requests, limit.per_seconds, limit.burst),
        }
        names[name] = true
    end
    jwt.configure(config, names)
    gcra.configure(config.shared_dict or "rate_limits")
end

-- Each worker its own random sequence (trace and span ids).
function _M.init_worker()
    math.randomseed(ngx.worker.pid() * 1000003 + ngx.now() * 1000)
end

-- The request id: the client's X-Request-Id when it is 1 to 128 visible ASCII characters, else
-- nginx's $request_id (32 hex digits, 128 random bits). Second value: whether it is nginx's.
local function request_id()
    local id = var.http_x_request_id
    if type(id) == "string" and #id <= 128 and id ~= "" and not find(id, "[^\33-\126]") then
        return id, false
    end
    return var.request_id, true
end

-- W3C trace context for the vendor: a valid version-00 traceparent from the client is passed on
-- as it came (with its tracestate); otherwise a new trace, flagged sampled, whose id is the
-- request id when nginx made that (128 random bits either way).
local function hex_bits(words)
    if words == 2 then
        return format("%08x%08x", random(0, 0xffffffff), random(0, 0xffffffff))
    end
    return format("%08x%08x%08x%08x", random(0, 0xffffffff), random(0, 0xffffffff), random(0, 0xffffffff),
                  random(0, 0xffffffff))
end

local function set_trace_context(rid, generated)
    local incoming = var.http_traceparent
    if type(incoming) == "string" and #incoming == 55 and find(incoming, "^00%-%x+%-%x+%-%x%x$")
        and sub(incoming, 20, 20) == "-" and not find(incoming, "%u")
        and sub(incoming, 4, 35) ~= "00000000000000000000000000000000" and sub(incoming, 37, 52) ~= "0000000000000000" then
        var.vendor_traceparent = incoming
        local state = var.http_tracestate
        if type(state) == "string" then
            var.vendor_tracestate = state
        end
        return
    end
    var.vendor_traceparent = "00-" .. (generated and rid or hex_bits(4)) .. "-" .. hex_bits(2) .. "-01"
end

-- Answers with a problem document and ends the request. `policy` and the figures after it: the
-- tenant's RateLimit headers, once the tenant is known.
local function refuse(rid, code, detail, fields, extra_name, extra_value, policy, remaining, reset, retry)
    req.discard_body()
    local body = problem.body(code, detail, rid, fields)
    ngx.status = problem.status(code)
    local header = ngx.header
    header["Content-Type"] = PROBLEM_JSON
    header["Content-Length"] = #body
    header["X-Request-Id"] = rid
    if extra_name then
        header[extra_name] = extra_value
    end
    if policy then
        header["RateLimit-Policy"] = policy.policy_header
        header["RateLimit"] = '"tenant";r=' .. remaining .. ";t=" .. reset
        if retry then
            header["Retry-After"] = retry
        end
    end
    ngx.print(body)
    return ngx.exit(ngx.HTTP_OK)
end

-- API.md §2: Accept must admit JSON or problem JSON (no Accept admits everything).
local ACCEPTED = { ["*/*"] = true, ["application/*"] = true, ["application/json"] = true,
                   ["application/problem+json"] = true }
local function accepts_json(accept)
    if accept == nil or accept == "*/*" or accept == JSON then
        return true
    end
    if type(accept) == "table" then
        accept = concat(accept, ",")
    end
    for range in accept:gmatch("[^,]+") do
        local media, parameters = range:match("^[ \t]*([^;]-)[ \t]*(;.*)$")
        media = (media or range:match("^[ \t]*(.-)[ \t]*$")):lower()
        if ACCEPTED[media] then
            local q = parameters and parameters:lower():match(";[ \t]*q[ \t]*=[ \t]*([%d%.]+)")
            if not (q and tonumber(q) and tonumber(q) <= 0) then
                return true
            end
        end
    end
    return false
end

-- Content-Type application/json, with at most a UTF-8 charset.
local function is_json(content_type)
    if content_type == JSON then
        return true
    end
    if type(content_type) ~= "string" then
        return false
    end
    local media, parameters = content_type:match("^[ \t]*([^;]-)[ \t]*(;?.*)$")
    if not media or media:lower() ~= JSON then
        return false
    end
    for parameter in parameters:gmatch(";([^;]*)") do
        local name, value = parameter:lower():match("^[ \t]*([^=]-)[ \t]*=[ \t]*(.-)[ \t]*$")
        if name ~= "charset" or (value ~= "utf-8" and value ~= '"utf-8"') then
            return false
        end
    end
    return true
end

-- Where a request goes, from its method and raw path (API.md §2): operation, scope, id text,
-- or nil and the refusal's code, detail and Allow value.
local function route(method, path)
    if path == "/devices" then
        if method == "POST" then
            return "upsert", "devices:write"
        elseif method == "PATCH" then
            return "bulk", "devices:bulk"
        end
        return nil, "method_not_allowed", "This resource does not take " .. method .. ".", "POST, PATCH"
    end
    if #path > 9 and sub(path, 1, 9) == "/devices/" and not find(path, "/", 10, true) then
        if method == "PATCH" then
            return "update", "devices:write", sub(path, 10)
        end
        return nil, "method_not_allowed", "This resource does not take " .. method .. ".", "PATCH"
    end
    return nil, "not_found", "No resource at this path."
end

function _M.access()
    local rid, generated = request_id()
    local method = get_method()
    local uri = var.request_uri
    local query = find(uri, "?", 1, true)
    local operation, scope, id_text, allow = route(method, query and sub(uri, 1, query - 1) or uri)
    if not operation then
        -- route() returned the refusal instead: code, detail, Allow.
        return refuse(rid, scope, id_text, nil, allow and "Allow", allow)
    end

    local credential, failure = jwt.authenticate(var.http_authorization, ngx_now())
    if not credential then
        return refuse(rid, "unauthenticated", failure, nil, "WWW-Authenticate", jwt.WWW_AUTHENTICATE)
    end
    local tenant = tenants[credential.tenant]
    local policy = tenant.policy

    if not credential.scopes[scope] then
        -- Refused before the limit: the headers only peek at it, nothing is spent.
        local _, remaining, reset, retry
        if policy then
            _, remaining, reset, retry = gcra.peek(policy, gcra.now())
        end
        return refuse(rid, "insufficient_scope", "This operation needs the " .. scope .. " scope.", nil,
                      "WWW-Authenticate", 'Bearer error="insufficient_scope", scope="' .. scope .. '"',
                      policy, remaining, reset, retry)
    end

    -- The body: JSON only, within client_max_body_size (413 from nginx itself), refused before the
    -- limit, so a bad body costs the tenant no budget.
    local refusal, refusal_detail
    if not accepts_json(var.http_accept) then
        refusal, refusal_detail = "not_acceptable",
            "Answers are application/json or application/problem+json; Accept admits neither."
    end
    local body
    if not refusal then
        req.read_body()
        local text = req.get_body_data()
        if text and text ~= "" then
            local encoding = var.http_content_encoding
            if not is_json(var.content_type) then
                refusal, refusal_detail = "unsupported_media_type", "The body must be application/json (UTF-8)."
            elseif encoding ~= nil and (type(encoding) ~= "string" or encoding:lower() ~= "identity") then
                refusal, refusal_detail = "unsupported_media_type", "No content coding is accepted here (identity only)."
            else
                local err
                body, err = json.decode(text)
                if body == nil then
                    refusal, refusal_detail = "invalid_request", "The body is not valid JSON: " .. tostring(err) .. "."
                end
            end
        end
    end
    if refusal then
        local _, remaining, reset, retry
        if policy then
            _, remaining, reset, retry = gcra.peek(policy, gcra.now())
        end
        return refuse(rid, refusal, refusal_detail, nil, nil, nil, policy, remaining, reset, retry)
    end

    -- The tenant's rate limit: only admitted requests count.
    local admitted, remaining, reset, retry
    if policy then
        admitted, remaining, reset, retry = gcra.check(policy, gcra.now())
        if not admitted then
            return refuse(rid, "rate_limited", "The tenant's rate limit is spent; retry after " .. retry .. " s.", nil,
                          nil, nil, policy, remaining, reset, retry)
        end
    end

    -- Translate: the document's checks, then the vendor's.
    local adapter = tenant.adapter
    if operation == "bulk" then
        return refuse(rid, "unsupported_operation", "Bulk updates are not part of this gateway.", nil, nil, nil,
                      policy, remaining, reset)
    end
    if operation == "upsert" and not adapter.supports_upsert then
        return refuse(rid, "unsupported_operation",
                      "This tenant's vendor cannot register devices; update one with PATCH /devices/{id}.", nil, nil, nil,
                      policy, remaining, reset)
    end
    if body == nil then
        return refuse(rid, "invalid_request", "The request needs a JSON body.", nil, nil, nil, policy, remaining, reset)
    end
    if type(body) ~= "table" or not json.is_object(body) then
        return refuse(rid, "invalid_request", "The body must be a JSON object (a device document), not "
                      .. json.type_name(body) .. ".", nil, nil, nil, policy, remaining, reset)
    end
    local kind, id
    if id_text then
        if find(id_text, "%", 1, true) then
            id_text = ngx.unescape_uri(id_text)
        end
        kind, id = document.parse_id(id_text, adapter.primary)
        if not kind then
            return refuse(rid, "invalid_request", id, nil, nil, nil, policy, remaining, reset)
        end
    end
    local change, refused = document.change(document.read(body), operation, kind, id, adapter, ngx_now())
    if not change then
        return refuse(rid, refused[1], refused[2], refused[3], nil, nil, policy, remaining, reset)
    end

    -- The vendor call, for proxy_pass.
    local vendor_method, path, vendor_body = adapter.request(change)
    if vendor_method ~= ngx.HTTP_POST or method ~= "POST" then
        req.set_method(vendor_method)
    end
    req.set_body_data(vendor_body)
    var.vendor_uri = tenant.prefix .. path
    var.vendor_host = tenant.host
    var.vendor_authorization = tenant.authorization
    var.vendor_request_id = rid
    set_trace_context(rid, generated)

    ngx.ctx.call = { adapter = adapter, change = change, rid = rid, policy = policy, remaining = remaining,
                     reset = reset }
end

function _M.header_filter()
    local call = ngx.ctx.call
    if not call then
        return
    end
    local header = ngx.header
    local status = ngx.status
    local success = call.adapter.success_status(status, call.change)
    if success then
        if success ~= status then
            ngx.status = success
        end
        header["Content-Type"] = JSON
    else
        local row = vendor.error_row(call.adapter.error_rows, status)
        call.vendor_status, call.row = status, row
        ngx.status = problem.status(row[1])
        header["Content-Type"] = PROBLEM_JSON
        if row[1] == "upstream_rate_limited" then
            header["Retry-After"] = vendor.retry_after(header["Retry-After"])
        end
    end
    call.success = success
    header["Content-Length"] = nil
    header["X-Request-Id"] = call.rid
    local policy = call.policy
    if policy then
        header["RateLimit-Policy"] = policy.policy_header
        header["RateLimit"] = '"tenant";r=' .. call.remaining .. ";t=" .. call.reset
    end
end

function _M.body_filter()
    local call = ngx.ctx.call
    if not call then
        return
    end
    local chunk, eof = ngx.arg[1], ngx.arg[2]
    -- The vendor's answer, kept until its end: the first piece as it is, more in a list.
    if chunk ~= "" then
        local held = call.held
        if held == nil then
            call.held = chunk
        else
            if type(held) == "string" then
                held = { held }
                call.held = held
            end
            held[#held + 1] = chunk
        end
        call.size = (call.size or 0) + #chunk
        if call.size > MAX_UPSTREAM_BODY then
            ngx.log(ngx.ERR, "vendor answer over ", MAX_UPSTREAM_BODY, " bytes; request ", call.rid, " cut off")
            return ngx.ERROR
        end
    end
    if not eof then
        ngx.arg[1] = nil
        return
    end
    local held = call.held or ""
    local body = type(held) == "table" and concat(held) or held
    if call.success then
        local answer, reason = call.adapter.answer(call.change, body)
        if not answer then
            -- The head, with its 2xx, has gone already: the one honest thing left is to cut the
            -- answer off, so the client cannot take it for a success (the gateway answers 502).
            ngx.log(ngx.ERR, "the vendor's answer could not be read: ", reason, "; request ", call.rid, " cut off")
            return ngx.ERROR
        end
        ngx.arg[1] = answer
    else
        local code, message = call.adapter.diagnostic(body, call.change)
        local row = call.row
        ngx.arg[1] = problem.body(row[1], row[2], call.rid, nil,
                                  { call.vendor_status, code, message and vendor.cut(message, 1024) })
    end
end

-- What nginx itself refused or failed (error_page → a named location): no answer from the vendor
-- (502, 504), or a body over client_max_body_size (413). ngx.ctx did not survive the internal
-- redirect; the request id did, in its variable, once the access phase had set it.
local NGINX_ERRORS = {
    upstream_unavailable = "The vendor could not be reached.",
    upstream_timeout = "The vendor did not answer in time.",
    payload_too_large = "The body is larger than 1048576 bytes.",
}

function _M.nginx_error(code)
    local rid = var.vendor_request_id
    if rid == nil or rid == "" then
        rid = request_id()
    end
    local body = problem.body(code, NGINX_ERRORS[code], rid)
    ngx.status = problem.status(code)
    local header = ngx.header
    header["Content-Type"] = PROBLEM_JSON
    header["Content-Length"] = #body
    header["X-Request-Id"] = rid
    if code == "upstream_unavailable" then
        header["Retry-After"] = "1"
    end
    ngx.print(body)
    return ngx.exit(ngx.HTTP_OK)
end

return _M
