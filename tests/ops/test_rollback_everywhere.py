"""With Redis, a rollback reaches every server process within 0.5 s, under load; the rate
limits hold across processes."""

from __future__ import annotations

import json
import threading
import time
import uuid

import psycopg
import pytest
import redis

from tests.ops.conftest import database_copy
from tests.ops.servers import Gunicorn, fetch, production_env
from tests.ops.test_publishing_race import Sides

pytestmark = pytest.mark.server

REDIS_URL = "redis://127.0.0.1:6379/0"
BOUND_SECONDS = 0.5
ROLLBACKS = 6
# How long answers are watched after each rollback, for one from the withdrawn release.
WATCH_SECONDS = 1
API_LIMIT = 5


@pytest.fixture(scope="module")
def shared(template_database, tmp_path_factory):
    """Two gunicorn servers of one worker each, sharing a database and Redis (test keys), started
    once for both tests: neither depends on what the other did (the rollbacks post nothing, so
    the rate limit's count starts at zero; the limited posts leave the releases alone)."""
    prefix = f"nmdar-test-{uuid.uuid4().hex}"
    logs = tmp_path_factory.mktemp("shared")
    try:
        with database_copy(template_database) as url:
            env = production_env(
                url, REDIS_URL=REDIS_URL, CACHE_KEY_PREFIX=prefix, RATELIMIT_API=f"{API_LIMIT}/h"
            )
            with (
                Gunicorn(env, logs, workers=1, name="a") as a,
                Gunicorn(env, logs, workers=1, name="b") as b,
            ):
                yield env, [a, b]
    finally:
        # The announcement never expires: the test's keys go with the test.
        client = redis.Redis.from_url(REDIS_URL)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def redis_env(env: dict[str, str]) -> dict[str, str]:
    return {key: env[key] for key in ("REDIS_URL", "CACHE_KEY_PREFIX")}


class Watcher(threading.Thread):
    """Asks one server, over and over, which release answers: (time sent, version) each."""

    def __init__(self, server: Gunicorn, stop: threading.Event):
        super().__init__(daemon=True)
        self.server, self.stop, self.answers = server, stop, []

    def run(self) -> None:
        deadline = time.monotonic() + 60
        while not self.stop.is_set() and time.monotonic() < deadline:
            sent = time.monotonic()
            answer = fetch(self.server.base, "/api/v1/vocabulary")
            self.answers.append((sent, answer.json()["knowledge_base"]["release"]))


def test_every_server_answers_from_the_reactivated_release_within_half_a_second(shared):
    env, servers = shared
    url = env["DATABASE_URL"]
    first = fetch(servers[0].base, "/api/v1/vocabulary").json()["knowledge_base"]["release"]
    with Sides(url, count=1, **redis_env(env)) as curator:
        curator.at_once("edit a second release")
        (published,) = curator.at_once("publish")
        second = published.removeprefix("published ")
        with psycopg.connect(url) as connection:
            ids = dict(connection.execute("SELECT version, id FROM decision_release").fetchall())

        stop = threading.Event()
        # Two watchers per server: load, and answers sent at any moment.
        watchers = [Watcher(server, stop) for server in servers for _ in range(2)]
        for watcher in watchers:
            watcher.start()
        lags = []
        try:
            for number in range(ROLLBACKS):
                target = first if number % 2 == 0 else second
                withdrawn = second if target == first else first
                (outcome,) = curator.at_once(f"activate {ids[target]}")
                committed = time.monotonic()
                assert outcome == f"activated {target}"
                time.sleep(WATCH_SECONDS)
                stale = [
                    sent
                    for watcher in watchers
                    for sent, version in watcher.answers
                    if sent > committed and version == withdrawn
                ]
                lags.append(max(stale, default=committed) - committed)
        finally:
            stop.set()
            for watcher in watchers:
                watcher.join(timeout=10)
    assert max(lags) < BOUND_SECONDS, lags
    assert all(len(watcher.answers) > 20 for watcher in watchers)


def test_the_api_rate_limit_is_shared_by_every_server_process(shared, api_headers):
    _env, servers = shared
    body = json.dumps({"pain_type": "postherpetic_neuralgia"})
    answers = [
        fetch(
            servers[number % 2].base,
            "/api/v1/assessments",
            method="POST",
            body=body,
            headers=api_headers,
        )
        for number in range(API_LIMIT + 3)
    ]
    assert [answer.status for answer in answers] == [201] * API_LIMIT + [429] * 3
    refused = answers[-1]
    assert refused.headers["content-type"] == "application/json"
    assert list(refused.json()["errors"]) == ["rate_limit"]
    assert 0 < int(refused.headers["retry-after"]) <= 3600
