"""Every error of the JSON API: its status, and a JSON body naming what is wrong."""

import io
import json
import logging

import pytest
from django.core.handlers.asgi import ASGIRequest
from django.test import Client
from django.urls import resolve

from decision.api import IDENTIFIERS_REFUSED, MAX_BODY_BYTES, UNKNOWN_FIELD
from decision.models import Assessment

pytestmark = pytest.mark.django_db

ASSESSMENTS = "/api/v1/assessments"
VALID = {"pain_type": "postherpetic_neuralgia", "analgesics": ["morphine"], "factors": []}


def post(client, data, content_type="application/json", **extra):
    body = data if isinstance(data, bytes | str) else json.dumps(data)
    # CONTENT_TYPE goes in `extra` too: the test client drops the content type of an empty body.
    extra.setdefault("CONTENT_TYPE", content_type)
    return client.generic("POST", ASSESSMENTS, body, content_type=content_type, **extra)


def errors_of(response, status):
    assert response.status_code == status, response.content
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)["errors"]


# --- 400: bad fields ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "pain_type"),
        ({"pain_type": None}, "pain_type"),
        ({"pain_type": ""}, "pain_type"),
        ({"pain_type": "migraine"}, "pain_type"),
        ({"pain_type": 3}, "pain_type"),
        ({"pain_type": ["postherpetic_neuralgia"]}, "pain_type"),
        ({**VALID, "analgesics": "morphine"}, "analgesics"),
        ({**VALID, "analgesics": [1]}, "analgesics"),
        ({**VALID, "analgesics": ["morfine"]}, "analgesics"),
        ({**VALID, "analgesics": ["morphine"] * 101}, "analgesics"),
        ({**VALID, "factors": {"renal_impairment_severe": True}}, "factors"),
        ({**VALID, "factors": ["tall"]}, "factors"),
        ({**VALID, "factors": [None]}, "factors"),
    ],
)
def test_it_names_the_bad_field(client, mini_release, body, field):
    errors = errors_of(post(client, body), 400)
    assert list(errors) == [field]
    assert all(isinstance(message, str) and message for message in errors[field])


def test_it_says_a_missing_pain_type_is_required(client, mini_release):
    assert "required" in errors_of(post(client, {}), 400)["pain_type"][0]


def test_it_names_an_unknown_slug_in_its_message(client, mini_release):
    errors = errors_of(post(client, {**VALID, "analgesics": ["morphine", "morfine"]}), 400)
    assert errors["analgesics"] == ["Unknown drug 'morfine'."]


def test_it_names_every_bad_field_at_once(client, mini_release):
    body = {"pain_type": "migraine", "analgesics": ["morfine"], "factors": "tall", "mrn": "1"}
    assert set(errors_of(post(client, body), 400)) == {"pain_type", "analgesics", "factors", "mrn"}


def test_it_stores_nothing_for_a_bad_request(client, mini_release):
    post(client, {"pain_type": "migraine"})
    assert not Assessment.objects.exists()


# --- 400: unknown fields and patient identifiers -------------------------------------------


def test_it_rejects_unknown_fields_naming_each(client, mini_release):
    errors = errors_of(post(client, {**VALID, "pain": "x", "drugs": []}), 400)
    assert errors == {"pain": [UNKNOWN_FIELD], "drugs": [UNKNOWN_FIELD]}


@pytest.mark.parametrize(
    "field",
    [
        "name",
        "patient_name",
        "patientName",
        "mrn",
        "record_number",
        "Medical Record Number",
        "date_of_birth",
        "dob",
        "birthDate",
        "nhs_number",
        "NHS No",
        "patient_id",
        "address",
    ],
)
def test_it_refuses_patient_identifiers_saying_why(client, mini_release, field):
    errors = errors_of(post(client, {**VALID, field: "x"}), 400)
    assert errors == {field: [IDENTIFIERS_REFUSED]}


def test_identifier_values_are_neither_echoed_stored_nor_logged(client, mini_release, caplog):
    caplog.set_level(logging.DEBUG)
    secret = "Jane Q Identifiable 1970-01-01"
    response = post(client, {**VALID, "patient_name": secret, "dob": secret})
    assert response.status_code == 400
    assert secret not in response.content.decode()
    assert secret not in caplog.text
    assert not Assessment.objects.exists()


