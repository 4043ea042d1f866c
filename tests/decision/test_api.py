"""The JSON API as API.md describes it: the 201 answer, reading it back, the vocabulary, OpenAPI."""

import datetime
import json
import uuid

import pytest
import time_machine
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from decision.api import VocabularyOut
from decision.disclaimer import DISCLAIMER
from decision.knowledge_base import DEFAULT_PATH
from decision.models import Assessment
from decision.releases import publish_release
from evidence.scales import LEVEL_RANK, LEVELS, SEVERITIES
from tests import factories as f

# Transaction bookkeeping around the insert (a savepoint inside a test's own transaction).
BOOKKEEPING = ("SET LOCAL", "SAVEPOINT", "RELEASE SAVEPOINT")
pytestmark = pytest.mark.django_db

ASSESSMENTS = "/api/v1/assessments"
# Inputs that make every kind of note in the mini knowledge base appear.
EVERY_KIND = {
    "pain_type": "complex_regional_pain_syndrome",
    "analgesics": ["sertraline", "morphine"],
    "factors": ["psychosis_history"],
}
CONTRACT_TYPES = {
    "id": str,
    "url": str,
    "pdf_url": str,
    "created_at": str,
    "knowledge_base": dict,
    "disclaimer": str,
    "inputs": dict,
    "notes": list,
}
NOTE_KEYS = {"id", "kind", "drug", "level", "severity", "title", "text", "why", "evidence"}
NOW = datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC)
# Published in a zone an hour ahead of UTC: the API gives the moment in UTC.
PUBLISHED = datetime.datetime(
    2026, 11, 27, 10, 30, tzinfo=datetime.timezone(datetime.timedelta(hours=1))
)


def post(client, data):
    return client.post(ASSESSMENTS, data=json.dumps(data), content_type="application/json")


@pytest.fixture
def answered(client, mini_release):
    """The 201 answer to inputs that produce every kind of note."""
    response = post(client, EVERY_KIND)
    assert response.status_code == 201, response.content
    return response.json()


@pytest.fixture
def published_release(mini_kb):
    """The mini knowledge base, published at PUBLISHED."""
    with time_machine.travel(PUBLISHED, tick=False):
        return publish_release()


def level_order(note: dict) -> tuple[int, int]:
    if note["kind"] == "caution" and note["severity"] == "high":
        return (0, 0)
    if note["kind"] == "suitability":
        return (1, LEVEL_RANK[note["level"]])
    return (2, 0)


# --- POST /api/v1/assessments -------------------------------------------------------------


def test_it_answers_201_with_every_contract_field(answered):
    assert {key: type(answered.get(key)) for key in CONTRACT_TYPES} == CONTRACT_TYPES


def test_it_answers_with_json(client, mini_release):
    response = post(client, EVERY_KIND)
    assert response["Content-Type"].startswith("application/json")


def test_it_identifies_the_assessment_by_a_uuid_and_its_pages(answered):
    assessment_id = str(uuid.UUID(answered["id"]))
    assert (answered["url"], answered["pdf_url"]) == (
        f"/assessments/{assessment_id}/",
        f"/assessments/{assessment_id}/pdf/",
    )


def test_it_sets_location_to_the_assessment_page(client, mini_release):
    response = post(client, EVERY_KIND)
    assert response["Location"] == response.json()["url"]


def test_it_dates_the_answer_in_utc_iso_8601(client, mini_release):
    with time_machine.travel(NOW, tick=False):
        response = post(client, EVERY_KIND)
    assert response.json()["created_at"] == "2026-11-27T10:00:00Z"


def test_it_names_the_release_that_answered(client, published_release):
    assert post(client, EVERY_KIND).json()["knowledge_base"] == {
        "release": "2026.11.27-1",
        "published_at": "2026-11-27T09:30:00Z",
    }


def test_it_carries_the_disclaimer(answered):
    assert answered["disclaimer"] == DISCLAIMER


def test_it_echoes_the_inputs_without_duplicates(client, mini_release):
    response = post(
        client,
        {
            "pain_type": "postherpetic_neuralgia",
            "analgesics": ["sertraline", "morphine", "sertraline"],
            "factors": ["renal_impairment_severe", "renal_impairment_severe"],
        },
    )
    assert response.json()["inputs"] == {
        "pain_type": "postherpetic_neuralgia",
        "analgesics": ["morphine", "sertraline"],
        "factors": ["renal_impairment_severe"],
    }


def test_it_defaults_analgesics_and_factors_to_none(client, mini_release):
    response = post(client, {"pain_type": "postherpetic_neuralgia"})
    assert response.json()["inputs"] == {
        "pain_type": "postherpetic_neuralgia",
        "analgesics": [],
        "factors": [],
    }


def test_every_note_has_the_contract_fields(answered):
    assert all(note.keys() >= NOTE_KEYS for note in answered["notes"])


def test_it_gives_exactly_one_suitability_note_per_nmdar_antagonist(answered):
    drugs = [note["drug"] for note in answered["notes"] if note["kind"] == "suitability"]
    assert sorted(drugs) == ["dextromethorphan", "ketamine"]


