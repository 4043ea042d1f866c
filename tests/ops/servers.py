"""Real servers for the fault, load and deployment tests: gunicorn, PostgreSQL databases, HTTP.

Everything listens on 127.0.0.1 only, on free ports, and is stopped by the test that started it.
"""

from __future__ import annotations

import http.client
import os
import secrets
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
BIN = Path(sys.executable).parent
GUNICORN_CONFIG = ROOT / "config" / "gunicorn.py"
# Variables of the test run or of a developer's shell that are no part of a deployment.
NOT_INHERITED = {
    "SECRET_KEY",
    "DEBUG",
    "DJANGO_ALLOW_ASYNC_UNSAFE",
    "DJANGO_SETTINGS_MODULE",
    "DATABASE_URL",
    "REDIS_URL",
    "STATIC_MANIFEST",
    "WEB_CONCURRENCY",
    "PORT",
    "BIND_ADDRESS",
    # The test run's lenient database bounds (pyproject.toml): servers get production's.
    "DATABASE_STATEMENT_TIMEOUT",
    "DATABASE_CLIENT_TIMEOUT",
    "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT",
    "RATELIMIT_ENABLE",
}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def production_env(database_url: str, **extra: str) -> dict[str, str]:
    """Production settings on loopback, but for static files: collecting them takes ~20 s and
    no test asks for one, so they stay unhashed (STATIC_MANIFEST=false)."""
    env = {key: value for key, value in os.environ.items() if key not in NOT_INHERITED}
    env.update(
        DEBUG="false",
        SECRET_KEY=secrets.token_urlsafe(50),
        ALLOWED_HOSTS="127.0.0.1,localhost",
        SECURE_COOKIES="false",
        STATIC_MANIFEST="false",
        DATABASE_URL=database_url,
        LOG_LEVEL="INFO",
        RATELIMIT_ENABLE="true",
    )
    env.update(extra)
    return env


def manage(env: dict[str, str], *args: str, timeout: float = 180) -> str:
    result = subprocess.run(
        [str(BIN / "python"), "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=timeout,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stderr}"
    return result.stdout


@dataclass
class Answer:
    status: int
    headers: dict[str, str]
    body: bytes
    seconds: float

    def json(self):
        import json

        return json.loads(self.body)


def fetch(
    base: str,
    path: str,
    *,
    method: str = "GET",
    body: bytes | str | None = None,
    headers: dict[str, str] | None = None,
    timeout: float = 10,
) -> Answer:
    """One request on a fresh connection, with how long it took; never raises on a status."""
    host, port = base.removeprefix("http://").split(":")
    if isinstance(body, str):
        body = body.encode()
    started = time.monotonic()
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        connection.request(method, path, body=body, headers=headers or {})
        response = connection.getresponse()
        data = response.read()
    finally:
        connection.close()
    return Answer(
        response.status,
        {k.lower(): v for k, v in response.getheaders()},
        data,
        time.monotonic() - started,
    )


class Gunicorn:
    """The app under config/gunicorn.py, as `make serve` runs it, on a free loopback port."""

    def __init__(self, env: dict[str, str], log_dir: Path, *, workers: int = 2, name: str = "app"):
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.access_log = log_dir / f"{name}-access.log"
        self.error_log = log_dir / f"{name}-error.log"
        self.env = {**env, "PORT": str(self.port), "WEB_CONCURRENCY": str(workers)}
        self.process: subprocess.Popen | None = None

    def __enter__(self) -> Gunicorn:
        command = [
            str(BIN / "gunicorn"),
            "--config",
            str(GUNICORN_CONFIG),
            "config.wsgi:application",
        ]
        # The configuration logs accesses to stdout, and errors (gunicorn's and the app's) to
        # stderr, as in production; each goes to a file here. Its own process group, so that
        # stopping it stops every worker.
        with self.access_log.open("ab") as stdout, self.error_log.open("ab") as stderr:
            self.process = subprocess.Popen(
                command,
                cwd=ROOT,
                env=self.env,
                stdout=stdout,
                stderr=stderr,
                start_new_session=True,
            )
        self.wait_until_up()
        return self

    def wait_until_up(self, timeout: float = 60) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise RuntimeError(f"gunicorn exited:\n{self.errors()}")
            try:
                if fetch(self.base, "/livez", timeout=2).status == 200:
                    return
            except OSError:
                pass
            time.sleep(0.2)
        raise RuntimeError(f"gunicorn did not answer within {timeout} s:\n{self.errors()}")

    def errors(self) -> str:
        return self.error_log.read_text() if self.error_log.exists() else ""

    def accesses(self) -> str:
        return self.access_log.read_text() if self.access_log.exists() else ""

    def __exit__(self, *exc) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=15)