def test_it_names_only_the_first_twenty_unknown_fields(client, mini_release):
    body = {**VALID, **{f"extra_{n}": n for n in range(50)}}
    errors = errors_of(post(client, body), 400)
    assert len([field for field in errors if field.startswith("extra_")]) == 20
    assert errors["body"] == ["30 more unknown fields are not named here."]


# --- 400: a body that is not a JSON object ---------------------------------------------------


@pytest.mark.parametrize(
    "body",
    [
        b"",
        b"{",
        b"{'pain_type': 'postherpetic_neuralgia'}",
        b'{"pain_type": "postherpetic_neuralgia",}',
        b'{"pain_type": NaN}',
        b'{"pain_type": Infinity}',
        b'{"pain_type": ' + b"9" * 5000 + b"}",
        b"[" * 5000 + b"]" * 5000,
        b'{"a":' * 3000 + b"1" + b"}" * 3000,
        b'{"pain_type": "\xff\xfe"}',
        "\ufeff{}".encode(),
        '{"pain_type": "x"}'.encode("utf-16"),
    ],
)
def test_it_rejects_malformed_json_under_body(client, db, body):
    errors = errors_of(post(client, body), 400)
    assert list(errors) == ["body"]


@pytest.mark.parametrize(
    "body", [[], ["postherpetic_neuralgia"], "postherpetic_neuralgia", 1, None]
)
def test_it_rejects_a_body_that_is_not_a_json_object(client, db, body):
    errors = errors_of(post(client, json.dumps(body)), 400)
    assert errors["body"][0].startswith("The body must be a JSON object")


def test_it_says_where_the_json_is_malformed(client, db):
    errors = errors_of(post(client, b'{"pain_type": }'), 400)
    assert "line 1, column 15" in errors["body"][0]


# --- 413 ------------------------------------------------------------------------------------


def padded(size: int) -> bytes:
    body = json.dumps(VALID).encode()
    return body[:-1] + b" " * (size - len(body)) + b"}"


def test_it_accepts_a_body_of_exactly_64_kib(client, mini_release):
    assert post(client, padded(MAX_BODY_BYTES)).status_code == 201


def test_it_refuses_a_body_over_64_kib_with_413(client, db):
    errors = errors_of(post(client, padded(MAX_BODY_BYTES + 1)), 413)
    assert list(errors) == ["body"]


@pytest.mark.parametrize("declared", [MAX_BODY_BYTES + 1, 100_000, 10 * 1024 * 1024])
def test_it_refuses_a_declared_oversized_body_without_reading_it(client, db, declared):
    # A few bytes sent but more announced: reading would fail; the declared length decides.
    response = post(client, json.dumps(VALID), CONTENT_LENGTH=str(declared))
    assert list(errors_of(response, 413)) == ["body"]


def test_it_refuses_a_body_over_64_kib_sent_without_a_length(db):
    # An ASGI server passes a chunked upload on with no Content-Length: what is read counts too.
    scope = {
        "type": "http",
        "method": "POST",
        "path": ASSESSMENTS,
        "headers": [(b"content-type", b"application/json")],
    }
    request = ASGIRequest(scope, io.BytesIO(padded(MAX_BODY_BYTES + 1)))
    assert list(errors_of(resolve(ASSESSMENTS).func(request), 413)) == ["body"]


@pytest.mark.parametrize("declared", ["abc", "-1", "1,2", "1.5", "1_000", " "])
def test_it_refuses_a_garbled_content_length_with_400(client, db, declared):
    response = post(client, json.dumps(VALID), CONTENT_LENGTH=declared)
    assert list(errors_of(response, 400)) == ["content_length"]


def test_it_refuses_an_oversized_body_even_in_the_wrong_content_type(client, db):
    errors_of(post(client, b"x" * (MAX_BODY_BYTES + 1), content_type="text/plain"), 413)