def test_it_answers_with_every_kind_of_note_when_the_inputs_call_for_it(answered):
    assert {note["kind"] for note in answered["notes"]} == {
        "suitability",
        "combination",
        "caution",
        "context",
    }


def test_suitability_and_combination_notes_use_the_level_scale(answered):
    graded = [n for n in answered["notes"] if n["kind"] in {"suitability", "combination"}]
    assert graded
    assert all(n["level"] in LEVELS and n["severity"] is None for n in graded)


def test_caution_notes_use_the_severity_scale(answered):
    cautions = [n for n in answered["notes"] if n["kind"] == "caution"]
    assert cautions
    assert all(n["severity"] in SEVERITIES and n["level"] is None for n in cautions)


def test_context_notes_use_neither_scale(answered):
    context = [n for n in answered["notes"] if n["kind"] == "context"]
    assert context
    assert all(n["level"] is None and n["severity"] is None for n in context)


def test_notes_about_one_drug_name_it_and_context_notes_name_none(answered):
    drugs = {note["kind"]: note["drug"] for note in answered["notes"]}
    assert drugs["context"] is None
    assert drugs["combination"] == "ketamine"


def test_every_note_but_context_cites_evidence_with_key_and_citation(answered):
    cited = [note for note in answered["notes"] if note["kind"] != "context"]
    assert all(note["evidence"] for note in cited)
    entries = [entry for note in cited for entry in note["evidence"]]
    assert all(entry["key"] and entry["citation"] for entry in entries)


def test_evidence_carries_pmid_and_doi_where_the_source_has_them(answered):
    entries = {e["key"]: e for note in answered["notes"] for e in note["evidence"]}
    assert (entries["sigtermans-2009"]["pmid"], entries["sigtermans-2009"]["doi"]) == (
        "19604642",
        "10.1016/j.pain.2009.06.023",
    )
    assert (entries["label-nuedexta"]["pmid"], entries["label-nuedexta"]["doi"]) == (None, None)


def test_every_note_says_why_it_appeared(answered):
    assert all(
        note["why"] and all(isinstance(w, str) for w in note["why"]) for note in answered["notes"]
    )


def test_notes_put_high_cautions_first_then_suitability_by_level_then_the_rest(answered):
    order = [level_order(note) for note in answered["notes"]]
    assert order == sorted(order)
    assert [note["id"] for note in answered["notes"]][:4] == [
        "caution-dm-serotonin-syndrome",
        "caution-ketamine-psychosis-history",
        "ketamine-crps-suitability",
        "dextromethorphan-complex_regional_pain_syndrome-no-direct-evidence",
    ]


def test_it_stores_the_snapshot_it_answered(answered, mini_release):
    stored = Assessment.objects.get(pk=answered["id"])
    assert (stored.release_id, stored.inputs) == (mini_release.id, answered["inputs"])
    assert [note["id"] for note in stored.notes] == [note["id"] for note in answered["notes"]]


def test_a_warm_post_makes_one_insert_and_no_other_query(client, mini_release):
    post(client, EVERY_KIND)
    with CaptureQueriesContext(connection) as captured:
        response = post(client, EVERY_KIND)
    assert response.status_code == 201
    statements = [q["sql"] for q in captured if not q["sql"].startswith(BOOKKEEPING)]
    assert len(statements) == 1
    assert statements[0].startswith('INSERT INTO "decision_assessment"')


def test_it_does_not_require_a_csrf_token(mini_release):
    response = post(Client(enforce_csrf_checks=True), EVERY_KIND)
    assert response.status_code == 201


# --- GET /api/v1/assessments/<id> ---------------------------------------------------------


def test_reading_an_assessment_returns_the_same_json_as_the_201_answer(client, mini_release):
    created = post(client, EVERY_KIND)
    read = client.get(f"{ASSESSMENTS}/{created.json()['id']}")
    assert read.status_code == 200
    assert read.json() == created.json()


def test_reading_an_assessment_makes_one_query(client, answered, django_assert_num_queries):
    with django_assert_num_queries(1):
        response = client.get(f"{ASSESSMENTS}/{answered['id']}")
    assert response.status_code == 200


def test_a_stored_assessment_is_unchanged_after_a_republish_of_changed_content(
    client, mini_kb, mini_release, django_capture_on_commit_callbacks
):
    before = post(client, EVERY_KIND).json()
    rule = mini_kb.rules.ketamine_crps
    rule.title = "Ketamine for CRPS: trials disagree"
    rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        republished = publish_release()

    after = client.get(f"{ASSESSMENTS}/{before['id']}").json()
    fresh = post(client, EVERY_KIND).json()

    assert after == before
    # The republish did change live answers, so the snapshot really was kept.
    assert fresh["knowledge_base"]["release"] == republished.version != mini_release.version
    assert "Ketamine for CRPS: trials disagree" in {note["title"] for note in fresh["notes"]}


# --- GET /api/v1/vocabulary ---------------------------------------------------------------


@pytest.fixture
def vocabulary(client, mini_release):
    response = client.get("/api/v1/vocabulary")
    assert response.status_code == 200
    return response.json()


