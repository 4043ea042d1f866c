"""API keys on `POST /api/v1/assessments`, through real HTTP: who gets in, what is recorded."""

import datetime
import json
import logging

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from access.auth import KEY_MISSING, KEY_REFUSED
from access.keys import CACHE_SECONDS, create_api_key, digest, revoke_api_keys
from access.models import ApiKey
from decision.models import Assessment

pytestmark = pytest.mark.django_db

ASSESSMENTS = "/api/v1/assessments"
VALID = {"pain_type": "postherpetic_neuralgia", "analgesics": ["morphine"]}
# Transaction bookkeeping around the insert (a savepoint inside a test's own transaction).
BOOKKEEPING = ("SET LOCAL", "SAVEPOINT", "RELEASE SAVEPOINT")
NOW = datetime.datetime(2026, 12, 1, 9, 0, tzinfo=datetime.UTC)


def post(client, body=VALID, **headers):
    return client.post(
        ASSESSMENTS, data=json.dumps(body), content_type="application/json", headers=headers
    )


def bearer(key: str) -> dict:
    return {"Authorization": f"Bearer {key}"}


def refusal_of(response) -> tuple[list[str], str]:
    assert response.status_code == 401, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["errors"]["authorization"], response["WWW-Authenticate"]


# --- Without a valid key ----------------------------------------------------------------


def test_a_post_without_a_key_is_401_in_the_error_envelope(client, mini_release, keys_required):
    response = post(client)
    assert response.json() == {"errors": {"authorization": [KEY_MISSING]}}
    assert refusal_of(response) == ([KEY_MISSING], "Bearer")


def test_a_post_without_a_key_stores_nothing(client, mini_release, keys_required):
    post(client)
    assert not Assessment.objects.exists()


@pytest.mark.parametrize(
    "headers",
    [
        {"Authorization": "Bearer nmdar_not-a-key-we-ever-made"},
        {"Authorization": "bearer nmdar_not-a-key-we-ever-made"},
        {"Authorization": "Bearer "},
        {"X-API-Key": "nmdar_not-a-key-we-ever-made"},
        {"X-API-Key": ""},
        {"X-API-Key": "x" * 10_000},
        {"X-API-Key": "nmdar_é"},
    ],
)
def test_a_wrong_key_is_401_saying_so(client, mini_release, api_key, headers):
    assert refusal_of(post(client, **headers)) == ([KEY_REFUSED], 'Bearer error="invalid_token"')
    assert not Assessment.objects.exists()


@pytest.mark.parametrize("scheme", ["Basic", "Token", ""])
def test_a_key_under_another_scheme_than_bearer_is_no_key(client, mini_release, api_key, scheme):
    response = post(client, Authorization=f"{scheme} {api_key}".strip())
    assert refusal_of(response) == ([KEY_MISSING], "Bearer")


def test_a_revoked_key_is_refused_at_once(client, mini_release, api_key):
    assert post(client, **bearer(api_key)).status_code == 201
    revoke_api_keys(ApiKey.objects.all())
    assert refusal_of(post(client, **bearer(api_key)))[0] == [KEY_REFUSED]


def test_the_key_is_asked_for_before_the_body_is_read(client, mini_release, keys_required):
    response = client.post(ASSESSMENTS, data="{not json", content_type="application/json")
    assert response.status_code == 401


# --- With a valid key -----------------------------------------------------------------


def test_a_key_as_a_bearer_token_is_accepted(client, mini_release, api_key):
    response = post(client, **bearer(api_key))
    assert response.status_code == 201, response.content
    assert Assessment.objects.count() == 1


def test_a_key_in_x_api_key_is_accepted(client, mini_release, api_key):
    assert post(client, **{"X-API-Key": api_key}).status_code == 201


def test_a_valid_key_still_gets_the_field_errors_of_a_bad_body(client, mini_release, api_key):
    response = post(client, {"pain_type": "migraine"}, **bearer(api_key))
    assert response.status_code == 400
    assert list(response.json()["errors"]) == ["pain_type"]


def test_only_a_digest_of_the_key_is_stored(api_key):
    row = ApiKey.objects.values().get()
    assert row["hashed_key"] == digest(api_key)
    assert not any(api_key in str(value) for value in row.values())
    assert api_key.startswith(row["prefix"]) and len(row["prefix"]) < len(api_key) // 3


def test_every_key_is_different_and_long(db):
    keys = {create_api_key("client")[1] for _ in range(20)}
    assert len(keys) == 20
    assert all(len(key) >= 48 for key in keys)


# --- Last use, cheaply ----------------------------------------------------------------


def test_the_first_use_records_when_the_key_was_used(client, mini_release, api_key):
    with time_machine.travel(NOW, tick=False):
        post(client, **bearer(api_key))
    assert ApiKey.objects.get().last_used_at == NOW


