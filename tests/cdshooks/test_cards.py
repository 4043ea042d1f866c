"""The cards: what they say, how they are built, and what is kept of a call."""

import logging
import re

import pytest
from django.apps import apps
from django.core import serializers

from cdshooks.cards import MAX_SUMMARY, drug_summary, md, pain_summary
from cdshooks.models import IssuedCard
from decision.engine import CompiledRelease, Inputs, evaluate
from decision.models import Assessment
from tests.cdshooks import bundles as b

VIEW = "nmdar-notes-patient-view"
SELECT = "nmdar-notes-order-select"
SIGN = "nmdar-notes-order-sign"


def empty_members(value, path="$"):
    """Every null or empty member anywhere in a document, by path."""
    found = []
    if isinstance(value, dict):
        for key, item in value.items():
            if item is None or item in ("", [], {}):
                found.append(f"{path}.{key}")
            found += empty_members(item, f"{path}.{key}")
    elif isinstance(value, list):
        for index, item in enumerate(value):
            found += empty_members(item, f"{path}[{index}]")
    return found


@pytest.fixture
def case_a(call):
    response = call(SELECT, b.case_a_order_select())
    assert response.status_code == 200
    return response.json()


def test_case_a_gets_one_warning_card_about_ketamine(case_a):
    (card,) = case_a["cards"]
    assert card["indicator"] == "warning"
    assert card["summary"].startswith(
        "Ketamine for complex regional pain syndrome (CRPS): evidence mixed"
    )
    assert "1 high-severity caution for this patient" in card["summary"]


def test_case_a_says_what_the_evidence_and_this_patients_cautions_are(case_a):
    detail = case_a["cards"][0]["detail"]
    assert (
        "**Ketamine for complex regional pain syndrome (CRPS): Mixed** (certainty: low)" in detail
    )
    cautions = detail.split("**Cautions for this patient**")[1].split("**With the current")[0]
    assert "profound sedation and respiratory depression" in cautions
    assert "Morphine" in cautions
    assert "serotonin" not in cautions  # that caution is dextromethorphan's, not ketamine's
    assert "Ketamine added to an opioid: insufficient evidence" in detail
    assert "[PMID 19604642](https://pubmed.ncbi.nlm.nih.gov/19604642/)" in detail
    assert "Evidence version 2026.11.27-1" in detail
    assert "does not prescribe" in detail


def test_case_a_lists_what_the_record_could_not_show(case_a):
    record = case_a["cards"][0]["detail"].split("**What the record showed**")[1]
    assert "Patient factors from the record: Aged 65 or over." in record
    assert "Known CYP2D6 poor metaboliser" in record.split("Not assessed")[1]
    assert "Medicines recognised: Ketamine, Morphine, Sertraline." in record


def test_a_card_carries_source_links_uuid_and_override_reasons_never_suggestions(case_a, client):
    card = case_a["cards"][0]
    assert re.fullmatch(r"[0-9a-f-]{36}", card["uuid"])
    assert card["source"]["label"] == "NMDAR evidence notes · evidence version 2026.11.27-1"
    assert client.get(card["source"]["url"]).status_code == 200
    assert [link["type"] for link in card["links"]] == ["absolute", "absolute"]
    assert all("dated snapshot" in link["label"] for link in card["links"])
    page, pdf = (link["url"] for link in card["links"])
    assert client.get(page).status_code == 200
    assert client.get(pdf)["Content-Type"] == "application/pdf"
    assert [reason["display"] for reason in card["overrideReasons"]] == [
        "Not applicable to this patient",
        "Need more information",
        "Disagree with the evidence",
    ]
    assert not {"suggestions", "selectionBehavior"} & set(card)
    assert "systemActions" not in case_a


def test_the_stored_assessment_holds_slugs_and_the_release_only(case_a):
    assessment = Assessment.objects.get()
    assert assessment.inputs == {
        "pain_type": "complex_regional_pain_syndrome",
        "analgesics": ["morphine", "sertraline"],
        "factors": ["older_adult"],
    }


def test_the_cards_notes_are_the_forms_notes_for_the_same_inputs(case_a, shipped_payload):
    release = CompiledRelease.from_payload(shipped_payload)
    inputs = Inputs.build(
        "complex_regional_pain_syndrome", ["morphine", "sertraline"], ["older_adult"]
    )
    ketamine = [note.id for note in evaluate(release, inputs) if note.drug == "ketamine"]
    issued = IssuedCard.objects.get()
    assert set(issued.note_ids) == set(ketamine)


