"""The OpenAPI schema enumerates the slugs of the active release (issue 11, item 9)."""

import pytest

from decision.api import api
from decision.releases import publish_release
from tests import factories as f

pytestmark = pytest.mark.django_db


def request_body(client) -> dict:
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return response.json()["components"]["schemas"]["AssessmentIn"]


def enums(body: dict) -> dict[str, list[str]]:
    fields = body["properties"]
    return {
        "pain_type": fields["pain_type"].get("enum"),
        "analgesics": fields["analgesics"]["items"].get("enum"),
        "factors": fields["factors"]["items"].get("enum"),
    }


def test_it_enumerates_the_slugs_of_the_active_release(client, mini_release):
    assert enums(request_body(client)) == {
        "pain_type": ["complex_regional_pain_syndrome", "postherpetic_neuralgia"],
        "analgesics": ["dextromethorphan", "ketamine", "morphine", "sertraline"],
        "factors": ["psychosis_history", "renal_impairment_severe"],
    }


def test_it_follows_the_next_release(client, mini_release, django_capture_on_commit_callbacks):
    request_body(client)
    f.PainTypeFactory(slug="trigeminal_neuralgia", name="Trigeminal neuralgia")
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    assert "trigeminal_neuralgia" in enums(request_body(client))["pain_type"]


def test_it_keeps_only_examples_the_release_accepts(client, mini_release, shipped_release):
    # The shipped release is the newer one, and active: its slugs include the example's.
    assert request_body(client)["examples"][0]["pain_type"] == "painful_diabetic_neuropathy"


def test_it_drops_an_example_the_release_would_refuse(client, mini_release):
    assert "examples" not in request_body(client)


def test_without_a_release_the_fields_are_plain_strings(client, db):
    assert enums(request_body(client)) == {"pain_type": None, "analgesics": None, "factors": None}


def test_an_assessment_never_builds_the_schema(client, mini_release, monkeypatch):
    def refuse(*args, **kwargs):
        raise AssertionError("the schema was built on the assessment path")

    monkeypatch.setattr(api, "get_openapi_schema", refuse)
    response = client.post(
        "/api/v1/assessments",
        {"pain_type": "postherpetic_neuralgia"},
        content_type="application/json",
    )
    assert response.status_code == 201
