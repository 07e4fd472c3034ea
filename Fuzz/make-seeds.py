#!/usr/bin/env python3
"""Writes the committed seed corpus, Fuzz/Corpus/<target>/ (run from anywhere; rewrites the
files it owns and leaves other files, such as saved crash reproducers, alone).

Seeds are small and meaningful: valid requests and bodies, the vendor answers of
Tests/SwitchyardVendorsTests/Fixtures, the repository's routes/*.yaml, and JWTs signed with the
jwt target's own throwaway HS256 secret (no real key or secret is involved)."""
import base64, gzip, hashlib, hmac, json, os, re

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
CORPUS = os.path.join(ROOT, "Fuzz", "Corpus")
FIXTURES = os.path.join(ROOT, "Tests", "SwitchyardVendorsTests", "Fixtures")


def write(target, name, data):
    directory = os.path.join(CORPUS, target)
    os.makedirs(directory, exist_ok=True)
    with open(os.path.join(directory, name), "wb") as f:
        f.write(data if isinstance(data, bytes) else data.encode())


# request-head -------------------------------------------------------------------------------
heads = {
    "get-devices": "GET /devices HTTP/1.1\r\nHost: localhost:8443\r\n\r\n",
    "patch-device-json": "PATCH /devices/iccid:8988216716970004975 HTTP/1.1\r\nHost: localhost\r\n"
    "Authorization: Bearer abc.def.ghi\r\nContent-Type: application/json\r\nContent-Length: 33\r\n"
    "Accept: application/json\r\nAccept-Encoding: gzip\r\n\r\n{\"sim\": {\"status\": \"ACTIVATED\"}}",
    "post-chunked": "POST /devices HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: chunked\r\nContent-Type: application/json\r\n\r\n5\r\n{}   \r\n0\r\n\r\n",
    "http10-keep-alive": "GET /healthz HTTP/1.0\r\nConnection: keep-alive\r\n\r\n",
    "expect-continue": "PUT /devices/x HTTP/1.1\r\nHost: a\r\nExpect: 100-continue\r\nContent-Length: 10\r\n\r\n",
    "absolute-form": "GET http://example.com:8080/devices?limit=5&x=%20 HTTP/1.1\r\nHost: example.com\r\n\r\n",
    "leading-empty-lines": "\r\n\r\nDELETE /devices/mac:A1B2C3D4E5F6 HTTP/1.1\r\nHost: a\r\nConnection: close\r\n\r\n",
    "pipelined": "GET /a HTTP/1.1\r\nHost: a\r\n\r\nGET /b HTTP/1.1\r\nHost: a\r\n\r\n",
    "options-asterisk": "OPTIONS * HTTP/1.1\r\nHost: a\r\nX-Empty:\r\nX-Tab:\tv\t\r\n\r\n",
    "connect-authority": "CONNECT example.com:443 HTTP/1.1\r\nHost: example.com:443\r\n\r\n",
    "many-fields": "GET / HTTP/1.1\r\nHost: a\r\n" + "".join(f"X-F{i}: {i}\r\n" for i in range(14)) + "\r\n",
    "refused-cl-and-te": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nTransfer-Encoding: chunked\r\n\r\n",
    "refused-two-lengths": "POST / HTTP/1.1\r\nHost: a\r\nContent-Length: 5\r\nContent-Length: 6\r\n\r\n",
    "refused-obs-fold": "GET / HTTP/1.1\r\nHost: a\r\nX: a\r\n b\r\n\r\n",
    "refused-bare-lf": "GET / HTTP/1.1\nHost: a\n\n",
    "refused-te-gzip": "POST / HTTP/1.1\r\nHost: a\r\nTransfer-Encoding: gzip, chunked\r\n\r\n",
    "refused-space-before-colon": "GET / HTTP/1.1\r\nHost : a\r\n\r\n",
    "refused-http2": "GET / HTTP/2.0\r\nHost: a\r\n\r\n",
    "refused-two-hosts": "GET / HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n",
}
for name, text in heads.items():
    write("request-head", name, text)

