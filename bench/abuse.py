"""`python bench/abuse.py`: what the rate limits and the admin lockout do to a flood.

Starts gunicorn as `make serve` does (config/gunicorn.py, 2 workers, production settings, rate
limits on) against PostgreSQL from DATABASE_URL (default: the bench database) and Redis from
REDIS_URL (default 127.0.0.1:6379, keys under a prefix of this run's own), then floods from one
address: the API's POST, the save endpoint with one CSRF token, fresh PDFs from 8 connections
(timing /livez meanwhile) and 100 wrong admin passwords. Prints what each flood got.
"""

from __future__ import annotations

import json
import os
import random
import subprocess
import sys
import threading
import time
import uuid
from collections import Counter
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from run import (  # noqa: E402
    BIN,
    ROOT,
    create_api_key,
    free_port,
    prepare,
    server_environment,
    wait_until_up,
)

sys.path.insert(0, str(ROOT))

from tests.ops.servers import fetch  # noqa: E402

JSON = {"Content-Type": "application/json"}
CSRF = "k" * 32  # any well-formed token that matches its cookie
FORM = {
    "Content-Type": "application/x-www-form-urlencoded",
    "Cookie": f"csrftoken={CSRF}",
    "X-CSRFToken": CSRF,
}
INPUTS = json.dumps({"pain_type": "postherpetic_neuralgia", "analgesics": [], "factors": []})


def main() -> int:
    env = server_environment()
    prepare(env)
    # A client with a valid key: what the limits, not the key check, do to its flood.
    JSON["Authorization"] = f"Bearer {create_api_key(env)}"
    port = free_port()
    env.update(
        RATELIMIT_ENABLE="true",
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0"),
        CACHE_KEY_PREFIX=f"nmdar-abuse-{uuid.uuid4().hex}",
        PORT=str(port),
        WEB_CONCURRENCY="2",
        LOG_LEVEL="INFO",
    )
    errors = ROOT / "var" / "abuse-errors.log"
    with errors.open("w") as stderr:
        server = subprocess.Popen(
            [str(BIN / "gunicorn"), "--config", "config/gunicorn.py", "config.wsgi:application"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
        )
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        print("Rate limits on (the defaults of the README); one client address.")
        flood("POST /api/v1/assessments, 300 at once", 300, base, "/api/v1/assessments", INPUTS)
        flood("POST /assessments/, one CSRF token, 100", 100, base, "/assessments/", None)
        pdf_flood(base)
        admin_flood(base)
    finally:
        server.terminate()
        server.wait(timeout=30)
    log = errors.read_text()
    print(
        f"admin failures logged: {log.count('login failure')} lines, "
        f"{log.count('Locking out')} lockouts, a password in the log: {'wrong-guess' in log}"
    )
    return 0


def flood(label: str, count: int, base: str, path: str, body: str | None) -> None:
    started, statuses = time.monotonic(), Counter()
    for _ in range(count):
        if body is None:
            answer = fetch(
                base, path, method="POST", body="pain_type=postherpetic_neuralgia", headers=FORM
            )
        else:
            answer = fetch(base, path, method="POST", body=body, headers=JSON)
        statuses[answer.status] += 1
    seconds = time.monotonic() - started
    print(
        f"{label}: {dict(statuses)} in {seconds:.1f} s; last Retry-After "
        f"{answer.headers.get('retry-after')}"
    )


def pdf_flood(base: str, seconds: float = 15) -> None:
    # Fresh assessments to render, stored from other addresses (the proxy names them).
    ids = [
        fetch(
            base,
            "/api/v1/assessments",
            method="POST",
            body=INPUTS,
            headers={**JSON, "X-Real-IP": f"198.51.100.{n}"},
        ).json()["id"]
        for n in range(1, 41)
    ]
    stop, statuses, lock = threading.Event(), Counter(), threading.Lock()

    def ask(number: int) -> None:
        for step in range(10_000):
            if stop.is_set():
                return
            answer = fetch(base, f"/assessments/{ids[(number * 5 + step) % 40]}/pdf/", timeout=60)
            with lock:
                statuses[answer.status] += 1

    threads = [threading.Thread(target=ask, args=(n,)) for n in range(8)]
    for thread in threads:
        thread.start()
    timings, started = [], time.monotonic()
    while time.monotonic() - started < seconds:
        timings.append(fetch(base, "/livez").seconds)
        time.sleep(0.2)
    stop.set()
    for thread in threads:
        thread.join()
    timings.sort()
    print(
        f"fresh PDFs, 8 connections, {seconds:.0f} s: {dict(statuses)}; /livez meanwhile "
        f"median {timings[len(timings) // 2] * 1000:.0f} ms, max {timings[-1] * 1000:.0f} ms"
    )


def admin_flood(base: str) -> None:
    # An address of this run's own: lockouts are kept in the database for ADMIN_LOCKOUT_MINUTES.
    headers = {**FORM, "X-Real-IP": f"203.0.113.{random.randint(1, 254)}"}
    username = f"curator-{uuid.uuid4().hex[:8]}"
    started, statuses = time.monotonic(), Counter()
    for number in range(100):
        body = f"username={username}&password=wrong-guess-{number}"
        statuses[
            fetch(base, "/admin/login/", method="POST", body=body, headers=headers).status
        ] += 1
    print(
        f"admin sign-in, 100 wrong passwords: {dict(statuses)} in "
        f"{time.monotonic() - started:.1f} s"
    )


if __name__ == "__main__":
    raise SystemExit(main())