def test_the_same_question_again_reuses_the_stored_assessment(call):
    first = call(SELECT, b.case_a_order_select()).json()["cards"][0]
    second = call(SELECT, b.case_a_order_select()).json()["cards"][0]
    assert first["links"] == second["links"]
    assert first["uuid"] != second["uuid"]
    assert Assessment.objects.count() == 1
    assert IssuedCard.objects.count() == 2


def test_reuse_survives_a_cleared_cache_through_the_database(call):
    from django.core.cache import cache

    call(SELECT, b.case_a_order_select())
    cache.clear()
    call(SELECT, b.case_a_order_select())
    assert Assessment.objects.count() == 1


def test_a_card_is_info_without_a_high_severity_caution_for_this_patient(call):
    body = b.order_select(medications=[], patient_=b.patient("1990-01-01"))
    (card,) = call(SELECT, body).json()["cards"]
    assert card["indicator"] == "info"


def test_no_card_is_ever_critical(call):
    body = b.case_a_order_select()
    body["prefetch"]["medications"] = b.bundle(
        *(b.rx(code) for code in ("7052", "36437", "4337", "10689", "2556"))
    )
    for card in call(SELECT, body).json()["cards"]:
        assert card["indicator"] in ("info", "warning")


def test_order_select_cards_only_the_selected_order(call):
    ketamine = b.rx(b.KETAMINE, id="k", status="draft")
    memantine = b.rx("6719", id="m", status="draft")
    body = b.order_select(memantine, ketamine, selections=["MedicationRequest/k"])
    (card,) = call(SELECT, body).json()["cards"]
    assert card["summary"].startswith("Ketamine")
    # The other draft counts as a medicine: memantine's interaction shows on ketamine's card.
    assert "Memantine" in card["detail"].split("What the record showed")[1]


def test_order_sign_cards_every_nmdar_antagonist_among_the_drafts(call):
    drafts = [
        b.rx(b.KETAMINE, id="k", status="draft"),
        b.rx("6813", id="m", status="draft"),
        b.rx("7052", id="o", status="draft"),
    ]
    cards = call(SIGN, b.order_sign(*drafts)).json()["cards"]
    assert sorted(card["summary"].split(" for ")[0] for card in cards) == ["Ketamine", "Methadone"]


def test_an_order_of_no_nmdar_antagonist_gets_no_card(call):
    assert call(SELECT, b.order_select(b.rx("7052", id="o", status="draft"))).json() == {
        "cards": []
    }


def test_patient_view_gets_one_info_card_per_pain_type(call):
    body = b.patient_view(conditions=[b.condition("G90.51"), b.condition("B02.22")])
    cards = call(VIEW, body).json()["cards"]
    assert [card["indicator"] for card in cards] == ["info", "info"]
    assert cards[0]["summary"].startswith("CRPS: evidence is mixed for ketamine (low certainty)")
    assert "| Ketamine | Mixed | Low |" in cards[0]["detail"]
    # The detail opens with the form's own bottom line for the same notes.
    assert cards[1]["detail"].startswith(
        "**Bottom line.** For postherpetic neuralgia, evidence is insufficient for all six "
        "NMDA-receptor antagonists."
    )
    assert "**Evidence for Postherpetic neuralgia**" in cards[1]["detail"]


def test_without_a_recognised_pain_type_there_are_no_cards(call):
    body = b.patient_view(conditions=[b.condition("I10"), b.condition("B20")])
    assert call(VIEW, body).json() == {"cards": []}


def test_no_null_or_empty_member_anywhere_in_any_response(call, client):
    documents = [
        client.get("/cds-services").json(),
        call(SELECT, b.case_a_order_select()).json(),
        call(VIEW, b.patient_view(medications=None, patient_={"resourceType": "Patient"})).json(),
        call(SIGN, b.order_sign()).json(),
    ]
    for document in documents:
        assert empty_members(document) == []


