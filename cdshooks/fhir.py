"""Tolerant reading of FHIR R4 resources as they arrive in CDS Hooks requests.

Real payloads, and the specification's own examples, are not always valid R4 (a Bundle without
`type`, `doseAndRate` as an object, an STU3 string status), so nothing here validates a whole
resource: each reader takes what it understands and skips the rest. A malformed resource is
ignored, never fatal, and one bad entry never hides the others.
"""

from __future__ import annotations

import datetime
import re
from dataclasses import dataclass


def resources(value) -> list[dict]:
    """The resources of a prefetch value or context field: a Bundle's entries, a single
    resource, or a list of resources; anything else is nothing."""
    if isinstance(value, list):
        candidates = value
    elif isinstance(value, dict) and value.get("resourceType") == "Bundle":
        entries = value.get("entry")
        candidates = (
            [entry.get("resource") for entry in entries if isinstance(entry, dict)]
            if isinstance(entries, list)
            else []
        )
    elif isinstance(value, dict):
        candidates = [value]
    else:
        candidates = []
    return [
        item for item in candidates if isinstance(item, dict) and _text(item.get("resourceType"))
    ]


def of_type(value, resource_type: str) -> list[dict]:
    return [item for item in resources(value) if item.get("resourceType") == resource_type]


def is_failure(value) -> bool:
    """An OperationOutcome in place of data, alone or as all a Bundle holds: the client could not
    fetch the data. (A search Bundle may carry an OperationOutcome beside its results as a
    warning; that is data.)"""
    items = resources(value)
    if isinstance(value, dict) and value.get("resourceType") == "OperationOutcome":
        return True
    return bool(items) and all(item.get("resourceType") == "OperationOutcome" for item in items)


def _text(value) -> str:
    return value.strip() if isinstance(value, str) else ""


def _list(value) -> list:
    return value if isinstance(value, list) else []


@dataclass(frozen=True, slots=True)
class Concept:
    """A CodeableConcept as (system URI, code) pairs and the human-readable texts around it."""

    codings: tuple[tuple[str, str], ...] = ()
    texts: tuple[str, ...] = ()

    def __add__(self, other: Concept) -> Concept:
        return Concept(self.codings + other.codings, self.texts + other.texts)


def concept(value) -> Concept:
    if not isinstance(value, dict):
        return Concept()
    codings, texts = [], []
    for coding in _list(value.get("coding")):
        if not isinstance(coding, dict):
            continue
        system, code = _text(coding.get("system")), _text(coding.get("code"))
        if system and code:
            codings.append((system, code))
        if display := _text(coding.get("display")):
            texts.append(display)
    if text := _text(value.get("text")):
        texts.append(text)
    return Concept(tuple(codings), tuple(texts))


def status_codes(value) -> set[str]:
    """The codes of a status element: a CodeableConcept (R4) or a plain code (STU3)."""
    if isinstance(value, str):
        return {value.strip().lower()}
    return {code.lower() for _, code in concept(value).codings}


# --- Dates ---------------------------------------------------------------------------------

_DATE = re.compile(r"^(\d{4})(?:-(\d{2})(?:-(\d{2}))?)?")


def partial_date(value) -> tuple[int, int | None, int | None] | None:
    """A FHIR date or dateTime as (year, month, day), a missing part None; None if unreadable."""
    match = _DATE.match(_text(value))
    if not match:
        return None
    year, month, day = (int(part) if part else None for part in match.groups())
    try:
        datetime.date(year, month or 1, day or 1)
    except ValueError:
        return None
    return year, month, day


def day_of(value) -> datetime.date | None:
    """The calendar day of a full FHIR date or dateTime; None for a partial or bad one."""
    parts = partial_date(value)
    if parts is None or parts[1] is None or parts[2] is None:
        return None
    return datetime.date(*parts)


