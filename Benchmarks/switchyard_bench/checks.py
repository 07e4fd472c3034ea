"""The answer each server gives before it is loaded, fetched with curl (and the TLS session with
openssl s_client) and compared with what the scenario expects: a comparison against a different answer
is not like for like. Each check returns the answer's figures and the warnings it found."""

import json
import re
from pathlib import Path

from .messages import (BENCH_PATH, PROBLEM_BODY, PROBLEM_CONTENT_TYPE,
                       UPSTREAM_BODY, UPSTREAM_CONTENT_TYPE, device_request)
from .processes import BenchError


def fetch(bench, running, name, path, method="GET", headers=(), body=None):
    """One request with curl over HTTP/1.1, the certificate verified against the dev CA for
    "localhost"; the answer's head and body are kept in .work/responses/NAME.*."""
    out = bench.work / "responses" / name
    argv = ["curl", "-s", "--max-time", "10", "--http1.1", "--cacert", str(bench.certs / "ca.crt"),
            "--resolve", f"localhost:{running.port}:127.0.0.1"]
    if method != "GET":
        argv += ["-X", method]
    for header in headers:
        argv += ["-H", header]
    if body is not None:
        argv += ["--data-binary", body]
    argv += ["-D", f"{out}.headers", "-o", f"{out}.body", f"https://localhost:{running.port}{path}"]
    if bench.supervisor.run(argv, seconds=20, check=False) != 0:
        raise BenchError(f"{running.label}: {method} {path} failed")
    head = Path(f"{out}.headers").read_bytes()
    content = Path(f"{out}.body").read_bytes()
    lines = head.decode("latin-1").split("\r\n")
    return {"status": int(lines[0].split()[1]), "content_type": header_value(lines, "content-type"),
            "header_bytes": len(head), "body_bytes": len(content),
            "request_id_header": sum(1 for line in lines if line.lower().startswith("x-request-id:")),
            "body": content.decode("utf-8", "replace")}


def header_value(lines, name):
    """The first value of a header in a response head's lines, or an empty string."""
    for line in lines[1:]:
        field, sep, value = line.partition(":")
        if sep and field.strip().lower() == name:
            return value.strip()
    return ""


def tls_session(bench, running, name):
    """The TLS version, cipher and key exchange openssl s_client negotiates with the server, and
    whether it verified the certificate against the dev CA."""
    out = bench.work / "responses" / f"{name}.s_client"
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{running.port}", "-servername", "localhost",
            "-CAfile", str(bench.certs / "ca.crt"), "-verify_return_error"]
    with open(out, "w") as output:
        bench.supervisor.run(argv, seconds=10, stdout=output, check=False)
    text = out.read_text(errors="replace")
    cipher = re.search(r"^New, (.*), Cipher is (.*)$", text, re.MULTILINE)
    key = re.search(r"^(?:Server )?Temp Key: ([^,\n]*)", text, re.MULTILINE)
    description = (f"{cipher.group(1)} {cipher.group(2)}" if cipher else "") + (f", {key.group(1)}" if key else "")
    return description, "Verify return code: 0 (ok)" in text


def blank_request_id(body):
    """The body with requestId's value blanked: the one part of the answer that differs by design."""
    return re.sub(r'"requestId":"[^"]*"', '"requestId":"*"', body.rstrip("\n"))


def problem_answer(bench, running, server, label, variant):
    """Response parity: both servers must answer GET /bench with 404, application/problem+json,
    PROBLEM_BODY (requestId aside) and an X-Request-Id header."""
    name = label
    answer = fetch(bench, running, server, BENCH_PATH, headers=["Accept: application/json"])
    answer["tls"], verified = tls_session(bench, running, server)
    warnings = []
    if not verified:
        warnings.append(f"{name}: openssl s_client could not verify the certificate against the dev CA")
    if answer["status"] != 404:
        warnings.append(f"{name} answers GET {BENCH_PATH} with {answer['status']}, not 404: the comparison "
                        "is not like for like")
    if answer["content_type"] != PROBLEM_CONTENT_TYPE:
        warnings.append(f"{name}'s Content-Type is '{answer['content_type']}', not {PROBLEM_CONTENT_TYPE}")
    if blank_request_id(answer["body"]) != blank_request_id(PROBLEM_BODY):
        warnings.append(f"{name}'s body differs from PROBLEM_BODY in switchyard_bench/messages.py (requestId "
                        f"aside): {answer['body'][:300]}")
    if not answer["request_id_header"]:
        warnings.append(f"{name} sends no X-Request-Id header")
    return {**answer, "warnings": warnings}


