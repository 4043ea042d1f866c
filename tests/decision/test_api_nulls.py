"""`null` where the schema wants a list is a 400 naming the field (issue 11, item 9)."""

import json

import pytest

from decision.models import Assessment

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("field", ["analgesics", "factors"])
def test_null_for_a_list_is_a_400_naming_the_field(client, mini_release, field):
    body = {"pain_type": "postherpetic_neuralgia", field: None}
    response = client.post("/api/v1/assessments", json.dumps(body), content_type="application/json")
    assert response.status_code == 400
    errors = response.json()["errors"]
    assert list(errors) == [field]
    assert "list" in errors[field][0]
    assert not Assessment.objects.exists()


def test_the_schema_does_not_allow_null_for_the_lists(client, db):
    body = client.get("/api/v1/openapi.json").json()["components"]["schemas"]["AssessmentIn"]
    for field in ("analgesics", "factors"):
        assert body["properties"][field]["type"] == "array"
        assert "anyOf" not in body["properties"][field]
