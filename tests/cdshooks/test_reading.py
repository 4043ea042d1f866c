"""From FHIR to the engine's inputs, on the shipped release's codes: pain types by code or
ancestor and by pairs, medicines in three representations and by product or name, factors with
what the record cannot show. No database: the coding index is plain data."""

import copy
import datetime as dt

import pytest

from cdshooks.coding import Coding
from cdshooks.record import read_record
from decision.engine import CompiledRelease
from tests.cdshooks import bundles as b

TODAY = dt.date(2026, 12, 1)


@pytest.fixture(scope="module")
def shipped(shipped_payload):
    return Coding.from_payload(shipped_payload), CompiledRelease.from_payload(shipped_payload)


def read(shipped, *, conditions=(), medications=(), patient=None, drafts=(), focus=None, **extra):
    coding, release = shipped
    prefetch = {
        "patient": patient,
        "conditions": b.bundle(*conditions),
        "medications": b.bundle(*medications),
        **extra,
    }
    drafts = list(drafts)
    return read_record(
        coding=coding,
        vocabulary=release.vocabulary,
        prefetch=prefetch,
        focus=drafts if focus is None and drafts else focus,
        drafts=drafts,
        today=TODAY,
    )


# --- Pain types -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("code", "pain_type"),
    [
        ("G90.511", "complex_regional_pain_syndrome"),  # a billable child of G90.51
        ("G90.51", "complex_regional_pain_syndrome"),
        ("g90511", "complex_regional_pain_syndrome"),  # dots and case normalised
        (" G90.5 ", "complex_regional_pain_syndrome"),
        ("E11.42", "painful_diabetic_neuropathy"),
        ("B02.22", "postherpetic_neuralgia"),
        ("G50.0", "trigeminal_neuralgia"),
        ("M54.16", "radiculopathy"),
    ],
)
def test_a_condition_names_its_pain_type_by_its_code_or_an_ancestor(shipped, code, pain_type):
    assert read(shipped, conditions=[b.condition(code)]).pain_types == (pain_type,)


@pytest.mark.parametrize("code", ["G90", "Z00.00", "E11.9", "not-a-code", ""])
def test_codes_the_knowledge_base_does_not_name_give_no_pain_type(shipped, code):
    assert read(shipped, conditions=[b.condition(code)]).pain_types == ()


def test_only_icd10cm_codings_are_matched(shipped):
    snomed = b.condition("G90.51", system=b.SNOMED)
    assert read(shipped, conditions=[snomed]).pain_types == ()


def test_g62_0_with_an_antineoplastic_adverse_effect_code_is_chemotherapy_neuropathy(shipped):
    record = read(shipped, conditions=[b.condition("G62.0"), b.condition("T45.1X5A")])
    assert record.pain_types == ("chemotherapy_induced_neuropathy",)


@pytest.mark.parametrize("codes", [["G62.0"], ["T45.1X5A"], ["B20"], ["G63"], ["B20", "G63"]])
def test_codes_that_only_count_as_a_pair_name_nothing_alone(shipped, codes):
    # B20 with G63 is shipped unverified (the brief flags the pairing as an inference).
    assert read(shipped, conditions=[b.condition(code) for code in codes]).pain_types == ()


def test_a_pairing_counts_once_a_curator_verifies_it(shipped_payload):
    payload = copy.deepcopy(shipped_payload)
    payload["code_pairings"]["hiv-neuropathy-b20-g63"]["verified"] = True
    coding, release = Coding.from_payload(payload), CompiledRelease.from_payload(payload)
    record = read((coding, release), conditions=[b.condition("B20", "G63")])
    assert record.pain_types == ("hiv_neuropathy",)


def test_central_pain_g89_0_names_no_pain_type_without_curated_partner_codes(shipped):
    assert read(shipped, conditions=[b.condition("G89.0")]).pain_types == ()


@pytest.mark.parametrize(
    ("clinical", "verification"),
    [
        ("active", "refuted"),
        ("active", "entered-in-error"),
        ("resolved", "confirmed"),
        ("inactive", ""),
    ],
)
def test_refuted_erroneous_or_ended_conditions_are_ignored(shipped, clinical, verification):
    condition = b.condition("G90.51", clinical=clinical, verification=verification)
    assert read(shipped, conditions=[condition]).pain_types == ()


