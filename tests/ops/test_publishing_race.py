"""Two processes publishing, or rolling back, at the same moment on PostgreSQL: one wins."""

from __future__ import annotations

import subprocess

import psycopg
import pytest

from tests.ops.servers import BIN, ROOT, production_env

pytestmark = pytest.mark.server

ROUNDS = 5


class Sides:
    """Processes that publish or roll back on command (tests/ops/publish_race.py)."""

    def __init__(self, url: str, count: int = 2, **env: str):
        self.url, self.env = url, production_env(url, **env)
        self.processes = [
            subprocess.Popen(
                [str(BIN / "python"), "-m", "tests.ops.publish_race"],
                cwd=ROOT,
                env=self.env,
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                text=True,
            )
            for _ in range(count)
        ]

    def __enter__(self) -> Sides:
        for process in self.processes:
            assert process.stdout.readline().strip() == "ready"
        return self

    def at_once(self, *commands: str) -> list[str]:
        """Send each side its command, all at once: their outcomes, sorted."""
        for process, command in zip(self.processes, commands, strict=False):
            process.stdin.write(command + "\n")
            process.stdin.flush()
        busy = self.processes[: len(commands)]
        return sorted(process.stdout.readline().strip() for process in busy)

    def __exit__(self, *exc) -> None:
        for process in self.processes:
            process.stdin.close()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()


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
    with Sides(app_database) as sides:
        for number in range(1, ROUNDS + 1):
            assert sides.at_once(f"edit round {number}") == ["edited"]
            releases, activations = counts(app_database)
            outcomes = sides.at_once("publish", "publish")
            assert outcomes[0] == "nothing changed", outcomes
            assert outcomes[1].startswith("published "), outcomes
            assert counts(app_database) == (releases + 1, activations + 1)


def test_two_rollbacks_at_once_give_one_activation_and_already_active(app_database):
    with Sides(app_database) as sides:
        sides.at_once("edit a second release")
        sides.at_once("publish")
        with psycopg.connect(app_database) as connection:
            query = "SELECT id FROM decision_release ORDER BY id"
            ids = [row[0] for row in connection.execute(query)]
        for _ in range(ROUNDS):
            target = next(i for i in ids if i != active_release_id(app_database))
            releases, activations = counts(app_database)
            outcomes = sides.at_once(f"activate {target}", f"activate {target}")
            assert outcomes[0].startswith("activated "), outcomes
            assert outcomes[1] == "already active", outcomes
            assert counts(app_database) == (releases, activations + 1)
            assert active_release_id(app_database) == target
