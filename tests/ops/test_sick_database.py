"""A database that stops or freezes under requests: fast, clear 503s, one log line each, and
service back by itself. Against a PostgreSQL cluster of the test's own."""

from __future__ import annotations

import json
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from tests.ops.cluster import Cluster
from tests.ops.conftest import database_url
from tests.ops.servers import Gunicorn, fetch, production_env

pytestmark = pytest.mark.server

BOUND_SECONDS = 3
# The in-memory release is trusted this long: past it, even the form page asks the database.
RELEASE_CHECK_SECONDS = 1
INPUTS = {"pain_type": "postherpetic_neuralgia", "analgesics": ["pregabalin"]}


def probes(assessment_id: str) -> list[tuple[str, str, str | None, str]]:
    """(method, path, JSON body, kind) for every kind of page that needs the database."""
    stored = f"/assessments/{assessment_id}/"
    return [
        ("GET", "/?pain_type=postherpetic_neuralgia", None, "page"),
        ("POST", "/api/v1/assessments", json.dumps(INPUTS), "api"),
        ("GET", f"/api/v1/assessments/{assessment_id}", None, "api"),
        ("GET", stored, None, "page"),
        ("GET", f"{stored}pdf/", None, "page"),
        ("GET", "/healthz", None, "health"),
    ]


def burst(
    base: str, assessment_id: str, api_headers: dict, times: int = 2
) -> list[tuple[str, str, object]]:
    """Every probe `times` over, all at once: (kind, path, answer) each; the API's POST with
    its key."""
    requests = probes(assessment_id) * times

    def ask(probe):
        method, path, body, kind = probe
        headers = api_headers if body else {}
        return kind, path, fetch(base, path, method=method, body=body, headers=headers, timeout=15)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(ask, requests))


def assert_unavailable(answers) -> None:
    for kind, path, answer in answers:
        assert answer.status == 503, (path, answer.status, answer.body[:300])
        assert answer.seconds < BOUND_SECONDS, (path, answer.seconds)
        if kind == "api":
            assert answer.headers["content-type"] == "application/json"
            assert list(answer.json()["errors"]) == ["database"]
        elif kind == "health":
            assert answer.json()["database"] == "unreachable"
        else:
            assert b"temporarily unavailable" in answer.body
            assert answer.headers["retry-after"]


def assert_available(answers) -> None:
    assert all(answer.status in (200, 201) for _, _, answer in answers), [
        (path, answer.status) for _, path, answer in answers
    ]


class Recovery:
    """Polls /healthz until it answers 200: how long that took, and how many 503s it got."""

    def __init__(self, base: str, limit: float = 15):
        started = time.monotonic()
        self.failures = 0
        while time.monotonic() - started < limit:
            if fetch(base, "/healthz", timeout=5).status == 200:
                self.seconds = time.monotonic() - started
                return
            self.failures += 1
            time.sleep(0.1)
        pytest.fail(f"the service did not come back within {limit} s")


@pytest.fixture
def sick(template_database, tmp_path):
    with Cluster() as cluster:
        url = cluster.load(database_url(template_database), "nmdar")
        # The bursts ask for more PDFs than one address may (RATELIMIT_PDF): limits are not
        # what this test is about.
        env = production_env(
            url, RELEASE_CHECK_SECONDS=str(RELEASE_CHECK_SECONDS), RATELIMIT_ENABLE="false"
        )
        with Gunicorn(env, tmp_path, workers=2) as server:
            yield cluster, server


def test_a_stopped_or_frozen_database_gets_fast_clear_503s_and_service_returns(sick, api_headers):
    cluster, server = sick
    created = fetch(
        server.base,
        "/api/v1/assessments",
        method="POST",
        body=json.dumps(INPUTS),
        headers=api_headers,
    )
    assert created.status == 201
    assessment_id = created.json()["id"]
    # Both workers hold a database connection, as in steady service.
    assert_available(burst(server.base, assessment_id, api_headers))

    cluster.stop()
    time.sleep(RELEASE_CHECK_SECONDS + 0.2)
    outage = burst(server.base, assessment_id, api_headers)
    assert_unavailable(outage)
    assert fetch(server.base, "/livez").status == 200

    cluster.start()
    after_outage = Recovery(server.base)
    assert after_outage.seconds < 5
    assert_available(burst(server.base, assessment_id, api_headers))

    cluster.freeze()
    try:
        time.sleep(RELEASE_CHECK_SECONDS + 0.2)
        frozen = burst(server.base, assessment_id, api_headers)
        # Later in the freeze, after the workers' pause before asking the server again.
        time.sleep(2.5)
        frozen += burst(server.base, assessment_id, api_headers, times=1)
    finally:
        cluster.thaw()
    assert_unavailable(frozen)
    after_freeze = Recovery(server.base)
    assert after_freeze.seconds < 5
    assert_available(burst(server.base, assessment_id, api_headers))

    log = server.errors()
    assert "Traceback" not in log
    # One line per failed request, the recovery polls' included.
    failures = len(outage) + len(frozen) + after_outage.failures + after_freeze.failures
    assert log.count("Service Unavailable: ") == failures, log
    assert "Jane" not in log
    assert "Jane" not in server.accesses()