# --- 415 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "content_type",
    [
        "",
        "text/plain",
        "text/json",
        "application/x-www-form-urlencoded",
        "multipart/form-data; boundary=xyz",
        "application/jsonx",
        "application/merge-patch+json",
        "application/json; charset=latin-1",
        "application/json; charset=utf-16",
    ],
)
def test_it_refuses_a_non_json_content_type_with_415(client, db, content_type):
    errors = errors_of(post(client, VALID, content_type=content_type), 415)
    assert list(errors) == ["content_type"]


@pytest.mark.parametrize(
    "content_type",
    [
        "application/json",
        "application/json; charset=utf-8",
        "Application/JSON; Charset=UTF-8",
        'application/json;charset="utf-8"',
    ],
)
def test_it_accepts_json_with_an_optional_utf_8_charset(client, mini_release, content_type):
    assert post(client, VALID, content_type=content_type).status_code == 201


# --- 405 ------------------------------------------------------------------------------------

SOME_ID = "6f1c2b0e-0000-4000-8000-000000000000"


@pytest.mark.parametrize(
    ("method", "path", "allow"),
    [
        ("GET", ASSESSMENTS, "POST"),
        ("PUT", ASSESSMENTS, "POST"),
        ("PATCH", ASSESSMENTS, "POST"),
        ("DELETE", ASSESSMENTS, "POST"),
        ("OPTIONS", ASSESSMENTS, "POST"),
        ("BREW", ASSESSMENTS, "POST"),
        ("POST", f"{ASSESSMENTS}/{SOME_ID}", "GET"),
        ("PUT", f"{ASSESSMENTS}/{SOME_ID}", "GET"),
        ("DELETE", f"{ASSESSMENTS}/{SOME_ID}", "GET"),
        ("POST", "/api/v1/vocabulary", "GET"),
        ("DELETE", "/api/v1/vocabulary", "GET"),
        ("POST", "/api/v1/openapi.json", "GET"),
        ("PUT", "/api/v1/openapi.json", "GET"),
    ],
)
def test_it_refuses_other_methods_with_405_and_allow(client, db, method, path, allow):
    response = client.generic(method, path, json.dumps(VALID), content_type="application/json")
    errors = errors_of(response, 405)
    assert response["Allow"] == allow
    assert list(errors) == ["method"]


# --- 404 ------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "assessment_id",
    # A fixed unknown id: parallel workers must collect the same test ids (pytest-xdist).
    ["0f8fad5b-d9cb-469f-a165-70867728950e", "not-a-uuid", "6f1c", "0" * 33, "%00", "ä"],
)
def test_it_answers_404_for_an_unknown_or_malformed_id(client, db, assessment_id):
    errors = errors_of(client.get(f"{ASSESSMENTS}/{assessment_id}"), 404)
    assert errors == {"id": ["No assessment with this id."]}


@pytest.mark.parametrize(
    "path",
    [
        "/api/v1/",
        "/api/v1/nothing",
        "/api/v1/assessments/",
        "/api/v1/docs",
        "/api/v1/a/b/c",
        "/api/v1/assessments//%0A",
    ],
)
def test_it_answers_404_in_json_for_an_unknown_path(client, db, path):
    assert list(errors_of(client.get(path), 404)) == ["path"]


@pytest.mark.parametrize("path", ["/api/v1/", "/api/v1/nothing"])
def test_an_unknown_path_answers_a_post_without_a_csrf_token_with_a_json_404(db, path):
    client = Client(enforce_csrf_checks=True)
    errors = errors_of(client.post(path, "{}", content_type="application/json"), 404)
    assert errors == {"path": [f"No API endpoint at {path}."]}


# --- 503 ------------------------------------------------------------------------------------


def test_it_answers_503_when_no_release_is_active(client, db):
    errors = errors_of(post(client, VALID), 503)
    assert list(errors) == ["knowledge_base"]


def test_vocabulary_answers_503_when_no_release_is_active(client, db):
    assert list(errors_of(client.get("/api/v1/vocabulary"), 503)) == ["knowledge_base"]


def test_a_malformed_body_is_still_400_when_no_release_is_active(client, db):
    assert list(errors_of(post(client, b"{"), 400)) == ["body"]