def test_an_stu3_string_status_is_read(shipped):
    condition = b.condition("G90.51", clinical=None, verification=None)
    condition["verificationStatus"] = "refuted"
    assert read(shipped, conditions=[condition]).pain_types == ()


def test_several_pain_types_are_kept_in_record_order_at_most_three(shipped):
    codes = ["G50.0", "G90.51", "E11.42", "B02.22", "M54.16"]
    record = read(shipped, conditions=[b.condition(code) for code in codes])
    assert record.pain_types == (
        "trigeminal_neuralgia",
        "complex_regional_pain_syndrome",
        "painful_diabetic_neuropathy",
    )
    assert record.pain_types_left_out == 2


# --- Medicines ------------------------------------------------------------------------------


def test_a_medication_codeable_concept_is_read_by_its_rxnorm_code(shipped):
    assert read(shipped, medications=[b.rx("7052", "morphine")]).current == {"morphine"}


def test_a_contained_medication_is_read(shipped):
    record = read(shipped, medications=[b.rx_contained("36437", "sertraline")])
    assert record.current == {"sertraline"}


def test_a_medication_referenced_elsewhere_in_the_prefetch_is_read(shipped):
    medications = [b.rx_referenced("m1"), b.medication("m1", "7052", "morphine")]
    assert read(shipped, medications=medications).current == {"morphine"}


def test_a_medication_referenced_in_another_prefetch_key_is_read(shipped):
    record = read(
        shipped,
        medications=[b.rx_referenced("m1")],
        meds=b.bundle(b.medication("m1", "36437", "sertraline")),
    )
    assert record.current == {"sertraline"}


def test_rxnorm_1040053_is_dextromethorphan_and_quinidine_by_the_product_table(shipped):
    record = read(shipped, medications=[b.rx("1040053", "dextromethorphan / quinidine")])
    assert record.current == {"dextromethorphan", "quinidine"}


@pytest.mark.parametrize(
    ("text", "drugs"),
    [
        ("NUEDEXTA 20 MG / 10 MG Oral Capsule", {"dextromethorphan", "quinidine"}),
        ("Auvelity 45 mg/105 mg ER tablet", {"dextromethorphan", "bupropion"}),
        ("Namenda XR 28 MG", {"memantine"}),
        ("Ketamine Hydrochloride 50 MG/ML Injectable Solution", {"ketamine"}),
        ("morphine sulfate 15 MG Oral Tablet", {"morphine"}),
        ("Acetaminophen 500 MG Oral Tablet", {"paracetamol"}),
    ],
)
def test_without_a_known_code_products_then_ingredient_names_are_matched(shipped, text, drugs):
    assert read(shipped, medications=[b.rx(text=text)]).current == drugs


def test_names_match_whole_words_only(shipped):
    record = read(shipped, medications=[b.rx(text="Hydromorphone 2 MG Oral Tablet")])
    assert record.current == {"hydromorphone"}


def test_a_known_code_wins_over_a_name_in_the_text(shipped):
    record = read(shipped, medications=[b.rx("7052", "morphine", text="with sertraline")])
    assert record.current == {"morphine"}


def test_unrecognised_medicines_are_counted_and_named(shipped):
    record = read(
        shipped,
        medications=[
            b.rx("617993", "Amoxicillin 500 MG Oral Capsule"),
            b.rx(text="Metformin 500 mg tablet"),
            b.rx("7052", "morphine"),
        ],
    )
    assert record.current == {"morphine"}
    assert record.unrecognised == ("Amoxicillin 500 MG Oral Capsule", "Metformin 500 mg tablet")


def test_stopped_cancelled_and_erroneous_prescriptions_are_not_current(shipped):
    medications = [
        b.rx("7052", status=status) for status in ("stopped", "cancelled", "entered-in-error")
    ]
    assert read(shipped, medications=medications).current == frozenset()