def age_range(birth_date, today: datetime.date) -> tuple[int, int] | None:
    """The youngest and oldest age a (possibly partial) birth date allows, today."""
    parts = partial_date(birth_date)
    if parts is None:
        return None
    year, month, day = parts
    earliest = datetime.date(year, month or 1, day or 1)
    if month is None:
        latest = datetime.date(year, 12, 31)
    elif day is None:
        following = datetime.date(year + month // 12, month % 12 + 1, 1)
        latest = following - datetime.timedelta(days=1)
    else:
        latest = earliest
    if earliest > today:
        return None
    return _age(latest, today), _age(earliest, today)


def _age(born: datetime.date, today: datetime.date) -> int:
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


# --- Medicines -----------------------------------------------------------------------------


def medication_concept(request: dict, medications: dict[str, dict]) -> Concept:
    """What a MedicationRequest prescribes: its medicationCodeableConcept, or the Medication it
    references (contained, "#id", or present elsewhere in the request, "Medication/id"), with
    the reference's display. R5's `medication` CodeableReference is read too."""
    found = concept(request.get("medicationCodeableConcept"))
    references = [request.get("medicationReference")]
    r5 = request.get("medication")
    if isinstance(r5, dict):
        found += concept(r5.get("concept"))
        references.append(r5.get("reference"))
    contained = {
        _text(item.get("id")): item
        for item in _list(request.get("contained"))
        if isinstance(item, dict) and item.get("resourceType") == "Medication"
    }
    for reference in references:
        if not isinstance(reference, dict):
            continue
        target = _text(reference.get("reference"))
        medication = None
        if target.startswith("#"):
            medication = contained.get(target[1:])
        elif target:
            medication = medications.get(target.rsplit("/", 2)[-1] if "/" in target else target)
        if medication is not None:
            found += medication_codes(medication)
        if display := _text(reference.get("display")):
            found += Concept(texts=(display,))
    return found


def medication_codes(medication: dict) -> Concept:
    """A Medication's code and its ingredients' codes (R4 itemCodeableConcept, R5 item.concept)."""
    found = concept(medication.get("code"))
    for ingredient in _list(medication.get("ingredient")):
        if not isinstance(ingredient, dict):
            continue
        found += concept(ingredient.get("itemCodeableConcept"))
        item = ingredient.get("item")
        if isinstance(item, dict):
            found += concept(item.get("concept"))
    return found


def medication_index(*values) -> dict[str, dict]:
    """Medication resources by id, from every bundle given."""
    return {
        _text(item.get("id")): item
        for value in values
        for item in of_type(value, "Medication")
        if _text(item.get("id"))
    }


def reference_key(resource: dict) -> str:
    return f"{resource.get('resourceType')}/{_text(resource.get('id'))}"


# --- Observations --------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Measurement:
    concept: Concept
    value: float
    units: frozenset[str]
    day: datetime.date


# A result still to be confirmed, or withdrawn, says nothing yet about the patient.
_USABLE_RESULTS = {"final", "amended", "corrected"}


def measurement(observation: dict) -> Measurement | None:
    """A final numeric result with its unit and day, or None. A value given only as a bound
    ("<15", ">90") is not an exact value and is skipped."""
    if _text(observation.get("status")).lower() not in _USABLE_RESULTS:
        return None
    quantity = observation.get("valueQuantity")
    if not isinstance(quantity, dict) or quantity.get("comparator"):
        return None
    value = quantity.get("value")
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    units = frozenset(u for u in (_text(quantity.get("code")), _text(quantity.get("unit"))) if u)
    period = observation.get("effectivePeriod")
    moment = (
        observation.get("effectiveDateTime")
        or observation.get("effectiveInstant")
        or (period.get("end") or period.get("start") if isinstance(period, dict) else None)
        or observation.get("issued")
    )
    day = day_of(moment)
    if day is None or not units:
        return None
    return Measurement(concept(observation.get("code")), float(value), units, day)
