"""From the FHIR data of a CDS Hooks request to what the engine is asked: pain types, medicines
and patient factors, and an account of what could not be read.

Everything is matched against the release's curated codes (`cdshooks.coding`), none written
here. Nothing read is kept: the record gives slugs, counts and medicine names for the card, and
the birth date only as "aged 65 or over" or not.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass

from cdshooks import fhir
from cdshooks.coding import Coding, system_of

# A record can name several neuropathic pain types; each gets its own assessment, and beyond
# three the cards would bury each other.
MAX_PAIN_TYPES = 3
# The vocabulary's factor "Aged 65 or over" (contract/vocabulary.yaml): the age is its name's.
OLDER_ADULT = "older_adult"
OLDER_ADULT_AGE = 65
# Conditions that say nothing about the patient now: disproved, recorded by mistake, or over.
IGNORED_VERIFICATION = {"refuted", "entered-in-error"}
IGNORED_CLINICAL = {"inactive", "resolved"}
# Prescriptions that are not being taken: ended, withdrawn, or (drafts) in the order context.
IGNORED_PRESCRIPTION = {"cancelled", "completed", "entered-in-error", "stopped", "draft"}
MEDICATION_ORDERS = {"MedicationRequest", "MedicationOrder"}
UNNAMED = "a medicine without a name"


@dataclass(frozen=True)
class FactorReading:
    """Each patient factor of the vocabulary, as far as the record shows it."""

    present: tuple[str, ...] = ()
    # Checked (a verified code set or a recent measurement exists for it) and not found.
    not_found: tuple[str, ...] = ()
    # The record cannot show it here: no curated codes or measurement criteria, or no data.
    not_assessed: tuple[str, ...] = ()


@dataclass(frozen=True)
class Record:
    pain_types: tuple[str, ...]
    pain_types_left_out: int
    current: frozenset[str]
    # Order hooks: the NMDAR antagonists being ordered (one card each), and every drug of the
    # session's draft orders, which count beside the current medicines.
    subjects: tuple[str, ...]
    ordered: frozenset[str]
    unrecognised: tuple[str, ...]
    factors: FactorReading

    def analgesics_for(self, subject: str | None = None) -> frozenset[str]:
        """The medicines the patient takes or is being ordered, but the one a card is about."""
        return (self.current | self.ordered) - {subject}


def read_record(
    *,
    coding: Coding,
    vocabulary,
    prefetch: dict,
    focus: list[dict] | None,
    drafts: list[dict],
    today: datetime.date,
) -> Record:
    """Read a request's prefetch (and, for order hooks, its draft orders: `focus` are those the
    cards are about, None for patient-view)."""
    medications = fhir.medication_index(*prefetch.values(), drafts)
    unrecognised: list[str] = []

    def drugs_of(requests: list[dict]) -> frozenset[str]:
        found: set[str] = set()
        for request in requests:
            medicine = fhir.medication_concept(request, medications)
            drugs = coding.medicine(_known_systems(medicine.codings), list(medicine.texts))
            if drugs:
                found |= drugs
            else:
                unrecognised.append(_name_of(medicine))
        return frozenset(found)

    current_requests = [
        request
        for request in fhir.of_type(prefetch.get("medications"), "MedicationRequest")
        if fhir.status_codes(request.get("status")).isdisjoint(IGNORED_PRESCRIPTION)
    ]
    current = drugs_of(current_requests)
    subjects: tuple[str, ...] = ()
    ordered: frozenset[str] = frozenset()
    if focus is not None:
        focused = drugs_of(focus)
        ordered = focused | drugs_of([draft for draft in drafts if draft not in focus])
        subjects = tuple(slug for slug in vocabulary.nmdar_antagonists if slug in focused)

    condition_codes = _condition_codes(prefetch.get("conditions"))
    pain_types = _pain_types(coding, condition_codes)
    return Record(
        pain_types=tuple(pain_types[:MAX_PAIN_TYPES]),
        pain_types_left_out=max(0, len(pain_types) - MAX_PAIN_TYPES),
        current=current,
        subjects=subjects,
        ordered=ordered,
        unrecognised=tuple(dict.fromkeys(unrecognised)),
        factors=_factors(coding, vocabulary, condition_codes, prefetch, today),
    )


def medication_orders(value) -> list[dict]:
    return [item for item in fhir.resources(value) if item.get("resourceType") in MEDICATION_ORDERS]


def _known_systems(codings) -> list[tuple[str, str]]:
    return [(system, code) for uri, code in codings if (system := system_of(uri)) is not None]


def _name_of(medicine: fhir.Concept) -> str:
    # The first human-readable name, shortened: enough for a clinician to find it in the chart.
    name = next((text for text in medicine.texts if text), UNNAMED)
    return name if len(name) <= 80 else f"{name[:79]}…"


def _condition_codes(value) -> list[tuple[str, str]]:
    """The (system, code) pairs of the conditions that hold, in record order."""
    codes = []
    for condition in fhir.of_type(value, "Condition"):
        if fhir.status_codes(condition.get("verificationStatus")) & IGNORED_VERIFICATION:
            continue
        if fhir.status_codes(condition.get("clinicalStatus")) & IGNORED_CLINICAL:
            continue
        codes += [
            (system, code)
            for uri, code in fhir.concept(condition.get("code")).codings
            if (system := system_of(uri)) is not None
        ]
    return codes


def _pain_types(coding: Coding, codes: list[tuple[str, str]]) -> list[str]:
    found = [
        pain for system, code in codes for pain in sorted(coding.name(system, code).pain_types)
    ]
    return list(dict.fromkeys(found + coding.paired_pain_types(codes)))


def _factors(coding, vocabulary, condition_codes, prefetch, today) -> FactorReading:
    coded = {
        factor for system, code in condition_codes for factor in coding.name(system, code).factors
    }
    measured = _measured(coding, prefetch, today)
    present, not_found, not_assessed = [], [], []
    for slug in vocabulary.patient_factors:
        if slug == OLDER_ADULT:
            status = _older_adult(prefetch.get("patient"), today)
        elif slug in coded or measured.get(slug) is True:
            status = "present"
        elif slug in coding.coded_factors or slug in measured:
            status = "not_found"
        else:
            status = "not_assessed"
        {"present": present, "not_found": not_found, "not_assessed": not_assessed}[status].append(
            slug
        )
    return FactorReading(tuple(present), tuple(not_found), tuple(not_assessed))


def _older_adult(value, today: datetime.date) -> str:
    patients = fhir.of_type(value, "Patient")
    if not patients:
        return "not_assessed"
    ages = fhir.age_range(patients[0].get("birthDate"), today)
    if ages is None:
        return "not_assessed"
    youngest, oldest = ages
    if youngest >= OLDER_ADULT_AGE:
        return "present"
    if oldest < OLDER_ADULT_AGE:
        return "not_found"
    return "not_assessed"  # a birth year alone that straddles the 65th birthday


def _measured(coding: Coding, prefetch: dict, today: datetime.date) -> dict[str, bool]:
    """Per factor with read criteria and a recent measurement: whether the latest shows it."""
    if not coding.criteria:
        return {}
    measurements = [
        reading
        for value in prefetch.values()
        for observation in fhir.of_type(value, "Observation")
        if (reading := fhir.measurement(observation)) is not None
    ]
    shown: dict[str, bool] = {}
    for criterion in coding.criteria:
        recent = [
            reading
            for reading in measurements
            if criterion.unit in reading.units
            and 0 <= (today - reading.day).days <= criterion.max_age_days
            and any(
                system_of(uri) == criterion.system
                and coding.within(criterion.system, code, criterion.codes)
                for uri, code in reading.concept.codings
            )
        ]
        if recent:
            latest = max(recent, key=lambda reading: reading.day)
            shown[criterion.factor] = shown.get(criterion.factor, False) or criterion.shows(
                latest.value
            )
    return shown
