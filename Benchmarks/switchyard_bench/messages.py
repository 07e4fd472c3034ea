"""What the clients send and what the servers answer, defined once for every scenario.

The gateway's 404 problem document for an unknown path (API.md §2 "Errors") is also nginx's `return 404`
body: `$request_id` is nginx's variable, and the gateway puts its own request id there. If the gateway's
body changes, change it here too: the response-parity check compares both servers' answers with
requestId blanked out.
"""

from dataclasses import dataclass

BENCH_PATH = "/bench"
PROBLEM_BODY = ('{"type":"https://switchyard.dev/problems/not-found","title":"Not found","status":404,'
                '"detail":"No resource at this path.","code":"not_found","requestId":"$request_id"}')
PROBLEM_CONTENT_TYPE = "application/problem+json"

# The pass-through and translated scenarios' upstream (an nginx, plain HTTP) answers every other path
# with this.
UPSTREAM_BODY = '{"ok":true}'
UPSTREAM_CONTENT_TYPE = "application/json"
# ... and the two vendor paths with the vendors' documented success answers (API.md §3).
CC_UPSTREAM_BODY = '{"iccid":"8988216716970004975"}'
GATE_UPSTREAM_BODY = ('{"number":"+1234567890","generic_id":"com.example.app.user123","imei":"123456789012345",'
                      '"imsi":"310120123456789","iccid":"12345678901234567890","username":"john_doe",'
                      '"user_external_id":"ext_user_456","user_class":"gold"}')


@dataclass(frozen=True)
class DeviceRequest:
    """One device request of the translated scenario, sent by wrk with wrk/device-request.lua to the
    gateway (which translates it for `tenant`'s vendor) and to nginx (which passes it on unchanged)."""

    tenant: str           # the gateway's tenant, and the variant's name in run files
    label: str            # the vendor, as the report names the request
    method: str
    path: str
    body: str
    expected_status: int  # the gateway's answer when the vendor call succeeds
    vendor_call: str      # what the gateway sends upstream and gets back, for the report

    def wrk_environment(self, token):
        """The variables wrk/device-request.lua reads."""
        return {"DEVICE_METHOD": self.method, "DEVICE_PATH": self.path, "DEVICE_BODY": self.body,
                "BENCH_TOKEN": token}


DEVICE_REQUESTS = (
    DeviceRequest("cc", "control-center", "PATCH", "/devices/iccid:8988216716970004975",
                  '{"sim":{"status":"ACTIVATED","ratePlan":"Standard 5GB"}}', 200,
                  f"`PUT /rws/api/v1/devices/8988216716970004975` → 200 `{CC_UPSTREAM_BODY}`"),
    DeviceRequest("gate", "gate", "POST", "/devices", '{"imei":"123456789012345","user":{"class":"gold"}}', 201,
                  '`POST /api/v1/device_app_user_update/` `{"data":"…"}` → 201 with the user record'),
)


def device_request(tenant):
    """The translated scenario's request for a tenant (its variant name)."""
    return next(request for request in DEVICE_REQUESTS if request.tenant == tenant)
