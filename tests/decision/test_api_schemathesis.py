"""schemathesis against the live API's own `/api/v1/openapi.json` (issue 11, item 10).

Every phase (the schema's examples, coverage of its edges, fuzzing, and stateful runs that
follow a created assessment to its read), every check, a bounded number of cases per operation
and a fixed seed, against Django's live server on loopback with the shipped knowledge base and
API keys required. The key is sent with every request; schemathesis also sends requests
without it (its `ignored_auth` check) and expects the 401.
"""

import subprocess
import sys
from pathlib import Path

import pytest

from access.keys import create_api_key

ST = Path(sys.executable).with_name("st")
MAX_EXAMPLES = 15
SEED = 2026


@pytest.mark.django_db(transaction=True)
def test_schemathesis_finds_no_failure(live_server, shipped_release, settings, tmp_path):
    settings.API_KEYS_REQUIRED = True
    _, key = create_api_key("schemathesis")
    command = [
        str(ST),
        "run",
        f"{live_server.url}/api/v1/openapi.json",
        "--checks",
        "all",
        "--max-examples",
        str(MAX_EXAMPLES),
        "--seed",
        str(SEED),
        "--workers",
        "1",
        "--request-timeout",
        "10",
        "--header",
        f"Authorization: Bearer {key}",
        # The report would print the key it sent; only the verdict matters here.
        "--output-sanitize",
        "true",
    ]
    result = subprocess.run(
        command, cwd=tmp_path, capture_output=True, text=True, timeout=120, check=False
    )
    assert result.returncode == 0, result.stdout[-6000:] + result.stderr[-2000:]
    assert "No issues found" in result.stdout