def test_detail_markdown_holds_no_raw_html(call):
    body = b.case_a_order_select()
    body["prefetch"]["medications"]["entry"].append(
        {"resource": b.rx(text="<script>alert(1)</script> [x](javascript:alert(1)) *bold*")}
    )
    detail = call(SELECT, body).json()["cards"][0]["detail"]
    assert re.search(r"(?<!\\)<", detail) is None
    assert "\\<script\\>alert(1)\\</script\\> \\[x\\](javascript:alert(1)) \\*bold\\*" in detail


def test_md_escapes_everything_markdown_reads():
    assert (
        md("a*b_c[d]<e>|f`g~h\\i&j#k!l\nm")
        == "a\\*b\\_c\\[d\\]\\<e\\>\\|f\\`g\\~h\\\\i\\&j\\#k\\!l m"
    )


# --- Summaries under 140 characters, made from the notes ------------------------------------


@pytest.mark.parametrize(
    "factors",
    [(), ("older_adult", "psychosis_history", "renal_impairment_severe", "seizure_disorder")],
)
@pytest.mark.parametrize(
    "medicines",
    [
        (),
        ("morphine", "sertraline", "tramadol", "citalopram", "fentanyl", "methadone", "memantine"),
    ],
)
def test_every_summary_is_under_140_characters(shipped_payload, medicines, factors):
    release = CompiledRelease.from_payload(shipped_payload)
    vocabulary = release.vocabulary
    from cdshooks.cards import Answered

    for pain, term in vocabulary.pain_types.items():
        notes = tuple(evaluate(release, Inputs.build(pain, medicines, factors)))
        assert len(pain_summary(notes, term.name)) < 140
        for drug in vocabulary.nmdar_antagonists:
            answers = [Answered(pain, notes, None, None)]
            summary = drug_summary(drug, vocabulary.drugs[drug].name, answers, {pain: term.name})
            assert len(summary) <= MAX_SUMMARY < 140
            assert summary.startswith(vocabulary.drugs[drug].name)


def test_summaries_never_instruct_or_dose(shipped_payload):
    release = CompiledRelease.from_payload(shipped_payload)
    for pain, term in release.vocabulary.pain_types.items():
        notes = tuple(evaluate(release, Inputs.build(pain, ["morphine"], ["older_adult"])))
        summary = pain_summary(notes, term.name).lower()
        assert not re.search(r"\b(should|consider|avoid|start|stop|give|use|mg)\b", summary)


# --- Nothing identifying is kept ------------------------------------------------------------


def test_nothing_identifying_from_the_request_reaches_the_database_or_the_log(call, sign, caplog):
    caplog.set_level(logging.DEBUG)
    markers = {
        "patient id": "PATIENT-ID-7f3a91",
        "hook instance": "HOOK-INSTANCE-2c81e5",
        "name": "Titus-Marker-Post",
        "birth date": "1950-03-14",
        "user": "Practitioner/USER-MARKER-55",
        "access token": "FHIR-TOKEN-MARKER-9",
    }
    body = b.case_a_order_select()
    body["hookInstance"] = markers["hook instance"]
    body["context"]["patientId"] = markers["patient id"]
    body["context"]["userId"] = markers["user"]
    body["fhirAuthorization"] = {"access_token": markers["access token"], "token_type": "Bearer"}
    body["prefetch"]["patient"] = b.patient(
        markers["birth date"], id=markers["patient id"], name=[{"family": markers["name"]}]
    )
    token = sign(SELECT)
    markers["jwt"] = token
    cards = call(SELECT, body, token=token).json()["cards"]
    call(SELECT, body, token=token)  # a replay is refused and logged: without the token
    call(
        SELECT,
        {
            "feedback": [
                {
                    "card": cards[0]["uuid"],
                    "outcome": "overridden",
                    "outcomeTimestamp": "2026-12-01T10:00:00Z",
                    "overrideReason": {
                        "reason": {"code": "need-more-info", "system": "x"},
                        "userComment": markers["name"],
                    },
                }
            ]
        },
        feedback=True,
    )
    stored = "".join(
        serializers.serialize("json", model.objects.all())
        for model in apps.get_models()
        if model._meta.app_label in ("cdshooks", "decision") and model._meta.managed
    )
    logged = "\n".join(record.getMessage() for record in caplog.records)
    for what, marker in markers.items():
        assert marker not in stored, what
        assert marker not in logged, what
    assert "replay" in logged
