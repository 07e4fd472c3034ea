-- wrk script for Benchmarks/run.sh's translated scenario: one device request, the same on every
-- keep-alive connection, sent to the gateway (which translates it for the tenant's vendor) or to
-- nginx (which passes it on unchanged). The harness defines the requests (DEVICE_REQUESTS in
-- switchyard_bench/messages.py) and passes one in the environment:
--
--   DEVICE_METHOD  e.g. PATCH
--   DEVICE_PATH    e.g. /devices/iccid:8988216716970004975
--   DEVICE_BODY    e.g. {"sim":{"status":"ACTIVATED","ratePlan":"Standard 5GB"}}
--   BENCH_TOKEN    a JWT, sent as Authorization: Bearer <token>
--                  (switchyard token --config F --tenant cc --scope devices:write)
--
-- Usage: DEVICE_METHOD=... DEVICE_PATH=... DEVICE_BODY=... BENCH_TOKEN=... \
--            wrk -t1 -c64 -d10s --latency -s Benchmarks/wrk/device-request.lua https://127.0.0.1:PORT
--
-- No request() or response() function: wrk then builds the request once and sends the same bytes
-- every time, so the load generator's cost per request stays as low as in the other scenarios.
-- wrk counts answers other than 2xx/3xx itself ("Non-2xx or 3xx responses").

local function required(name)
    local value = os.getenv(name)
    if value == nil or value == "" then
        error(name .. " is not set (see the comment at the top of device-request.lua)")
    end
    return value
end

wrk.method = required("DEVICE_METHOD")
wrk.path = required("DEVICE_PATH")
wrk.body = required("DEVICE_BODY")
wrk.headers["Authorization"] = "Bearer " .. required("BENCH_TOKEN")
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json"
