-- The tenant rate limit: GCRA (the generic cell rate algorithm) with the gateway's parameters and
-- conventions (docs/AUTH.md, Sources/Switchyard/RateLimit/GCRA.swift), its state a theoretical
-- arrival time (TAT) per tenant in a lua_shared_dict, so every worker shares one budget.
--
--   T = ceil(perSeconds·10⁹ / requests) ns, τ = (burst − 1)·T ns.
--   Admitted when now ≥ TAT − τ; then TAT = max(TAT, now) + T. A refusal changes nothing.
--   remaining = max(0, floor((τ − (TAT′ − now)) / T) + 1), reset = ceil((TAT′ − now) / 10⁹) s,
--   Retry-After = max(1, ceil((TAT − τ − now) / 10⁹)) s.
--
-- Time is CLOCK_MONOTONIC in nanoseconds (clock_gettime through the FFI: the vDSO, no system
-- call): ngx.now() is cached per event-loop turn and has milliseconds only, too coarse for an
-- emission interval of 1 µs. Nanoseconds since boot fit a double exactly for 104 days of uptime
-- and lose a few nanoseconds a decision after that, far below any T.
--
-- Between the shared dict's get and set nothing yields, so one worker decides atomically. With
-- several workers two may read the same TAT at the same instant and both admit (what
-- resty.limit.req accepts too); a shared dict has no compare-and-set. The gateway's limiter is
-- one atomic word per tenant updated by compare-and-swap.

local ffi = require "ffi"

local C = ffi.C
local ceil = math.ceil
local floor = math.floor
local tonumber = tonumber

ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } devicegw_timespec;
int clock_gettime(int clock_id, devicegw_timespec *tp);
]]
local CLOCK_MONOTONIC = 1
local timespec = ffi.new("devicegw_timespec")

local _M = {}

local dict

function _M.configure(shared_dict_name)
    dict = assert(ngx.shared[shared_dict_name], "lua_shared_dict " .. shared_dict_name .. " is not declared")
end

-- Monotonic nanoseconds.
function _M.now()
    C.clock_gettime(CLOCK_MONOTONIC, timespec)
    return tonumber(timespec.tv_sec) * 1e9 + tonumber(timespec.tv_nsec)
end

-- A tenant's policy: its key in the dict, T, τ, and its RateLimit-Policy value, made once.
function _M.policy(tenant, requests, per_seconds, burst)
    burst = burst or requests
    local interval = ceil(per_seconds * 1e9 / requests)
    return {
        key = tenant,
        interval = interval,
        tolerance = (burst - 1) * interval,
        policy_header = '"tenant";q=' .. requests .. ";w=" .. per_seconds,
    }
end

-- One decision: admitted, remaining, reset seconds, Retry-After seconds (refused only).
function _M.check(policy, now)
    local key, interval, tolerance = policy.key, policy.interval, policy.tolerance
    local tat = dict:get(key) or 0
    local allow_at = tat > tolerance and tat - tolerance or 0
    if now < allow_at then
        local retry = ceil((allow_at - now) / 1e9)
        return false, 0, ceil((tat - now) / 1e9), retry > 1 and retry or 1
    end
    local new_tat = (tat > now and tat or now) + interval
    dict:set(key, new_tat)
    local ahead = new_tat - now
    local remaining = ahead > tolerance and 0 or floor((tolerance - ahead) / interval) + 1
    return true, remaining, ceil(ahead / 1e9)
end

-- What the limit would say without spending anything (a request refused before the limit, for
-- its scope): remaining counts this request as not made.
function _M.peek(policy, now)
    local interval, tolerance = policy.interval, policy.tolerance
    local tat = dict:get(policy.key) or 0
    local allow_at = tat > tolerance and tat - tolerance or 0
    local reset = tat > now and ceil((tat - now) / 1e9) or 0
    if now < allow_at then
        local retry = ceil((allow_at - now) / 1e9)
        return false, 0, reset, retry > 1 and retry or 1
    end
    local ahead = (tat > now and tat or now) + interval - now
    local remaining = ahead > tolerance and 0 or floor((tolerance - ahead) / interval) + 1
    return true, remaining + 1, reset
end

return _M
