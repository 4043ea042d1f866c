"""Generated requests thrown at the JSON API: any client input gets a JSON answer, never a 500."""

import json
from urllib.parse import quote

import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from decision.api import MAX_BODY_BYTES, AssessmentOut

pytestmark = pytest.mark.django_db

FUZZ = settings(
    max_examples=200,
    deadline=None,
    database=None,  # no .hypothesis/ directory left in the working tree
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)

PAIN_TYPES = ["complex_regional_pain_syndrome", "postherpetic_neuralgia"]
DRUGS = ["ketamine", "dextromethorphan", "morphine", "sertraline"]
FACTORS = ["psychosis_history", "renal_impairment_severe"]
FIELDS = ["pain_type", "analgesics", "factors"]
ODD_STRINGS = ["", " ", "\ud800", "\udfff\u0000", "ketamine\n", "KETAMINE", "a" * 100, "😀"]

leaves = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(),
    st.floats(allow_nan=False, allow_infinity=False),
    st.text(max_size=40),
    st.sampled_from(PAIN_TYPES + DRUGS + FACTORS + ODD_STRINGS),
)
json_values = st.recursive(
    leaves,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(max_size=12), children, max_size=5)
    ),
    max_leaves=25,
)
field_values = st.one_of(
    json_values,
    st.lists(st.sampled_from(DRUGS + FACTORS + ODD_STRINGS), max_size=150),
)
# Mostly-valid objects reach the engine and the database; the rest probe validation.
plausible = st.fixed_dictionaries(
    {"pain_type": st.sampled_from(PAIN_TYPES)},
    optional={
        "analgesics": st.lists(st.sampled_from(DRUGS), max_size=8),
        "factors": st.lists(st.sampled_from(FACTORS), max_size=4),
    },
)
objects = st.dictionaries(
    st.one_of(
        st.sampled_from(FIELDS), st.sampled_from(["name", "mrn", "dob"]), st.text(max_size=20)
    ),
    field_values,
    max_size=8,
)
json_bodies = st.one_of(plausible, objects, json_values).map(
    lambda value: json.dumps(value).encode()
)
deep_lists = st.integers(1, 30_000).map(lambda n: b"[" * n + b"]" * n)
deep_objects = st.integers(1, 8_000).map(lambda n: b'{"pain_type":' * n + b"1" + b"}" * n)
unbalanced = st.integers(1, 30_000).map(lambda n: b"{" * n)
PREFIX = b'{"pain_type": "postherpetic_neuralgia"'
near_the_limit = st.integers(MAX_BODY_BYTES - 64, MAX_BODY_BYTES + 64).map(
    lambda size: PREFIX + b" " * (size - len(PREFIX) - 1) + b"}"
)
huge_lists = st.integers(100, 12_000).map(
    lambda n: json.dumps(
        {"pain_type": "postherpetic_neuralgia", "analgesics": ["morphine"] * n}
    ).encode()
)
bodies = st.one_of(
    json_bodies,
    json_bodies,
    deep_lists,
    deep_objects,
    unbalanced,
    near_the_limit,
    huge_lists,
    st.binary(max_size=3000),
    st.text(max_size=500).map(lambda text: text.encode("utf-8", "surrogatepass")),
)

JSON_TYPES = [
    "application/json",
    "application/json; charset=utf-8",
    "APPLICATION/JSON;charset=UTF8",
]
OTHER_TYPES = [
    "",
    "text/plain",
    "text/html; charset=utf-8",
    "application/x-www-form-urlencoded",
    "multipart/form-data; boundary=----x",
    "multipart/form-data",
    "application/json; charset=latin-1",
    "application/json; charset=no-such-codec",
    "application/xml",
    "*/*",
]
# Mostly no override; otherwise a garbled length, or one over the limit (a real client sending
# fewer bytes than it announced only makes a server wait, so that case is left out).
declared_lengths = st.one_of(
    st.none(),
    st.none(),
    st.none(),
    st.text(min_size=1, max_size=12).filter(lambda text: not (text.isascii() and text.isdigit())),
    st.integers(MAX_BODY_BYTES + 1, 10**12).map(str),
)
content_types = st.one_of(
    st.sampled_from(JSON_TYPES).map(lambda value: (value, True)),
    st.sampled_from(JSON_TYPES).map(lambda value: (value, True)),
    st.sampled_from(OTHER_TYPES).map(lambda value: (value, False)),
    # What a server may hand over in a header: any Latin-1 text. Its verdict is not predicted.
    st.text(st.characters(min_codepoint=32, max_codepoint=255), max_size=60).map(
        lambda value: (value, None)
    ),
)


def check_json_answer(response, allowed: set[int]) -> dict:
    assert response.status_code in allowed, (response.status_code, response.content[:300])
    assert response["Content-Type"].startswith("application/json")
    return json.loads(response.content)


def check_errors(payload: dict) -> None:
    errors = payload["errors"]
    assert errors and isinstance(errors, dict)
    assert all(
        isinstance(v, list) and v and all(isinstance(m, str) for m in v) for v in errors.values()
    )


@FUZZ
@given(body=bodies, content_type=content_types, declared=declared_lengths)
def test_any_posted_body_gets_a_json_answer_and_never_a_500(
    client, mini_release, body, content_type, declared
):
    value, is_json = content_type
    extra = {"CONTENT_TYPE": value} | ({} if declared is None else {"CONTENT_LENGTH": declared})
    response = client.generic("POST", "/api/v1/assessments", body, content_type=value, **extra)
    event(f"status {response.status_code}")  # --hypothesis-show-statistics shows the spread
    payload = check_json_answer(response, {201, 400, 413, 415})
    if declared is not None:
        assert response.status_code in {400, 413}
    elif len(body) > MAX_BODY_BYTES:
        assert response.status_code == 413
    elif is_json is False and body:
        assert response.status_code == 415
    if response.status_code == 201:
        AssessmentOut.model_validate(payload)
        assert response["Location"] == payload["url"]
    else:
        check_errors(payload)


@FUZZ
@given(body=plausible)
def test_every_valid_body_is_answered_with_201(client, mini_release, body):
    response = client.post("/api/v1/assessments", json.dumps(body), content_type="application/json")
    payload = check_json_answer(response, {201})
    assert payload["inputs"]["pain_type"] == body["pain_type"]


@settings(FUZZ, max_examples=100)
@given(assessment_id=st.text(min_size=1, max_size=80))
def test_any_assessment_id_gets_a_json_404_and_never_a_500(client, db, assessment_id):
    response = client.get(f"/api/v1/assessments/{quote(assessment_id, safe='')}")
    check_errors(check_json_answer(response, {404}))