def test_order_hooks_card_the_nmdar_antagonists_ordered_and_count_every_draft(shipped):
    ketamine = b.rx("6130", "ketamine", id="k", status="draft")
    fentanyl = b.rx("4337", "fentanyl", id="f", status="draft")
    record = read(shipped, medications=[b.MORPHINE], drafts=[ketamine, fentanyl], focus=[ketamine])
    assert record.subjects == ("ketamine",)
    assert record.analgesics_for("ketamine") == {"morphine", "fentanyl"}


# --- Patient factors ------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("birth_date", "status"),
    [
        ("1950-03-14", "present"),
        ("1961-12-01", "present"),  # 65 today
        ("1961-12-02", "not_found"),  # 65 tomorrow
        ("1990-01-01", "not_found"),
        ("1940", "present"),
        ("1961", "not_assessed"),  # the year alone straddles the 65th birthday
        ("1961-11", "present"),
        ("not a date", "not_assessed"),
        (None, "not_assessed"),
    ],
)
def test_aged_65_or_over_comes_from_the_birth_date(shipped, birth_date, status):
    factors = read(shipped, patient=b.patient(birth_date)).factors
    where = {
        slug: name
        for name in ("present", "not_found", "not_assessed")
        for slug in getattr(factors, name)
    }
    assert where["older_adult"] == status


def test_without_a_patient_resource_age_is_not_assessed(shipped):
    assert "older_adult" in read(shipped, patient=None).factors.not_assessed


def test_factors_the_shipped_codes_cannot_show_are_not_assessed_never_absent(shipped):
    factors = read(shipped, patient=b.patient()).factors
    assert factors.present == ("older_adult",)
    assert factors.not_found == ()
    assert {
        "cyp2d6_poor_metaboliser",
        "renal_impairment_severe",
        "qt_prolongation_risk",
        "seizure_disorder",
        "psychosis_history",
        "pregnancy_or_breastfeeding",
    } <= set(factors.not_assessed)


def _with_curated_factor_data(shipped_payload) -> tuple:
    """The shipped release as a curator would complete it: a verified eGFR criterion and a
    verified condition code for a factor. The codes are test values, not clinical data."""
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
    payload["codes"]["icd10cm:TEST1"] = {
        "system": "icd10cm",
        "code": "TEST1",
        "display": "test code",
        "pain_types": [],
        "drugs": [],
        "factors": ["seizure_disorder"],
    }
    return Coding.from_payload(payload), CompiledRelease.from_payload(payload)


def egfr(value, day="2026-11-20", unit="TEST-UNIT", status="final", code="TEST-EGFR") -> dict:
    return {
        "resourceType": "Observation",
        "status": status,
        "code": {"coding": [{"system": "http://loinc.org", "code": code}]},
        "effectiveDateTime": day,
        "valueQuantity": {"value": value, "unit": unit},
    }


@pytest.mark.parametrize(
    ("observations", "status"),
    [
        ([egfr(25)], "present"),
        ([egfr(45)], "not_found"),
        ([egfr(25, day="2026-01-01")], "not_assessed"),  # outside the look-back
        ([egfr(25, unit="other")], "not_assessed"),
        ([egfr(25, status="preliminary")], "not_assessed"),
        ([egfr(25, code="OTHER")], "not_assessed"),
        ([egfr(25, day="2026-10-01"), egfr(45, day="2026-11-20")], "not_found"),  # latest counts
        ([], "not_assessed"),
    ],
)
def test_a_completed_criterion_reads_the_latest_recent_measurement(
    shipped_payload, observations, status
):
    curated = _with_curated_factor_data(shipped_payload)
    factors = read(curated, egfr=b.bundle(*observations)).factors
    where = {
        slug: name
        for name in ("present", "not_found", "not_assessed")
        for slug in getattr(factors, name)
    }
    assert where["renal_impairment_severe"] == status


def test_a_verified_condition_code_shows_its_factor_or_checks_it_absent(shipped_payload):
    curated = _with_curated_factor_data(shipped_payload)
    assert "seizure_disorder" in read(curated, conditions=[b.condition("TEST1.9")]).factors.present
    assert "seizure_disorder" in read(curated, conditions=[]).factors.not_found
