"""Before and after: the same wrk load on another checkout's code and on this one, in turn.

On a shared machine the baseline moves from one minute to the next, so a figure from an older
`make bench` says little about a change. This starts gunicorn (2 workers, production settings,
rate limits off) on one checkout, then on the other, round after round on the same PostgreSQL
database, and prints each path's req/s and ratio to /livez in that same server's run:

    git worktree add /tmp/nmdar-main main        # or: git archive main | tar -x -C /tmp/nmdar-main
    DATABASE_URL=postgres://… .venv/bin/python bench/compare.py /tmp/nmdar-main

Both checkouts run with this checkout's virtualenv on one database, which must have the knowledge
base loaded (`make bench` does it): so only for a change that keeps the schema and the
dependencies. Across a migration, run `bench/run.py` of each checkout instead, each with its own
virtualenv and database (README, Performance). Every stored page and PDF is fetched four times
before timing, so both workers' caches are warm: this compares steady states, not first renders.
"""

from __future__ import annotations

import argparse
import sys
import urllib.request
from pathlib import Path

import run  # bench/run.py, beside this script

PATHS = ("livez", "form_page", "htmx_results", "assessment_page", "assessment_pdf")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("other", type=Path, help="the checkout to compare with (e.g. main)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--duration", type=int, default=10, help="seconds per path")
    args = parser.parse_args()
    wrk = run.require_wrk()
    env = run.server_environment()
    codes = {"before": args.other.resolve(), "after": run.ROOT}
    for name, root in codes.items():
        run.manage(static_env(env, name), "collectstatic", "--noinput", "-v0", root=root)
    run.API_HEADERS["Authorization"] = f"Bearer {run.create_api_key(env)}"
    figures = {name: {path: [] for path in PATHS} for name in codes}
    for number in range(1, args.rounds + 1):
        for name, root in codes.items():
            for path, rate in measure(wrk, root, static_env(env, name), args.duration).items():
                figures[name][path].append(rate)
            print(f"round {number}: {name} done", file=sys.stderr)
    for name in codes:
        for path in PATHS:
            rates, baselines = figures[name][path], figures[name]["livez"]
            ratios = [rate / livez for rate, livez in zip(rates, baselines, strict=True)]
            print(
                f"{name:7} {run.LABELS[path]:28} req/s "
                f"{', '.join(f'{rate:7.1f}' for rate in rates)}   × /livez "
                f"{', '.join(f'{ratio:.3f}' for ratio in ratios)}"
            )
    return 0


def static_env(env: dict, name: str) -> dict:
    return {**env, "STATIC_ROOT": str(run.ROOT / "var" / f"compare-static-{name}")}


def measure(wrk: str, root: Path, env: dict, duration: int) -> dict[str, float]:
    port = run.free_port()
    server = run.start_server(env, port, root)
    base = f"http://127.0.0.1:{port}"
    try:
        run.wait_until_up(base)
        combos = run.input_combinations(base)
        ids = run.stored_assessments(base, combos)
        csrf = run.csrf_token(base)
        run.warm_up(base, combos, ids, csrf)
        for _ in range(4):
            for assessment_id in ids:
                for suffix in ("", "pdf/"):
                    url = f"{base}/assessments/{assessment_id}/{suffix}"
                    with urllib.request.urlopen(url, timeout=60) as response:  # noqa: S310
                        response.read()
        return {
            path: run.run_wrk(wrk, base, run.lua_script(path, combos, ids, csrf), duration, 16)[
                "requests_per_second"
            ]
            for path in PATHS
        }
    finally:
        server.terminate()
        server.wait(timeout=30)


if __name__ == "__main__":
    raise SystemExit(main())