def test_the_last_use_is_written_at_most_once_a_minute(client, mini_release, api_key):
    def update_count(moment) -> int:
        with time_machine.travel(moment, tick=False), CaptureQueriesContext(connection) as q:
            assert post(client, **bearer(api_key)).status_code == 201
        return sum(query["sql"].startswith("UPDATE") for query in q)

    later = NOW + datetime.timedelta(seconds=CACHE_SECONDS + 1)
    counts = [
        update_count(NOW),
        update_count(NOW + datetime.timedelta(seconds=30)),
        update_count(later),
    ]
    assert counts == [1, 0, 1]
    assert ApiKey.objects.get().last_used_at == later


def test_a_warm_post_with_a_key_makes_one_insert_and_no_other_query(client, mini_release, api_key):
    post(client, **bearer(api_key))
    with CaptureQueriesContext(connection) as captured:
        response = post(client, **bearer(api_key))
    assert response.status_code == 201
    statements = [q["sql"] for q in captured if not q["sql"].startswith(BOOKKEEPING)]
    assert len(statements) == 1
    assert statements[0].startswith('INSERT INTO "decision_assessment"')


# --- What stays open ------------------------------------------------------------------


def test_the_reads_and_the_schema_need_no_key(client, mini_release, api_key):
    created = post(client, **bearer(api_key)).json()
    paths = [f"{ASSESSMENTS}/{created['id']}", "/api/v1/vocabulary", "/api/v1/openapi.json"]
    assert [client.get(path).status_code for path in paths] == [200, 200, 200]


def test_the_clinician_form_needs_no_key(client, mini_release, keys_required):
    response = client.post("/", {"pain_type": "postherpetic_neuralgia"})
    assert response.status_code == 200


# --- An API opened by the operator ------------------------------------------------------


def test_an_open_api_takes_a_post_without_a_key(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = False
    assert post(client).status_code == 201


def test_an_open_api_still_refuses_a_wrong_key(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = False
    response = post(client, **bearer("nmdar_not-a-key-we-ever-made"))
    assert refusal_of(response)[0] == [KEY_REFUSED]


def test_an_open_api_still_records_the_use_of_a_key(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = False
    _, key = create_api_key("ehr-test")
    assert post(client, **bearer(key)).status_code == 201
    assert ApiKey.objects.get().last_used_at is not None


# --- Never in a log -------------------------------------------------------------------


def test_no_key_reaches_a_log(client, mini_release, api_key, settings, caplog):
    # DEBUG on is where ninja's own bearer class would log the whole header.
    settings.DEBUG = True
    caplog.set_level(logging.DEBUG)
    revoked = create_api_key("old")[1]
    revoke_api_keys(ApiKey.objects.filter(name="old"))
    post(client, **bearer(api_key))
    post(client, Authorization=f"Token {api_key}")
    post(client, Authorization=api_key)
    post(client, **{"X-API-Key": revoked})
    post(client, {"pain_type": "migraine"}, **bearer(api_key))
    assert caplog.records, "the refusals should have been logged (without their keys)"
    assert api_key not in caplog.text
    assert revoked not in caplog.text
    assert api_key[len("nmdar_") :][:12] not in caplog.text


# --- OpenAPI --------------------------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    return client.get("/api/v1/openapi.json").json()


def test_openapi_declares_both_ways_of_sending_a_key(openapi, keys_required):
    schemes = openapi["components"]["securitySchemes"]
    assert {
        name: {k: v for k, v in s.items() if k != "description"} for name, s in schemes.items()
    } == {
        "BearerAuth": {"type": "http", "scheme": "bearer"},
        "ApiKeyAuth": {"type": "apiKey", "in": "header", "name": "X-API-Key"},
    }


def test_openapi_asks_for_a_key_on_the_post_only(client, db, keys_required):
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/api/v1/assessments"]["post"]["security"] == [
        {"BearerAuth": []},
        {"ApiKeyAuth": []},
    ]
    reads = [paths[p]["get"] for p in ("/api/v1/assessments/{assessment_id}", "/api/v1/vocabulary")]
    assert all("security" not in read for read in reads)


def test_openapi_declares_the_401(client, db, keys_required):
    responses = client.get("/api/v1/openapi.json").json()["paths"]["/api/v1/assessments"]["post"]
    assert "WWW-Authenticate" in responses["responses"]["401"]["headers"]


def test_openapi_marks_the_key_optional_on_an_open_api(client, db, settings):
    settings.API_KEYS_REQUIRED = False
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    assert paths["/api/v1/assessments"]["post"]["security"] == [
        {"BearerAuth": []},
        {"ApiKeyAuth": []},
        {},
    ]