# chunked-body ---------------------------------------------------------------------------------
bodies = {
    "one-chunk": "5\r\nhello\r\n0\r\n\r\n",
    "chunks-hex-case": "a\r\n0123456789\r\nA\r\n0123456789\r\n0\r\n\r\n",
    "extension": "5;name=\"quoted value\";flag\r\nhello\r\n0;last\r\n\r\n",
    "bws-before-extension": "5 \t;ext\r\nhello\r\n0\r\n\r\n",
    "trailer": "3\r\nabc\r\n0\r\nX-Checksum: 900150983cd24fb0\r\nX-Other: v\r\n\r\n",
    "leading-zeros": "0005\r\nhello\r\n000\r\n\r\n",
    "next-request-follows": "2\r\n{}\r\n0\r\n\r\nGET / HTTP/1.1\r\nHost: a\r\n\r\n",
    "empty-body": "0\r\n\r\n",
    "refused-bare-lf": "5\nhello\n0\n\n",
    "refused-size-overflow": "1000000000000000\r\n",
    "refused-bad-size": "5 5\r\nhello\r\n0\r\n\r\n",
    "refused-obs-fold-trailer": "0\r\nX: a\r\n b\r\n\r\n",
}
for name, text in bodies.items():
    write("chunked-body", name, text)

# response-head --------------------------------------------------------------------------------
zipped = gzip.compress(b'{"iccid": "8988216716970004975"}', mtime=0)
responses = {
    "200-json": b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 2\r\n\r\n{}",
    "201-chunked": b"HTTP/1.1 201 Created\r\nTransfer-Encoding: chunked\r\n\r\n2\r\n{}\r\n0\r\n\r\n",
    "200-gzip": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Length: " + str(len(zipped)).encode() + b"\r\n\r\n" + zipped,
    "204-no-body": b"HTTP/1.1 204 No Content\r\nContent-Length: 7\r\n\r\n",
    "304-not-modified": b"HTTP/1.1 304 Not Modified\r\nETag: \"x\"\r\n\r\n",
    "100-continue": b"HTTP/1.1 100 Continue\r\n\r\n",
    "keep-alive-timeout": b"HTTP/1.1 200 OK\r\nKeep-Alive: timeout=5, max=100\r\nContent-Length: 0\r\n\r\n",
    "close-delimited": b"HTTP/1.1 200 OK\r\nConnection: close\r\n\r\nthe body runs to EOF",
    "http10": b"HTTP/1.0 200 OK\r\nConnection: keep-alive\r\nContent-Length: 1\r\n\r\nx",
    "429-retry-after": b"HTTP/1.1 429 Too Many Requests\r\nRetry-After: 30\r\nContent-Length: 0\r\n\r\n",
    "no-reason": b"HTTP/1.1 502\r\nContent-Length: 0\r\n\r\n",
    "refused-101": b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: h2c\r\n\r\n",
    "refused-cl-and-te": b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
    "refused-two-codings": b"HTTP/1.1 200 OK\r\nContent-Encoding: gzip\r\nContent-Encoding: br\r\nContent-Length: 0\r\n\r\n",
}
for name, data in responses.items():
    write("response-head", name, data)

# vendor-* (and json) from the golden fixtures --------------------------------------------------
REASONS = {200: "OK", 201: "Created", 202: "Accepted", 204: "No Content", 400: "Bad Request", 401: "Unauthorized",
           403: "Forbidden", 404: "Not Found", 405: "Method Not Allowed", 406: "Not Acceptable", 422: "Unprocessable Content",
           429: "Too Many Requests", 500: "Internal Server Error", 502: "Bad Gateway", 503: "Service Unavailable"}


def http_answer(answer):
    status = answer["status"]
    if "text" in answer:
        body = answer["text"].encode()
    elif "json" in answer:
        body = json.dumps(answer["json"], separators=(",", ":"), ensure_ascii=False).encode()
    else:
        body = b""
    head = f"HTTP/1.1 {status} {REASONS.get(status, 'Status')}\r\n"
    for name, value in (answer.get("headers") or {}).items():
        head += f"{name}: {value}\r\n"
    head += f"content-length: {len(body)}\r\n\r\n"
    return head.encode() + body


