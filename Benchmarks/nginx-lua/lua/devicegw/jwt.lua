-- Bearer tokens: HS256 JWTs, checked as the gateway checks them (docs/AUTH.md), with HMAC-SHA256
-- from the OpenSSL nginx already links (libcrypto's HMAC(), through LuaJIT's FFI, as
-- lua-resty-openssl reaches it for Kong), and every verified token cached per worker by its exact
-- header value (lua-resty-lrucache, 1024 entries, never past the token's exp), so a client reusing
-- its token skips the signature and the JSON.
--
-- authenticate() returns the credential { tenant, scopes = { [name] = true }, exp }, or nil and
-- the reason's detail (401 unauthenticated).

local ffi = require "ffi"
local lrucache = require "resty.lrucache"
local base64 = require "ngx.base64"
local json = require "devicegw.json"

local C = ffi.C
local byte = string.byte
local find = string.find
local sub = string.sub
local type = type
local next = next
local bor = bit.bor
local bxor = bit.bxor
local decode_base64url = base64.decode_base64url

ffi.cdef [[
typedef struct evp_md_st EVP_MD;
const EVP_MD *EVP_sha256(void);
unsigned char *HMAC(const EVP_MD *evp_md, const void *key, int key_len,
                    const unsigned char *d, size_t n, unsigned char *md, unsigned int *md_len);
]]

local _M = {}

local FAILURE = {
    missing = "The request has no Authorization header; send Authorization: Bearer <token>.",
    malformed = "The Authorization header is not a well-formed bearer token.",
    too_large = "The bearer token is too large.",
    unsupported_algorithm = "The token's algorithm is not accepted for its key (HS256, RS256 or ES256 only).",
    unknown_api_key = "The bearer token is not a valid JWT or API key.",
    bad_signature = "The token's signature is invalid.",
    expired = "The token has expired.",
    not_yet_valid = "The token is not valid yet.",
    missing_expiry = "The token has no exp claim; tokens must expire.",
    wrong_issuer = "The token's issuer is not accepted.",
    wrong_audience = "The token is not meant for this audience.",
    missing_tenant = "The token names no tenant (tenant or tid claim).",
    unknown_tenant = "The token's tenant is not known to this gateway.",
}
_M.WWW_AUTHENTICATE = 'Bearer error="invalid_token"'

local MAX_TOKEN_BYTES = 8192
local SHA256 = C.EVP_sha256()
local mac = ffi.new("unsigned char[32]")  -- per worker: nothing yields between HMAC() and the compare

-- Set once, at configure(): the secret, the claims' expectations, the tenants there are.
local secret, secret_len
local issuer, audience, leeway = nil, nil, 0
local tenants = {}

-- Verified credentials by Authorization header value, per worker.
local cache = assert(lrucache.new(1024))

function _M.configure(settings, tenant_names)
    secret = settings.hs256_secret
    assert(type(secret) == "string" and #secret >= 32, "hs256_secret: at least 32 bytes")
    secret_len = #secret
    issuer, audience, leeway = settings.issuer, settings.audience, settings.leeway_seconds or 0
    tenants = tenant_names
    cache:flush_all()
end

-- A string member, or nil when absent; false when it is there with another type.
local function string_claim(object, name)
    local value = object[name]
    if value == nil then
        return nil
    end
    return type(value) == "string" and value or false
end

local function number_claim(object, name)
    local value = object[name]
    if value == nil then
        return nil
    end
    return type(value) == "number" and value or false
end

-- A list of strings, nil when absent, false otherwise.
local function strings_claim(object, name)
    local value = object[name]
    if value == nil then
        return nil
    end
    if type(value) ~= "table" or (next(value) ~= nil and json.is_object(value)) then
        return false
    end
    for i = 1, #value do
        if type(value[i]) ~= "string" then
            return false
        end
    end
    return value
end

-- Constant time over the 32 bytes: the time says nothing about how much of a forgery matched.
local function signature_matches(signature)
    if #signature ~= 32 then
        return false
    end
    local s = ffi.cast("const unsigned char *", signature)
    local difference = 0
    for i = 0, 31 do
        difference = bor(difference, bxor(mac[i], s[i]))
    end
    return difference == 0
end

local function verify(token, first_dot, second_dot, now)
    if first_dot == 1 or second_dot == first_dot + 1 then
        return nil, FAILURE.malformed
    end
    local header_json = decode_base64url(sub(token, 1, first_dot - 1))
    local payload_json = decode_base64url(sub(token, first_dot + 1, second_dot - 1))
    local signature = decode_base64url(sub(token, second_dot + 1))
    if not (header_json and payload_json and signature) then
        return nil, FAILURE.malformed
    end
    local header = json.decode(header_json)
    if type(header) ~= "table" or not json.is_object(header) then
        return nil, FAILURE.malformed
    end
    local alg, kid = string_claim(header, "alg"), string_claim(header, "kid")
    if alg == false or kid == false or strings_claim(header, "crit") == false then
        return nil, FAILURE.malformed
    end
    -- HS256 only: no JWKS here. `crit` extensions are never ignored (RFC 7515 §4.1.11).
    if alg ~= "HS256" or header.crit ~= nil then
        return nil, FAILURE.unsupported_algorithm
    end
    -- The signing input is the token up to its second dot: hashed where it lies, no copy.
    C.HMAC(SHA256, secret, secret_len, token, second_dot - 1, mac, nil)
    if not signature_matches(signature) then
        return nil, FAILURE.bad_signature
    end

    local claims = json.decode(payload_json)
    if type(claims) ~= "table" or not json.is_object(claims) then
        return nil, FAILURE.malformed
    end
    local exp, nbf, iat = number_claim(claims, "exp"), number_claim(claims, "nbf"), number_claim(claims, "iat")
    local iss, tenant, tid = string_claim(claims, "iss"), string_claim(claims, "tenant"), string_claim(claims, "tid")
    local scope, scp = string_claim(claims, "scope"), strings_claim(claims, "scp")
    local aud = claims.aud
    if type(aud) ~= "string" then
        aud = strings_claim(claims, "aud")
    end
    if exp == false or nbf == false or iat == false or iss == false or tenant == false or tid == false
        or scope == false or scp == false or aud == false then
        return nil, FAILURE.malformed
    end
    if not exp then
        return nil, FAILURE.missing_expiry
    end
    if not (now < exp + leeway) then
        return nil, FAILURE.expired
    end
    if (nbf and not (nbf <= now + leeway)) or (iat and not (iat <= now + leeway)) then
        return nil, FAILURE.not_yet_valid
    end
    if issuer and iss ~= issuer then
        return nil, FAILURE.wrong_issuer
    end
    if audience then
        local ok = aud == audience
        if type(aud) == "table" then
            for i = 1, #aud do
                ok = ok or aud[i] == audience
            end
        end
        if not ok then
            return nil, FAILURE.wrong_audience
        end
    end
    tenant = tenant or tid
    if not tenant then
        return nil, FAILURE.missing_tenant
    end
    if not tenants[tenant] then
        return nil, FAILURE.unknown_tenant
    end
    local scopes = {}
    if scope then
        for name in scope:gmatch("[^ ]+") do
            scopes[name] = true
        end
    end
    if scp then
        for i = 1, #scp do
            scopes[scp[i]] = true
        end
    end
    return { tenant = tenant, scopes = scopes, exp = exp }
end

-- `header`: the Authorization header's value (nil when there is none); `now`: seconds since 1970.
function _M.authenticate(header, now)
    if not header then
        return nil, FAILURE.missing
    end
    if type(header) ~= "string" then
        -- Authorization sent more than once.
        return nil, FAILURE.malformed
    end
    local credential = cache:get(header)
    if credential then
        if now < credential.exp then
            return credential
        end
        cache:delete(header)
    end

    -- `Bearer <token>`, the scheme in any case, then token68 characters only.
    local b1, b2, b3, b4, b5, b6, space = byte(header, 1, 7)
    if not (space == 32 and bor(b1, 32) == 98 and bor(b2, 32) == 101 and bor(b3, 32) == 97
        and bor(b4, 32) == 114 and bor(b5, 32) == 101 and bor(b6, 32) == 114) then
        return nil, FAILURE.malformed
    end
    local first, last = find(header, "[^ ]", 8), #header
    while last > 7 and byte(header, last) == 32 do
        last = last - 1
    end
    if not first or first > last then
        return nil, FAILURE.malformed
    end
    if last - first + 1 > MAX_TOKEN_BYTES then
        return nil, FAILURE.too_large
    end
    local token = (first == 8 and last == #header) and sub(header, 8) or sub(header, first, last)
    if find(token, "[^%w%-%._~%+/=]") then
        return nil, FAILURE.malformed
    end
    local first_dot = find(token, ".", 1, true)
    local second_dot = first_dot and find(token, ".", first_dot + 1, true)
    if not second_dot or find(token, ".", second_dot + 1, true) then
        -- `eyJ` is base64url of `{"`: a JWT with the wrong number of segments. Anything else
        -- would be an API key, and none is configured here.
        if first_dot and sub(token, 1, 3) == "eyJ" then
            return nil, FAILURE.malformed
        end
        return nil, FAILURE.unknown_api_key
    end

    local err
    credential, err = verify(token, first_dot, second_dot, now)
    if credential then
        cache:set(header, credential, credential.exp - now)
    end
    return credential, err
end

return _M
