"""A bounded load: 8 s at 64 connections on the form, the API and stored pages, 0 errors.

Eight seconds is some 1,500 requests queued 32 deep on each of the two workers: long enough for
a worker to be replaced, a connection to be refused or a request to time out, were any to be.
"""

from __future__ import annotations

import json
import shutil
import subprocess

import pytest

from tests.ops.servers import Gunicorn, fetch, production_env

pytestmark = pytest.mark.server

SECONDS = 8
CONNECTIONS = 64
INPUTS = [
    {"pain_type": "postherpetic_neuralgia", "analgesics": ["pregabalin"], "factors": []},
    {"pain_type": "painful_diabetic_neuropathy", "analgesics": ["duloxetine"], "factors": []},
    {"pain_type": "complex_regional_pain_syndrome", "analgesics": [], "factors": []},
]

SCRIPT = """
local requests = {{
{entries}
}}
local counter = 0
function init(args) counter = math.random(#requests) end
function request()
  counter = counter % #requests + 1
  return requests[counter]
end
function done(summary, latency, requests_)
  io.write(string.format('RESULT {{"requests": %d, "duration_us": %d, "connect": %d, '
    .. '"read": %d, "write": %d, "status": %d, "timeout": %d, "p99_us": %d}}\\n',
    summary.requests, summary.duration, summary.errors.connect, summary.errors.read,
    summary.errors.write, summary.errors.status, summary.errors.timeout,
    latency:percentile(99)))
end
"""


def lua_request(method: str, path: str, body: str | None = None, headers=None) -> str:
    fields = ", ".join(f"[{json.dumps(k)}] = {json.dumps(v)}" for k, v in (headers or {}).items())
    quoted_body = json.dumps(body) if body else "nil"
    return f"  wrk.format({json.dumps(method)}, {json.dumps(path)}, {{{fields}}}, {quoted_body}),"


def test_eight_seconds_at_64_connections_give_no_error(app_database, api_headers, tmp_path):
    wrk = shutil.which("wrk")
    if wrk is None:
        pytest.fail("wrk is not installed: apt-get install wrk (.ci/run does)")
    # Production settings but the rate limits, which this load would meet at once by design
    # (one address, thousands of assessments a minute): RATELIMIT_ENABLE=false.
    env = production_env(app_database, RATELIMIT_ENABLE="false", LOG_LEVEL="WARNING")
    with Gunicorn(env, tmp_path, workers=2) as server:
        stored = [
            fetch(
                server.base,
                "/api/v1/assessments",
                method="POST",
                body=json.dumps(inputs),
                headers=api_headers,
            ).json()["id"]
            for inputs in INPUTS
        ]
        entries = [lua_request("GET", "/")]
        entries += [
            lua_request("POST", "/api/v1/assessments", json.dumps(i), api_headers) for i in INPUTS
        ]
        entries += [lua_request("GET", f"/assessments/{i}/") for i in stored]
        script = tmp_path / "load.lua"
        script.write_text(SCRIPT.format(entries="\n".join(entries)))
        output = subprocess.run(
            [
                wrk,
                "-t2",
                f"-c{CONNECTIONS}",
                f"-d{SECONDS}s",
                "--timeout",
                "10s",
                "-s",
                str(script),
                server.base,
            ],
            capture_output=True,
            text=True,
            timeout=SECONDS + 60,
            check=True,
        ).stdout
    result = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    errors = {key: result[key] for key in ("connect", "read", "write", "status", "timeout")}
    assert errors == dict.fromkeys(errors, 0), output
    assert result["requests"] > SECONDS * 10, output