for vendor in ["gate", "mobilefirst-push", "control-center", "vodlix", "iot-security"]:
    directory = os.path.join(FIXTURES, vendor)
    for file in sorted(os.listdir(directory)):
        fixture = json.load(open(os.path.join(directory, file)))
        name = file[:-len(".json")]
        if "upstreamResponse" in fixture:
            write(f"vendor-{vendor}", name, http_answer(fixture["upstreamResponse"]))
            if "json" in fixture["upstreamResponse"]:
                write("json", f"{vendor}-{name}-answer.json", json.dumps(fixture["upstreamResponse"]["json"], indent=1, ensure_ascii=False))
        if "document" in fixture and file.startswith(("update", "every", "upsert")):
            write("json", f"{vendor}-{name}-document.json", json.dumps(fixture["document"], ensure_ascii=False))
# mobilefirst-push's token endpoint (the target reads every answer as one too).
write("vendor-mobilefirst-push", "token-200", http_answer({"status": 200, "headers": {"content-type": "application/json"},
      "json": {"access_token": "eyJhbGciOiJSUzI1NiJ9.e30.c2ln", "token_type": "Bearer", "expires_in": 3600, "scope": "devices.write push.application.myapp"}}))
write("vendor-mobilefirst-push", "token-401-invalid-client", http_answer({"status": 401,
      "json": {"error": "invalid_client", "error_description": "Client authentication failed"}}))
write("vendor-mobilefirst-push", "token-400-invalid-scope", http_answer({"status": 400, "json": {"error": "invalid_scope"}}))
for vendor in ["gate", "control-center", "vodlix"]:
    write(f"vendor-{vendor}", "429-retry-after", http_answer({"status": 429, "headers": {"retry-after": "120"}, "json": {}}))

# json: edge cases the fixtures lack.
json_seeds = {
    "escapes": r'{"a": "\" \\ \/ \b \f \n \r \t \u0041 \u00e9 \ud83d\ude00", "b": []}',
    "numbers": '[0, -0, 1.5, -1e10, 2E+3, 3e-2, 12345678901234567890, 0.000001]',
    "literals": '[true, false, null, {}, [], ""]',
    "nested": '{"a": {"b": {"c": [[[{"d": null}]]]}}}',
    "utf8": '{"名前": "值", "emoji": "😀", "nbsp": "\u00a0"}',
    "scalar-string": '"just a string"',
    "whitespace": ' \t\r\n{ "a" : 1 }\n',
    "refused-duplicate": '{"a": 1, "a": 2}',
    "refused-trailing-comma": '[1, 2,]',
    "refused-lone-surrogate": '"\\ud800"',
    "refused-leading-zero": '[01]',
}
for name, text in json_seeds.items():
    write("json", name + ".json", text)

# jwt: tokens for the jwt target's throwaway secret, and unsigned pairs it signs itself --------
SECRET = b"switchyard-fuzz-throwaway-hs256-secret-not-for-use"  # Fuzz/Targets/jwt/jwt.swift


def b64(data):
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def pair(header, claims):
    return b64(json.dumps(header, separators=(",", ":")).encode()) + "." + b64(json.dumps(claims, separators=(",", ":")).encode())


def signed(header, claims):
    signing_input = pair(header, claims)
    return signing_input + "." + b64(hmac.new(SECRET, signing_input.encode(), hashlib.sha256).digest())


