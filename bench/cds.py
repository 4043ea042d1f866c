"""Part of `make bench`: the answer time of the CDS Hooks services, one signed call at a time.

Each call carries a fresh ES384 token (a jti is accepted once, so wrk's replayed requests would
all be refused): a bench EHR client is registered with a key made here, and the calls rotate
among realistic records (a neuropathic pain condition, two to four current medicines, a birth
date) as patient-view and as order-select of an NMDAR antagonist.
"""

from __future__ import annotations

import json
import statistics
import tempfile
import time
import urllib.request
import uuid
from pathlib import Path

import jwt
from cryptography.hazmat.primitives.asymmetric import ec

ISSUER = "https://bench-ehr.example/"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
# Codes of the shipped knowledge base: pain types, current medicines, NMDAR antagonists.
CONDITIONS = ["G90.51", "E11.42", "B02.29", "G50.0", "M54.16", "G54.6"]
MEDICINES = ["7052", "36437", "72625", "187832", "25480", "10689", "704", "4337"]
ORDERS = ["6130", "6719", "6813", "3289"]
TARGET_P95_MS = 150


def register_client(manage, env: dict) -> ec.EllipticCurvePrivateKey:
    key = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(key.public_key()))
    public.update(kid="bench-1", use="sig", alg="ES384")
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump({"keys": [public]}, handle)
    try:
        manage(env, "register_cds_client", ISSUER, "--jwks", handle.name, "--name", "make bench")
    finally:
        Path(handle.name).unlink()
    return key


def _bundle(*resources) -> dict:
    return {
        "resourceType": "Bundle",
        "type": "searchset",
        "entry": [{"resource": r} for r in resources],
    }


def _rx(code: str, status: str = "active", id_: str | None = None) -> dict:
    return {
        "resourceType": "MedicationRequest",
        "id": id_ or uuid.uuid4().hex[:8],
        "status": status,
        "intent": "order",
        "medicationCodeableConcept": {"coding": [{"system": RXNORM, "code": code}]},
    }


def bodies(count: int = 20) -> list[tuple[str, dict]]:
    """(service id, request) pairs: half patient-view, half order-select."""
    requests = []
    for number in range(count):
        medicines = [MEDICINES[(number + k) % len(MEDICINES)] for k in range(2 + number % 3)]
        prefetch = {
            "patient": {
                "resourceType": "Patient",
                "id": "p",
                "birthDate": f"{1940 + number}-05-01",
            },
            "conditions": _bundle(
                {
                    "resourceType": "Condition",
                    "code": {"coding": [{"system": ICD10CM, "code": CONDITIONS[number % 6]}]},
                }
            ),
            "medications": _bundle(*(_rx(code) for code in medicines)),
        }
        context = {"userId": "Practitioner/bench", "patientId": f"bench-{number}"}
        if number % 2:
            order = _rx(ORDERS[number % len(ORDERS)], status="draft", id_="order")
            context.update(
                selections=["MedicationRequest/order"],
                draftOrders={
                    "resourceType": "Bundle",
                    "type": "collection",
                    "entry": [{"resource": order}],
                },
            )
            hook, service = "order-select", "nmdar-notes-order-select"
        else:
            hook, service = "patient-view", "nmdar-notes-patient-view"
        body = {
            "hook": hook,
            "hookInstance": str(uuid.uuid4()),
            "context": context,
            "prefetch": prefetch,
        }
        requests.append((service, body))
    return requests


def _call(base: str, key, service: str, body: dict) -> tuple[int, float]:
    url = f"{base}/cds-services/{service}"
    now = int(time.time())
    token = jwt.encode(
        {"iss": ISSUER, "aud": url, "iat": now, "exp": now + 300, "jti": str(uuid.uuid4())},
        key,
        algorithm="ES384",
        headers={"kid": "bench-1", "typ": "JWT"},
    )
    request = urllib.request.Request(  # noqa: S310
        url,
        data=json.dumps(body).encode(),
        headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"},
        method="POST",
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=30) as response:  # noqa: S310
        response.read()
        status = response.status
    return status, (time.perf_counter() - started) * 1000


def latency(base: str, key, count: int = 400) -> dict:
    """Answer times over `count` sequential calls (after one warm-up call per record)."""
    records = bodies()
    for service, body in records:
        _call(base, key, service, body)
    timings, errors = [], 0
    for number in range(count):
        service, body = records[number % len(records)]
        status, elapsed = _call(base, key, service, body)
        errors += status != 200
        timings.append(elapsed)
    timings.sort()

    def percentile(share: float) -> float:
        return round(timings[min(len(timings) - 1, int(share * len(timings)))], 1)

    return {
        "count": count,
        "errors": errors,
        "median_ms": round(statistics.median(timings), 1),
        "p95_ms": percentile(0.95),
        "p99_ms": percentile(0.99),
        "target_p95_ms": TARGET_P95_MS,
    }
