"""Unknown query parameters on the API are refused, named, never echoed, never stored."""

import json
import logging

import pytest

from access.keys import create_api_key
from decision.api import IDENTIFIERS_REFUSED, UNKNOWN_QUERY_PARAMETER
from decision.models import Assessment

pytestmark = pytest.mark.django_db

ASSESSMENTS = "/api/v1/assessments"
VALID = {"pain_type": "postherpetic_neuralgia"}
IDENTIFIERS = "patient_name=Jane+Doe&dob=1961-04-02"


def post(client, query: str, body=VALID):
    return client.post(f"{ASSESSMENTS}?{query}", json.dumps(body), content_type="application/json")


def errors_of(response) -> dict:
    assert response.status_code == 400, response.content
    assert response["Content-Type"].startswith("application/json")
    return response.json()["errors"]


def test_identifiers_in_the_query_are_refused_naming_each(client, mini_release):
    errors = errors_of(post(client, IDENTIFIERS))
    assert errors == {"patient_name": [IDENTIFIERS_REFUSED], "dob": [IDENTIFIERS_REFUSED]}


def test_their_values_are_neither_echoed_stored_nor_logged(client, mini_release, caplog):
    caplog.set_level(logging.DEBUG)
    response = post(client, IDENTIFIERS)
    for value in ("Jane", "Doe", "1961"):
        assert value not in response.content.decode()
        assert value not in caplog.text
    assert not Assessment.objects.exists()


def test_they_are_refused_with_a_valid_key_too(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = True
    key = create_api_key("ehr")[1]
    response = client.post(
        f"{ASSESSMENTS}?{IDENTIFIERS}",
        json.dumps(VALID),
        content_type="application/json",
        headers={"X-API-Key": key},
    )
    assert set(errors_of(response)) == {"patient_name", "dob"}
    assert not Assessment.objects.exists()


def test_any_other_query_parameter_is_refused_too(client, mini_release):
    assert errors_of(post(client, "format=json")) == {"format": [UNKNOWN_QUERY_PARAMETER]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/vocabulary",
        "/api/v1/openapi.json",
        f"{ASSESSMENTS}/{'0' * 8}-0000-0000-0000-{'0' * 12}",
    ],
)
def test_the_reads_refuse_query_parameters(client, mini_release, path):
    assert set(errors_of(client.get(f"{path}?{IDENTIFIERS}"))) == {"patient_name", "dob"}


def test_an_empty_query_string_is_no_parameter(client, mini_release):
    assert post(client, "").status_code == 201
    assert post(client, "&").status_code == 201


def test_only_the_first_twenty_are_named(client, mini_release):
    errors = errors_of(post(client, "&".join(f"p{n}=1" for n in range(30))))
    assert len(errors) == 21
    assert errors["query"] == ["10 more query parameters are not named here."]


def test_thousands_of_parameters_are_a_400_not_a_crash(client, mini_release):
    errors = errors_of(post(client, "&".join(f"p{n}=1" for n in range(2000))))
    assert list(errors) == ["query"]


def test_no_operation_declares_a_query_parameter(client, db):
    # The refusal above takes every query parameter as unknown; declaring one means teaching it.
    paths = client.get("/api/v1/openapi.json").json()["paths"]
    parameters = [
        p for path in paths.values() for op in path.values() for p in op.get("parameters", [])
    ]
    assert all(parameter["in"] != "query" for parameter in parameters)