ISS, AUD, EXP = "https://issuer.fuzz.invalid/", "switchyard", 4102444800
claims = {"aud": AUD, "exp": EXP, "iat": 1800000000, "iss": ISS, "scope": "devices:write devices:bulk", "tenant": "acme"}
hs = {"alg": "HS256", "typ": "JWT"}
write("jwt", "hs256-valid", "Bearer " + signed(hs, claims))
write("jwt", "hs256-tid-scp-aud-list", "bearer " + signed(hs, {"aud": ["other", AUD], "exp": EXP, "iss": ISS, "scp": ["devices:write"], "tid": "globex", "nbf": 1800000000}))
write("jwt", "hs256-expired", "Bearer " + signed(hs, dict(claims, exp=1800000000)))
write("jwt", "hs256-not-yet-valid", "Bearer " + signed(hs, dict(claims, nbf=2000000000)))
write("jwt", "hs256-unknown-tenant", "Bearer " + signed(hs, dict(claims, tenant="initech")))
write("jwt", "hs256-wrong-issuer", "Bearer " + signed(hs, dict(claims, iss="https://other/")))
write("jwt", "hs256-no-exp", "Bearer " + signed(hs, {k: v for k, v in claims.items() if k != "exp"}))
write("jwt", "hs256-bad-signature", "Bearer " + signed(hs, claims)[:-4] + "AAAA")
write("jwt", "unsigned-hs256", "Bearer " + pair(hs, claims))
write("jwt", "unsigned-rs256-kid", "Bearer " + pair({"alg": "RS256", "kid": "rsa-1", "typ": "JWT"}, claims))
write("jwt", "unsigned-es256-no-kid", "Bearer " + pair({"alg": "ES256"}, dict(claims, tenant="globex")))
write("jwt", "unsigned-rs256-unknown-kid", "Bearer " + pair({"alg": "RS256", "kid": "nope"}, claims))
write("jwt", "unsigned-es256-with-rsa-kid", "Bearer " + pair({"alg": "ES256", "kid": "rsa-1"}, claims))
write("jwt", "unsigned-crit", "Bearer " + pair({"alg": "HS256", "crit": ["exp"]}, claims))
write("jwt", "alg-none", "Bearer " + pair({"alg": "none"}, claims) + ".")
write("jwt", "api-key-acme", "Bearer fuzz-api-key-acme-0001")
write("jwt", "api-key-globex-spaces", "BEARER   fuzz-api-key-globex-0002  ")
write("jwt", "api-key-unknown", "Bearer not-a-configured-key+/=~")
write("jwt", "basic-scheme", "Basic dXNlcjpwYXNz")
write("jwt", "two-segments", "Bearer eyJhbGciOiJIUzI1NiJ9.e30")

# config: the repository's routes files, with paths the target's temporary tree has ---------------
for file in sorted(os.listdir(os.path.join(ROOT, "routes"))):
    if file.endswith(".yaml"):
        text = open(os.path.join(ROOT, "routes", file)).read()
        text = re.sub(r"/etc/switchyard/tls/server-chain\.crt", "../certs/dev/server.crt", text)
        text = re.sub(r"/etc/switchyard/tls/server\.key", "../certs/dev/server.key", text)
        write("config", file, text)
write("config", "minimal.yaml", "tls: {certificate: ../certs/dev/server.crt, privateKey: ../certs/dev/server.key}\n")
write("config", "jwks-and-redis.yaml", """tls:
  certificate: ../certs/dev/server.crt
  privateKey: ../certs/dev/server.key
admin: off
accessLog: off
workers: 2
auth:
  jwt: {jwksFile: jwks.json, leewaySeconds: 0}
rateLimit: {store: "redis://127.0.0.1:6379/0", onStoreFailure: deny}
tenants:
  t-1:
    vendor: vodlix
    upstream: "http://[::1]:8080/prefix/"
    credentials: {cookie: "a=b; c=d"}
    rateLimit: {requests: 1000000, perSeconds: 1, burst: 1000000}
""")
write("config", "problems.yaml", """listen: "0.0.0.0:99999"
workers: zero
tls: {certificate: missing.crt}
limits: {maxHeaderBytes: 10, unknownLimit: 1}
auth:
  jwt: {hs256Secret: short}
  apiKeys:
    - {sha256: nothex, tenant: nobody, scopes: []}
tenants:
  Bad Name: {vendor: gat}
  ok: {vendor: gate, upstream: "ftp://x", credentials: {token: "${MISSING}"}}
""")
print("seeds written to", CORPUS)
