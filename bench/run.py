"""`make bench`: speed and memory of every assessment path, against `/livez` in the same run.

Starts the app under gunicorn (2 workers, production settings, DEBUG off) on a free loopback port
against PostgreSQL from DATABASE_URL, loads the shipped knowledge base, warms up, and drives each
path with wrk from a separate process (16 connections, 15 s, rotating among 50 realistic inputs).
Then: queries per request (Django test client + CaptureQueriesContext), worker RSS after each of
two rounds, sequential PDF latency, and `evaluate` timings on the shipped release and on
synthetic releases of 1,000 and 10,000 rules, and the CDS Hooks answer time (bench/cds.py).
Prints a table and writes bench/results.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path
from urllib.parse import urlencode, urlsplit

import cds  # bench/cds.py, beside this script

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
RESULTS = ROOT / "bench" / "results.json"
DEFAULT_DATABASE = "postgres://postgres@127.0.0.1:5432/nmdar_bench"
PATHS = ("livez", "api_post", "form_page", "htmx_results", "assessment_page", "assessment_pdf")
# The API's POSTs carry the key `main` creates (production requires one).
API_HEADERS = {"Content-Type": "application/json"}
LABELS = {
    "livez": "GET /livez (baseline)",
    "api_post": "POST /api/v1/assessments",
    "form_page": "GET / (form page)",
    "htmx_results": "POST / (htmx results)",
    "assessment_page": "GET /assessments/<id>/",
    "assessment_pdf": "GET /assessments/<id>/pdf/",
}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--duration", type=int, default=15, help="seconds per path (>= 15)")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--rounds", type=int, default=2, help="rounds over every path")
    args = parser.parse_args()
    wrk = require_wrk()

    env = server_environment()
    print("Rate limits are off for the benchmark (RATELIMIT_ENABLE=false).", file=sys.stderr)
    prepare(env)
    api_key = create_api_key(env)
    API_HEADERS["Authorization"] = f"Bearer {api_key}"
    cds_key = cds.register_client(manage, env)
    port = free_port()
    server = start_server(env, port)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_until_up(base)
        combos = input_combinations(base)
        ids = stored_assessments(base, combos)
        csrf = csrf_token(base)
        workers = worker_pids(server.pid)
        warm_up(base, combos, ids, csrf)
        rounds = []
        for number in range(1, args.rounds + 1):
            figures = {}
            for path in PATHS:
                script = lua_script(path, combos, ids, csrf)
                figures[path] = run_wrk(wrk, base, script, args.duration, args.connections)
                print(f"round {number}: {path} done", file=sys.stderr)
            rounds.append({"paths": figures, "worker_rss_mb": rss_of(workers)})
        # The PDF target is about rendering: time the first download of assessments stored
        # just now, whose PDF was never rendered (nothing cached under their ids). Then the same
        # downloads three times more: without Redis each worker keeps its own cache, so the
        # first repeat may reach the other worker and render once more; at least two of the
        # three are cached fetches, and so is their median.
        fresh = [f"/assessments/{i}/pdf/" for i in stored_assessments(base, combos[:30])]
        pdf_sequential = {
            "first_render": sequential_latency(base, fresh),
            "cached": sequential_latency(base, fresh * 3),
        }
        cds_latency = cds.latency(base, cds_key)
    finally:
        server.terminate()
        server.wait(timeout=30)

    in_process = measure_in_process({**env, "BENCH_API_KEY": api_key}, combos)
    results = summarise(rounds, pdf_sequential, in_process, args)
    results["cds_hooks"] = cds_latency
    RESULTS.write_text(json.dumps(results, indent=2) + "\n")
    print_table(results)
    print(f"\nWrote {RESULTS.relative_to(ROOT)}.")
    return 0


# --- The server -----------------------------------------------------------------------------


def server_environment() -> dict:
    database = os.environ.get("DATABASE_URL") or DEFAULT_DATABASE
    if not database.startswith(("postgres://", "postgresql://")):
        sys.exit("make bench measures PostgreSQL: set DATABASE_URL=postgres://…")
    ensure_database(database)
    static_root = ROOT / "var" / "bench-static"
    return {
        **os.environ,
        "DATABASE_URL": database,
        "DEBUG": "false",
        "SECRET_KEY": secrets.token_urlsafe(50),
        "ALLOWED_HOSTS": "127.0.0.1,localhost",
        "SECURE_COOKIES": "false",  # plain HTTP on loopback
        "STATIC_ROOT": str(static_root),
        "STATIC_MANIFEST": "true",
        "LOG_LEVEL": "WARNING",
        "DJANGO_SETTINGS_MODULE": "config.settings",
        # One address sends thousands of requests a minute: the rate limits would refuse most.
        "RATELIMIT_ENABLE": "false",
    }


def ensure_database(url: str) -> None:
    import psycopg

    parts = urlsplit(url)
    name = parts.path.lstrip("/")
    admin = parts._replace(path="/postgres").geturl()
    with psycopg.connect(admin, autocommit=True) as connection:
        exists = connection.execute(
            "SELECT 1 FROM pg_database WHERE datname = %s", [name]
        ).fetchone()
        if not exists:
            connection.execute(f'CREATE DATABASE "{name}"')


def require_wrk() -> str:
    wrk = shutil.which("wrk")
    if wrk is None:
        sys.exit("wrk is not installed: `apt-get install -y wrk` (make bench does this)")
    return wrk


def manage(env: dict, *args: str, root: Path = ROOT) -> None:
    subprocess.run([str(BIN / "python"), "manage.py", *args], cwd=root, env=env, check=True)


def prepare(env: dict) -> None:
    manage(env, "migrate", "--noinput", "-v0")
    manage(env, "load_knowledge_base")
    manage(env, "collectstatic", "--noinput", "-v0")


def create_api_key(env: dict) -> str:
    command = [str(BIN / "python"), "manage.py", "create_api_key", "make bench"]
    output = subprocess.run(command, cwd=ROOT, env=env, check=True, capture_output=True, text=True)
    return output.stdout.splitlines()[-1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def start_server(env: dict, port: int, root: Path = ROOT) -> subprocess.Popen:
    """gunicorn with 2 sync workers, serving the checkout at `root` (bench/compare.py passes
    another)."""
    command = [
        str(BIN / "gunicorn"),
        "config.wsgi:application",
        "--bind",
        f"127.0.0.1:{port}",
        "--workers",
        "2",
        "--worker-class",
        "sync",
        "--log-level",
        "warning",
    ]
    return subprocess.Popen(command, cwd=root, env=env)


def wait_until_up(base: str) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/healthz", timeout=2) as response:  # noqa: S310
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.3)
    sys.exit("the server did not become healthy within 60 s")


def worker_pids(master: int) -> list[int]:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        children = Path(f"/proc/{master}/task/{master}/children").read_text().split()
        if len(children) >= 2:
            return [int(pid) for pid in children]
        time.sleep(0.2)
    sys.exit("gunicorn did not start two workers")


def rss_of(pids: list[int]) -> dict[str, float]:
    figures = {}
    for pid in pids:
        status = Path(f"/proc/{pid}/status").read_text()
        rss = int(re.search(r"VmRSS:\s+(\d+) kB", status).group(1))
        peak = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
        figures[str(pid)] = {"rss_mb": round(rss / 1024, 1), "peak_mb": round(peak / 1024, 1)}
    return figures


# --- Inputs ---------------------------------------------------------------------------------


def fetch_json(url: str, body: dict | None = None) -> dict:
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=API_HEADERS)  # noqa: S310
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        return json.loads(response.read())


def input_combinations(base: str, count: int = 50) -> list[dict]:
    """Realistic inputs: one pain type, 0-4 current medicines, 0-3 factors (fixed seed)."""
    vocabulary = fetch_json(f"{base}/api/v1/vocabulary")
    pain_types = [item["slug"] for item in vocabulary["pain_types"]]
    drugs = [item["slug"] for item in vocabulary["drugs"]]
    factors = [item["slug"] for item in vocabulary["patient_factors"]]
    rng = random.Random(2026)
    return [
        {
            "pain_type": rng.choice(pain_types),
            "analgesics": sorted(rng.sample(drugs, rng.randint(0, 4))),
            "factors": sorted(rng.sample(factors, rng.randint(0, 3))),
        }
        for _ in range(count)
    ]


def stored_assessments(base: str, combos: list[dict]) -> list[str]:
    return [fetch_json(f"{base}/api/v1/assessments", combo)["id"] for combo in combos]


def csrf_token(base: str) -> str:
    jar = CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    opener.open(f"{base}/", timeout=30).read()
    for cookie in jar:
        if cookie.name == "csrftoken":
            return cookie.value
    sys.exit("the form page set no csrftoken cookie")


def form_body(combo: dict) -> str:
    pairs = [("pain_type", combo["pain_type"])]
    pairs += [("analgesics", slug) for slug in combo["analgesics"]]
    pairs += [("factors", slug) for slug in combo["factors"]]
    return urlencode(pairs)


def requests_for(path: str, combos: list[dict], ids: list[str], csrf: str) -> list[dict]:
    if path == "livez":
        return [{"method": "GET", "path": "/livez", "headers": {}, "body": ""}]
    if path == "form_page":
        return [{"method": "GET", "path": "/", "headers": {}, "body": ""}]
    if path == "api_post":
        return [
            {
                "method": "POST",
                "path": "/api/v1/assessments",
                "headers": API_HEADERS,
                "body": json.dumps(combo),
            }
            for combo in combos
        ]
    if path == "htmx_results":
        headers = {
            "Content-Type": "application/x-www-form-urlencoded",
            "HX-Request": "true",
            "HX-Current-URL": "http://127.0.0.1/",
            "X-CSRFToken": csrf,
            "Cookie": f"csrftoken={csrf}",
        }
        return [
            {"method": "POST", "path": "/", "headers": headers, "body": form_body(combo)}
            for combo in combos
        ]
    suffix = "pdf/" if path == "assessment_pdf" else ""
    return [
        {"method": "GET", "path": f"/assessments/{i}/{suffix}", "headers": {}, "body": ""}
        for i in ids
    ]


def warm_up(base: str, combos: list[dict], ids: list[str], csrf: str) -> None:
    # Every worker compiles the release and imports its templates before anything is timed.
    for path in PATHS:
        for spec in requests_for(path, combos, ids, csrf)[:10] * 2:
            request = urllib.request.Request(  # noqa: S310
                base + spec["path"],
                data=spec["body"].encode() or None,
                headers=spec["headers"],
                method=spec["method"],
            )
            with urllib.request.urlopen(request, timeout=60) as response:  # noqa: S310
                response.read()


# --- wrk ------------------------------------------------------------------------------------


def lua_string(text: str) -> str:
    return json.dumps(text)  # JSON string escapes are valid Lua string escapes for this ASCII


def lua_script(path: str, combos: list[dict], ids: list[str], csrf: str) -> str:
    specs = requests_for(path, combos, ids, csrf)
    entries = []
    for spec in specs:
        headers = ", ".join(
            f"[{lua_string(k)}] = {lua_string(v)}" for k, v in spec["headers"].items()
        )
        body = lua_string(spec["body"]) if spec["body"] else "nil"
        entries.append(
            f"  wrk.format({lua_string(spec['method'])}, {lua_string(spec['path'])}, "
            f"{{{headers}}}, {body}),"
        )
    return "\n".join(
        [
            "local requests = {",
            *entries,
            "}",
            "local counter = 0",
            "function init(args) counter = math.random(#requests) end",
            "function request()",
            "  counter = counter % #requests + 1",
            "  return requests[counter]",
            "end",
            "function done(summary, latency, requests_)",
            '  io.write(string.format(\'RESULT {"requests": %d, "duration_us": %d, '
            '"connect_errors": %d, "read_errors": %d, "write_errors": %d, '
            '"status_errors": %d, "timeouts": %d, "p50_us": %d, "p99_us": %d, '
            '"mean_us": %.1f}\\n\', summary.requests, summary.duration, summary.errors.connect, '
            "summary.errors.read, summary.errors.write, summary.errors.status, "
            "summary.errors.timeout, latency:percentile(50), latency:percentile(99), "
            "latency.mean))",
            "end",
        ]
    )


def run_wrk(wrk: str, base: str, script: str, duration: int, connections: int) -> dict:
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as handle:
        handle.write(script)
    try:
        command = [
            wrk,
            "-t2",
            f"-c{connections}",
            f"-d{duration}s",
            "--timeout",
            "10s",
            "-s",
            handle.name,
            base,
        ]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    raw = json.loads(output.split("RESULT ", 1)[1].splitlines()[0])
    errors = sum(raw[k] for k in ("connect_errors", "read_errors", "write_errors", "timeouts"))
    return {
        "requests_per_second": round(raw["requests"] / (raw["duration_us"] / 1e6), 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "errors": errors + raw["status_errors"],
        "non_2xx_3xx": raw["status_errors"],
        "requests": raw["requests"],
    }


def sequential_latency(base: str, paths: list[str]) -> dict:
    timings = []
    for path in paths:
        started = time.perf_counter()
        with urllib.request.urlopen(base + path, timeout=60) as response:  # noqa: S310
            response.read()
        timings.append((time.perf_counter() - started) * 1000)
    return {"median_ms": round(statistics.median(timings), 1), "count": len(timings)}


# --- In-process measurements ---------------------------------------------------------------


def measure_in_process(env: dict, combos: list[dict]) -> dict:
    """Queries per request and engine timings, in a Django process on the same database."""
    output = subprocess.run(
        [str(BIN / "python"), str(ROOT / "bench" / "in_process.py")],
        cwd=ROOT,
        env=env,
        input=json.dumps(combos),
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    return json.loads(output)


# --- Report ---------------------------------------------------------------------------------

TARGETS = {"api_post": 0.4, "htmx_results": 0.25, "form_page": 0.1, "assessment_page": 0.25}
PDF_FIRST_RENDER_TARGET_MS = 500


def summarise(rounds: list[dict], pdf_sequential: dict, in_process: dict, args) -> dict:
    final = rounds[-1]["paths"]
    baseline = final["livez"]["requests_per_second"]
    for figures in final.values():
        figures["ratio_to_livez"] = round(figures["requests_per_second"] / baseline, 3)
    for path, figures in final.items():
        figures["queries_per_request"] = in_process["queries"].get(path)
    first_rss = rounds[0]["worker_rss_mb"]
    last_rss = rounds[-1]["worker_rss_mb"]
    return {
        "command": "make bench",
        "machine": {
            "cpus": os.cpu_count(),
            "platform": platform.platform(),
            "python": platform.python_version(),
            "memory_gb": round(os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES") / 2**30),
        },
        "settings": {
            "workers": 2,
            "connections": args.connections,
            "duration_s": args.duration,
            "rounds": args.rounds,
            "inputs": 50,
            "rate_limits": "off (RATELIMIT_ENABLE=false)",
        },
        "paths": final,
        "all_rounds": [round_["paths"] for round_ in rounds],
        "worker_rss_mb": {"after_first_round": first_rss, "after_last_round": last_rss},
        "pdf_sequential": pdf_sequential,
        "in_process_ms": in_process["pages"],
        "engine": in_process["engine"],
        "targets": {
            **{f"{path}_ratio": ratio for path, ratio in TARGETS.items()},
            "pdf_first_render_median_ms": PDF_FIRST_RENDER_TARGET_MS,
            "evaluate_shipped_ms": 1,
            "evaluate_10000_rules_ms": 20,
            "worker_rss_mb": 200,
        },
    }


def print_table(results: dict) -> None:
    print("\nRate limits were off (RATELIMIT_ENABLE=false): these figures are the app's own.")
    print(
        f"\n{'path':32} {'req/s':>9} {'ratio':>7} {'p50 ms':>8} {'p99 ms':>8} {'errors':>7}"
        f" {'queries':>8}"
    )
    for path in PATHS:
        f = results["paths"][path]
        print(
            f"{LABELS[path]:32} {f['requests_per_second']:>9.1f} {f['ratio_to_livez']:>7.3f} "
            f"{f['p50_ms']:>8.2f} {f['p99_ms']:>8.2f} {f['errors']:>7} "
            f"{f['queries_per_request']!s:>8}"
        )
    print("\nTargets (ratio to /livez):")
    for path, target in TARGETS.items():
        ratio = results["paths"][path]["ratio_to_livez"]
        verdict = "met" if ratio >= target else "MISSED"
        print(f"  {LABELS[path]:32} {ratio:>7.3f}  target {target:.2f}  {verdict}")
    pdf = results["pdf_sequential"]
    first, cached = pdf["first_render"], pdf["cached"]
    verdict = "met" if first["median_ms"] < PDF_FIRST_RENDER_TARGET_MS else "MISSED"
    print(
        f"\nPDF, one request at a time ({first['count']} assessments stored just now):"
        f"\n  first PDF render median {first['median_ms']} ms (target under"
        f" {PDF_FIRST_RENDER_TARGET_MS}: {verdict})"
        f"\n  cached PDF fetch median {cached['median_ms']} ms (the same PDFs, 3 times each)"
    )
    print("\nIn-process, Django test client, median per request:")
    for path, figures in results["in_process_ms"].items():
        print(f"  {path:20} {figures['median_ms']:>8.2f} ms  {figures['bytes']:>8} bytes")
    figures = results["cds_hooks"]
    print(
        f"CDS Hooks call, one at a time ({figures['count']}, signed): median "
        f"{figures['median_ms']} ms, p95 {figures['p95_ms']} ms (target under "
        f"{figures['target_p95_ms']}), p99 {figures['p99_ms']} ms, {figures['errors']} errors"
    )
    for label, figures in results["engine"].items():
        print(f"evaluate() on {label}: median {figures['median_ms']} ms ({figures['rules']} rules)")
    for moment, workers in results["worker_rss_mb"].items():
        listing = ", ".join(f"{w['rss_mb']} MB (peak {w['peak_mb']})" for w in workers.values())
        print(f"worker RSS {moment.replace('_', ' ')}: {listing}")


if __name__ == "__main__":
    raise SystemExit(main())
