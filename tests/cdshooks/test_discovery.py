"""Discovery, the about page the cards' source links to, and the codes a release carries."""

import copy

import pytest

from cdshooks.coding import Coding
from cdshooks.services import prefetch
from decision.releases import payload_from


def test_discovery_lists_three_services_one_id_per_hook(client, shipped_release):
    services = client.get("/cds-services").json()["services"]
    assert [(s["id"], s["hook"]) for s in services] == [
        ("nmdar-notes-patient-view", "patient-view"),
        ("nmdar-notes-order-select", "order-select"),
        ("nmdar-notes-order-sign", "order-sign"),
    ]


def test_each_service_has_the_specifications_fields_and_states_its_scope(client, shipped_release):
    for service in client.get("/cds-services").json()["services"]:
        # The discovery example's shape: hook, title, description, id, prefetch.
        assert {"hook", "title", "description", "id", "prefetch", "usageRequirements"} == set(
            service
        )
        assert "Not prescribing advice" in service["description"]
        assert "does not call the FHIR server" in service["usageRequirements"]
        assert service["prefetch"] == {
            "patient": "Patient/{{context.patientId}}",
            "conditions": "Condition?patient={{context.patientId}}&clinical-status=active",
            "medications": "MedicationRequest?patient={{context.patientId}}&status=active",
        }


def test_discovery_answers_before_any_release_is_published(client, db):
    assert len(client.get("/cds-services/").json()["services"]) == 3


def test_an_observation_prefetch_is_asked_for_once_a_criterion_is_complete(shipped_payload):
    payload = copy.deepcopy(shipped_payload)
    payload["observation_criteria"]["egfr-below-30"] = {
        "factor": "renal_impairment_severe",
        "measurement": "eGFR",
        "system": "loinc",
        "codes": ["TEST-EGFR"],
        "unit": "TEST-UNIT",
        "at_least": None,
        "at_most": None,
        "below": 30.0,
        "max_age_days": 90,
    }
    assert prefetch(Coding.from_payload(shipped_payload)).keys() == {
        "patient",
        "conditions",
        "medications",
    }
    assert prefetch(Coding.from_payload(payload))["egfr"] == (
        "Observation?patient={{context.patientId}}&code=http://loinc.org|TEST-EGFR"
        "&date=ge{{today() - 90 days}}&_sort=-date&_count=1"
    )


def test_the_about_page_says_what_the_cards_are_and_names_the_release(client, shipped_release):
    page = client.get("/cds-hooks/about/")
    assert page.status_code == 200
    assert "Intended use" in page.text
    assert "How the notes are made" in page.text
    assert "Evidence version <strong>2026.11.27-1</strong>" in page.text
    assert "does not prescribe" in page.text  # the site's disclaimer


def test_the_about_page_answers_without_a_release(client, db):
    assert "No evidence release is published yet" in client.get("/cds-hooks/about/").text


# --- The codes in a release -----------------------------------------------------------------


def test_a_release_carries_only_verified_codes_that_name_something(shipped_data):
    payload = payload_from(shipped_data)
    assert "rxnorm:6130" in payload["codes"]
    assert "rxnorm:8123" not in payload["codes"]  # phenelzine: unverified in the brief
    assert not any(key.startswith("snomed_ct:") for key in payload["codes"])


def test_a_release_carries_every_pairing_flagged_and_only_verified_products_and_criteria(
    shipped_data,
):
    data = copy.deepcopy(shipped_data)
    data["medicinal_products"][0]["verified"] = False
    payload = payload_from(data)
    assert payload["code_pairings"]["hiv-neuropathy-b20-g63"]["verified"] is False
    assert payload["code_pairings"]["chemotherapy-neuropathy-g62-0-t45-1x5"]["verified"] is True
    assert data["medicinal_products"][0]["key"] not in payload["medicinal_products"]
    assert payload["observation_criteria"] == {}  # none is complete in the brief


@pytest.mark.parametrize(
    "section", ["codes", "code_pairings", "medicinal_products", "observation_criteria"]
)
def test_the_changelog_names_a_change_of_codes(shipped_data, section):
    from decision.releases import describe_changes

    old = payload_from(shipped_data)
    new = copy.deepcopy(old)
    new[section]["added-for-the-test"] = {}
    assert "added (1): added-for-the-test" in describe_changes(old, new)
    # A release published before the section existed compares as having none.
    legacy = {key: value for key, value in old.items() if key != section}
    assert "added-for-the-test" in describe_changes(legacy, new)
