"""Rate limits on the API's POST, the save endpoint, PDFs, the admin sign-in and CDS Hooks
calls, per address."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from django.core.checks import run_checks

from ops import ratelimits
from ops.ratelimits import describe

pytestmark = pytest.mark.django_db

UNKNOWN = "00000000-0000-4000-8000-000000000000"
JSON = "application/json"
# (limit, method, path, request arguments): whatever the view answers, the limit counts it.
LIMITED = [
    ("api", "post", "/api/v1/assessments", {"data": "{}", "content_type": "application/json"}),
    ("save", "post", "/assessments/", {"data": {"pain_type": "unknown"}}),
    ("pdf", "get", f"/assessments/{UNKNOWN}/pdf/", {}),
    ("admin_login", "post", "/admin/login/", {"data": {"username": "x", "password": "y"}}),
    ("cds", "post", "/cds-services/nmdar-notes-patient-view", {"data": "{}", "content_type": JSON}),
    (
        "cds",
        "post",
        "/cds-services/nmdar-notes-patient-view/feedback",
        {"data": "{}", "content_type": JSON},
    ),
]


@pytest.fixture(autouse=True)
def limits(settings):
    settings.RATELIMIT_ENABLE = True
    settings.RATE_LIMITS = dict.fromkeys(settings.RATE_LIMITS, ("2/h",))
    cache.clear()
    yield settings
    cache.clear()


def ask(client, method, path, arguments, **extra):
    return getattr(client, method)(path, **arguments, **extra)


@pytest.mark.parametrize(("name", "method", "path", "arguments"), LIMITED)
def test_it_answers_429_with_retry_after_past_the_limit(client, name, method, path, arguments):
    statuses = [ask(client, method, path, arguments).status_code for _ in range(2)]
    refused = ask(client, method, path, arguments)
    assert 429 not in statuses
    assert refused.status_code == 429
    assert 0 < int(refused["Retry-After"]) <= 3600


def test_the_api_refuses_in_its_json_error_envelope(client):
    _name, method, path, arguments = LIMITED[0]
    for _ in range(3):
        refused = ask(client, method, path, arguments)
    assert refused["Content-Type"] == "application/json"
    (message,) = refused.json()["errors"]["rate_limit"]
    assert "at most 2 an hour" in message


def test_the_cds_hooks_service_refuses_with_a_fhir_operation_outcome(client):
    _name, method, path, arguments = LIMITED[4]
    for _ in range(3):
        refused = ask(client, method, path, arguments)
    assert refused.status_code == 429
    outcome = refused.json()
    assert outcome["resourceType"] == "OperationOutcome"
    assert outcome["issue"][0]["code"] == "throttled"
    assert "CDS Hooks calls" in outcome["issue"][0]["details"]["text"]


def test_a_page_refuses_with_a_plain_page(client):
    _name, method, path, arguments = LIMITED[1]
    for _ in range(3):
        refused = ask(client, method, path, arguments)
    assert refused["Content-Type"].startswith("text/html")
    html = refused.content.decode()
    assert 'id="rate-limit-reason"' in html
    assert "Too many saved assessments from this address" in html


def test_with_several_rates_each_holds_and_the_answer_names_the_one_met(client, limits):
    limits.RATE_LIMITS = {**limits.RATE_LIMITS, "api": ("5/h", "2/d")}
    _name, method, path, arguments = LIMITED[0]
    for _ in range(3):
        refused = ask(client, method, path, arguments)
    assert refused.status_code == 429
    assert "at most 2 a day" in refused.json()["errors"]["rate_limit"][0]
    assert 0 < int(refused["Retry-After"]) <= 86400


def test_one_setting_turns_every_limit_off(client, limits):
    limits.RATELIMIT_ENABLE = False
    # Twice the limit, and fewer failed sign-ins than lock the admin (test_admin_lockout.py).
    for _name, method, path, arguments in LIMITED:
        statuses = {ask(client, method, path, arguments).status_code for _ in range(4)}
        assert 429 not in statuses, path


def test_reading_is_not_limited(client):
    statuses = {client.get(path).status_code for path in ["/api/v1/vocabulary"] * 5}
    statuses |= {client.get("/assessments/").status_code for _ in range(5)}  # GET: 405
    assert 429 not in statuses


def test_each_address_is_counted_on_its_own(client):
    _name, method, path, arguments = LIMITED[0]
    for _ in range(3):
        ask(client, method, path, arguments, REMOTE_ADDR="198.51.100.7")
    assert ask(client, method, path, arguments, REMOTE_ADDR="198.51.100.8").status_code != 429


def test_behind_the_proxy_the_client_named_by_x_real_ip_is_counted(client):
    _name, method, path, arguments = LIMITED[0]
    for _ in range(3):
        ask(client, method, path, arguments, HTTP_X_REAL_IP="203.0.113.1")
    # The proxy (127.0.0.1, the test client's address) speaks for another client now.
    answer = ask(client, method, path, arguments, HTTP_X_REAL_IP="203.0.113.2")
    assert answer.status_code != 429


def test_a_client_that_is_not_the_proxy_cannot_choose_its_address(client):
    _name, method, path, arguments = LIMITED[0]
    statuses = [
        ask(
            client,
            method,
            path,
            arguments,
            REMOTE_ADDR="198.51.100.7",
            HTTP_X_REAL_IP=f"203.0.113.{number}",
        ).status_code
        for number in range(3)
    ]
    assert statuses[-1] == 429


def test_a_limited_view_that_loses_its_url_fails_the_system_check(monkeypatch):
    assert not [m for m in run_checks() if m.id == "ops.E001"]
    monkeypatch.setitem(ratelimits.LIMITED_VIEWS, ("decision:renamed", "POST"), "save")
    errors = [message for message in run_checks() if message.id == "ops.E001"]
    assert [error.msg for error in errors] == [
        "The rate-limited view 'decision:renamed' has no URL."
    ]


@pytest.mark.parametrize(
    ("rate", "words"),
    [("30/m", "30 a minute"), ("3/10s", "3 every 10 seconds"), ("2/h", "2 an hour")],
)
def test_a_rate_is_described_in_words(rate, words):
    assert describe(rate) == words
