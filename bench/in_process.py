"""Part of `make bench`: queries per request, page and `evaluate` timings, inside Django.

Reads the 50 input combinations as JSON on stdin; prints JSON on stdout. With `--pages` it
makes its own 50 (as bench/run.py does, from the active release's vocabulary) and prints only
the page timings: `DJANGO_SETTINGS_MODULE=config.settings .venv/bin/python bench/in_process.py
--pages`, against a database with the knowledge base loaded.
"""

import json
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import django  # noqa: E402

django.setup()

from django.db import connection  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from decision.engine import CompiledRelease, Inputs, evaluate  # noqa: E402
from decision.releases import active_release  # noqa: E402


def queries_per_request(combos: list[dict]) -> dict:
    client = Client(
        HTTP_HOST="127.0.0.1", HTTP_AUTHORIZATION=f"Bearer {os.environ['BENCH_API_KEY']}"
    )
    combo = combos[0]
    stored = client.post("/api/v1/assessments", combo, content_type="application/json").json()
    form = {key: value for key, value in combo.items() if value}
    calls = {
        "livez": lambda: client.get("/livez"),
        "api_post": lambda: client.post(
            "/api/v1/assessments", combo, content_type="application/json"
        ),
        "form_page": lambda: client.get("/"),
        "htmx_results": lambda: client.post("/", form, HTTP_HX_REQUEST="true"),
        "assessment_page": lambda: client.get(stored["url"]),
        "assessment_pdf": lambda: client.get(stored["pdf_url"]),
    }
    counts = {}
    for path, call in calls.items():
        call()  # warm: the release is compiled and the connection open
        with CaptureQueriesContext(connection) as captured:
            response = call()
        assert response.status_code < 400, (path, response.status_code)
        counts[path] = len(captured)
    return counts


def page_timings(combos: list[dict], repeat: int = 200) -> dict:
    """Median milliseconds per request through the Django test client (the whole middleware
    stack and view, no network): what one worker spends on each clinician page."""
    client = Client(HTTP_HOST="127.0.0.1")
    forms = [{key: value for key, value in combo.items() if value} for combo in combos]
    stored = client.post("/assessments/", forms[0])
    assert stored.status_code == 303, stored.status_code
    calls = {
        "form_page": lambda n: client.get("/"),
        "form_page_answered": lambda n: client.get("/", forms[n % len(forms)]),
        "htmx_results": lambda n: client.post("/", forms[n % len(forms)], HTTP_HX_REQUEST="true"),
        "assessment_page": lambda n: client.get(stored["Location"]),
    }
    figures = {}
    for path, call in calls.items():
        for n in range(len(forms)):  # warm: every input once, so caches that key by it fill
            call(n)
        timings = []
        for n in range(repeat):
            started = time.perf_counter_ns()
            response = call(n)
            timings.append(time.perf_counter_ns() - started)
            assert response.status_code == 200, (path, response.status_code)
        figures[path] = {
            "median_ms": round(statistics.median(timings) / 1e6, 2),
            "bytes": len(response.content),
        }
    return figures


def synthetic(payload: dict, size: int, rng: random.Random) -> dict:
    """The shipped release with its rules repeated, re-keyed and given random conditions."""
    vocabulary = payload["vocabulary"]
    pain_types = [item["slug"] for item in vocabulary["pain_types"]]
    drugs = [item["slug"] for item in vocabulary["drugs"]]
    factors = [item["slug"] for item in vocabulary["patient_factors"]]
    rules = []
    for number in range(size):
        template = payload["rules"][number % len(payload["rules"])]
        rule = json.loads(json.dumps(template))
        rule["key"] = f"{template['key']}-{number}"
        rule["when"]["pain_types"] = rng.sample(pain_types, rng.randint(0, 2))
        if rule["kind"] != "suitability":
            rule["when"]["any"]["drugs"] = rng.sample(drugs, rng.randint(0, 3))
            rule["when"]["any"]["factors"] = rng.sample(factors, rng.randint(0, 2))
        rules.append(rule)
    return {**payload, "rules": rules}


def median_evaluate_ms(release: CompiledRelease, combos: list[dict], repeat: int = 20) -> float:
    inputs = [Inputs.build(c["pain_type"], c["analgesics"], c["factors"]) for c in combos]
    timings = []
    for _ in range(repeat):
        for item in inputs:
            started = time.perf_counter_ns()
            evaluate(release, item)
            timings.append(time.perf_counter_ns() - started)
    return round(statistics.median(timings) / 1e6, 4)


def engine_timings(combos: list[dict]) -> dict:
    from decision.releases import current_release

    payload = current_release().payload
    rng = random.Random(2026)
    figures = {}
    for label, size in (("shipped release", None), ("1,000 rules", 1000), ("10,000 rules", 10000)):
        body = payload if size is None else synthetic(payload, size, rng)
        release = CompiledRelease.from_payload(body, id=0, version=label)
        figures[label] = {
            "rules": release.rule_count,
            "median_ms": median_evaluate_ms(release, combos, repeat=20 if size is None else 4),
        }
    return figures


def release_combinations(count: int = 50) -> list[dict]:
    """bench/run.py's realistic inputs, drawn from the active release's vocabulary."""
    vocabulary = active_release().vocabulary
    pain_types, drugs = list(vocabulary.pain_types), list(vocabulary.drugs)
    factors = list(vocabulary.patient_factors)
    rng = random.Random(2026)
    return [
        {
            "pain_type": rng.choice(pain_types),
            "analgesics": sorted(rng.sample(drugs, rng.randint(0, 4))),
            "factors": sorted(rng.sample(factors, rng.randint(0, 3))),
        }
        for _ in range(count)
    ]


def main() -> None:
    assert active_release() is not None, "load the knowledge base first"
    if "--pages" in sys.argv:
        for path, figures in page_timings(release_combinations()).items():
            print(f"{path:20} {figures['median_ms']:>8.2f} ms {figures['bytes']:>9} bytes")
        return
    combos = json.loads(sys.stdin.read())
    print(
        json.dumps(
            {
                "queries": queries_per_request(combos),
                "pages": page_timings(combos),
                "engine": engine_timings(combos),
            }
        )
    )


if __name__ == "__main__":
    main()
