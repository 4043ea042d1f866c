"""Two processes publishing, or rolling back, at the same moment on PostgreSQL: one wins."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.ops.servers import BIN, ROOT, production_env

pytestmark = pytest.mark.server

ROUNDS = 4


def race(url: str, *argvs: list[str], **env: str) -> list[str]:
    """Start every side, let them set up, then say "go" to all at once: their outcomes."""
    env = production_env(url, **env)
    sides = [
        subprocess.Popen(
            [str(BIN / "python"), "-m", "tests.ops.publish_race", *argv],
            cwd=ROOT,
            env=env,
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        for argv in argvs
    ]
    try:
        for side in sides:
            assert side.stdout.readline().strip() == "ready"
        for side in sides:
            side.stdin.write("go\n")
            side.stdin.flush()
        outcomes = [side.stdout.readline().strip() for side in sides]
        for side in sides:
            side.wait(timeout=60)
    finally:
        for side in sides:
            if side.poll() is None:
                side.kill()
    return sorted(outcomes)


def counts(url: str) -> tuple[int, int]:
    with psycopg.connect(url) as connection:
        releases = connection.execute("SELECT count(*) FROM decision_release").fetchone()[0]
        activations = connection.execute("SELECT count(*) FROM decision_activation").fetchone()[0]
    return releases, activations


def active_release_id(url: str) -> int:
    with psycopg.connect(url) as connection:
        query = "SELECT release_id FROM decision_activation ORDER BY id DESC LIMIT 1"
        return connection.execute(query).fetchone()[0]


def test_two_publishes_at_once_give_one_release_and_nothing_changed(app_database):
    for number in range(1, ROUNDS + 1):
        releases, activations = counts(app_database)
        outcomes = race(app_database, ["publish", f"round {number}"], ["publish"])
        assert outcomes[0] == "nothing changed", outcomes
        assert outcomes[1].startswith("published "), outcomes
        assert counts(app_database) == (releases + 1, activations + 1)


def test_two_rollbacks_at_once_give_one_activation_and_already_active(app_database):
    race(app_database, ["publish", "a second release"], ["publish"])
    with psycopg.connect(app_database) as connection:
        ids = [row[0] for row in connection.execute("SELECT id FROM decision_release ORDER BY id")]
    for _ in range(ROUNDS):
        target = next(i for i in ids if i != active_release_id(app_database))
        releases, activations = counts(app_database)
        outcomes = race(app_database, ["activate", str(target)], ["activate", str(target)])
        assert outcomes[0].startswith("activated "), outcomes
        assert outcomes[1] == "already active", outcomes
        assert counts(app_database) == (releases, activations + 1)
        assert active_release_id(app_database) == target