def slugs(terms):
    return [term["slug"] for term in terms]


def test_vocabulary_names_the_release(client, published_release):
    assert client.get("/api/v1/vocabulary").json()["knowledge_base"] == {
        "release": "2026.11.27-1",
        "published_at": "2026-11-27T09:30:00Z",
    }


@pytest.mark.parametrize(
    ("section", "expected"),
    [
        ("pain_types", ["complex_regional_pain_syndrome", "postherpetic_neuralgia"]),
        ("nmdar_antagonists", ["dextromethorphan", "ketamine"]),
        ("drugs", ["dextromethorphan", "ketamine", "morphine", "sertraline"]),
        ("drug_classes", ["nmdar_antagonist", "opioid", "ssri"]),
        ("drug_properties", ["cns_depressant", "serotonergic"]),
        ("patient_factors", ["psychosis_history", "renal_impairment_severe"]),
    ],
)
def test_vocabulary_lists_each_section_by_slug(vocabulary, section, expected):
    assert sorted(slugs(vocabulary[section])) == expected


def test_vocabulary_gives_every_term_a_slug_name_and_description(vocabulary):
    terms = [term for key, items in vocabulary.items() if key != "knowledge_base" for term in items]
    assert all({"slug", "name", "description"} <= term.keys() for term in terms)
    assert all(isinstance(term["name"], str) and term["name"] for term in terms)


def test_vocabulary_lists_drugs_with_their_classes_and_properties(vocabulary):
    drugs = {drug["slug"]: drug for drug in vocabulary["drugs"]}
    assert (drugs["dextromethorphan"]["classes"], drugs["dextromethorphan"]["properties"]) == (
        ["nmdar_antagonist"],
        ["serotonergic"],
    )
    assert drugs["morphine"]["name"] == "Morphine"


def test_vocabulary_matches_the_schema_it_declares(vocabulary):
    VocabularyOut.model_validate(vocabulary)


def test_a_warm_vocabulary_call_makes_no_query(client, vocabulary, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/api/v1/vocabulary")
    assert response.status_code == 200


def test_vocabulary_follows_the_next_release(
    client, vocabulary, mini_kb, django_capture_on_commit_callbacks
):
    f.PainTypeFactory(slug="trigeminal_neuralgia", name="Trigeminal neuralgia")
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    assert "trigeminal_neuralgia" in slugs(client.get("/api/v1/vocabulary").json()["pain_types"])


# --- GET /api/v1/openapi.json -------------------------------------------------------------


@pytest.fixture
def openapi(client, db):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == 200
    return json.loads(response.content)


def test_openapi_json_names_every_path(openapi):
    assert set(openapi["paths"]) == {
        "/api/v1/assessments",
        "/api/v1/assessments/{assessment_id}",
        "/api/v1/vocabulary",
    }


def resolved(openapi, schema: dict) -> dict:
    """A schema with its `$ref` followed into the document's components."""
    if "$ref" in schema:
        return openapi["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def test_openapi_declares_the_request_body_of_a_post(openapi):
    body = openapi["paths"]["/api/v1/assessments"]["post"]["requestBody"]
    schema = resolved(openapi, body["content"]["application/json"]["schema"])
    assert (body["required"], schema["required"], set(schema["properties"])) == (
        True,
        ["pain_type"],
        {"pain_type", "analgesics", "factors"},
    )


@pytest.mark.parametrize(
    ("path", "method", "statuses"),
    [
        ("/api/v1/assessments", "post", {"201", "400", "401", "413", "415", "503"}),
        ("/api/v1/assessments/{assessment_id}", "get", {"200", "404"}),
        ("/api/v1/vocabulary", "get", {"200", "503"}),
    ],
)
def test_openapi_declares_a_json_schema_for_every_response(openapi, path, method, statuses):
    responses = openapi["paths"][path][method]["responses"]
    assert set(responses) == statuses
    assert all("schema" in r["content"]["application/json"] for r in responses.values())


def test_openapi_describes_every_field_of_the_answer(openapi, answered):
    schemas = openapi["components"]["schemas"]
    assert set(schemas["AssessmentOut"]["properties"]) == set(answered)
    note_keys = {key for note in answered["notes"] for key in note}
    assert set(schemas["NoteOut"]["properties"]) == note_keys


def test_the_interactive_docs_page_is_off(client, db):
    response = client.get("/api/v1/docs")
    assert response.status_code == 404
    assert "errors" in response.json()


# --- The shipped knowledge base -----------------------------------------------------------


@pytest.mark.skipif(
    not DEFAULT_PATH.exists(), reason="the shipped knowledge base is not written yet"
)
def test_the_contract_example_is_answered_by_the_shipped_knowledge_base(client, shipped_release):
    response = post(
        client,
        {
            "pain_type": "painful_diabetic_neuropathy",
            "analgesics": ["duloxetine", "pregabalin"],
            "factors": ["renal_impairment_severe"],
        },
    )
    assert response.status_code == 201
    suitability = [n["drug"] for n in response.json()["notes"] if n["kind"] == "suitability"]
    assert len(suitability) == len(set(suitability)) == 6