def upstream_answer(bench, running, server, label, variant):
    """Pass-through: each proxy must hand back the upstream's answer unchanged."""
    answer = fetch(bench, running, f"passthrough-{server}", BENCH_PATH, headers=["Accept: application/json"])
    warnings = []
    if answer["status"] != 200:
        warnings.append(f"{label} answers GET {BENCH_PATH} with {answer['status']}, not the upstream's 200: "
                        f"{answer['body'][:300]}")
    if answer["content_type"] != UPSTREAM_CONTENT_TYPE:
        warnings.append(f"{label}'s Content-Type is '{answer['content_type']}', not the upstream's "
                        f"{UPSTREAM_CONTENT_TYPE}")
    if answer["body"].rstrip("\n") != UPSTREAM_BODY:
        warnings.append(f"{label}'s body is not the upstream's {UPSTREAM_BODY}: {answer['body'][:300]}")
    return {**answer, "warnings": warnings}


# The gateway's answer headers that cost it work per request; the nginx + Lua gateway must send them too.
WORK_HEADERS = ("x-request-id", "ratelimit-policy", "ratelimit")


def device_answer(bench, running, server, label, variant):
    """Translated: the gateway must answer with the vendor's success status and a JSON device
    document; nginx, which passes the request on, with a 2xx (the upstream's `location /`); the nginx
    + Lua gateway exactly as the gateway did (status, Content-Type, body byte for byte, and the
    headers in WORK_HEADERS), or the run stops: its figures would be for other work."""
    request = device_request(variant)
    label = f"{label}, {request.label}"
    name = f"translated-{request.tenant}-{server}"
    answer = fetch(bench, running, name, request.path,
                   method=request.method, body=request.body,
                   headers=[f"Authorization: Bearer {bench.tokens[request.tenant]}",
                            "Content-Type: application/json", "Accept: application/json"])
    status, body = answer["status"], answer["body"]
    warnings = []
    if server == "gateway":
        if status != request.expected_status:
            warnings.append(f"{label}: answered {status}, not {request.expected_status}: {body[:300]}")
        if answer["content_type"] != "application/json":
            warnings.append(f"{label}: Content-Type '{answer['content_type']}', not application/json")
        if not is_device_document(body):
            warnings.append(f"{label}: the body is not a JSON device document with an id: {body[:300]}")
        bench.gateway_answers[variant] = {"status": status, "content_type": answer["content_type"],
                                          "body": raw_body(bench, name), "headers": work_headers(bench, name)}
    elif server == "nginx-lua":
        same_as_gateway(bench.gateway_answers.get(variant), {**answer, "body": raw_body(bench, name)},
                        work_headers(bench, name), label)
    elif not 200 <= status < 300:
        warnings.append(f"{label}: answered {status}, not 2xx: {body[:300]}")
    return {**answer, "body": re.sub(r"[\r\n|]", "", body[:400]), "warnings": warnings}


def raw_body(bench, name):
    """The body fetch() kept in .work/responses/NAME.body, as bytes."""
    return (bench.work / "responses" / f"{name}.body").read_bytes()


def work_headers(bench, name):
    """Which of WORK_HEADERS the answer kept in .work/responses/NAME.headers has."""
    lines = (bench.work / "responses" / f"{name}.headers").read_bytes().decode("latin-1").split("\r\n")
    present = {line.partition(":")[0].strip().lower() for line in lines[1:] if ":" in line}
    return [header for header in WORK_HEADERS if header in present]


def same_as_gateway(reference, answer, headers, label):
    """Stops the run unless the answer is the gateway's (`reference`, from device_answer): status,
    Content-Type and body byte for byte, and the gateway's work headers."""
    if reference is None:
        raise BenchError(f"{label}: no answer of the gateway's to compare with")
    differences = [f"{what}: {answer[key]!r}, the gateway's {reference[key]!r}"
                   for key, what in (("status", "status"), ("content_type", "Content-Type"), ("body", "body"))
                   if answer[key] != reference[key]]
    missing = [header for header in reference["headers"] if header not in headers]
    if missing:
        differences.append(f"headers the gateway sends missing: {', '.join(missing)}")
    if differences:
        raise BenchError(f"{label} does not answer as the gateway does, so it would be measured doing other "
                         "work:\n  " + "\n  ".join(differences))


def is_device_document(body):
    """A JSON object with a string id: what every device answer of the API is."""
    try:
        document = json.loads(body)
    except ValueError:
        return False
    return isinstance(document, dict) and isinstance(document.get("id"), str)
