"""One assessment, from raw inputs to a stored snapshot and its JSON document.

The form, the JSON API and the CDS Hooks service all go through `parse_inputs` and
`assessment_document`, so the same question gets the same answer and the same shape everywhere.
"""

from __future__ import annotations

import datetime
from collections.abc import Sequence

from django.urls import reverse

from decision.disclaimer import DISCLAIMER
from decision.engine import CompiledRelease, Inputs, Note, evaluate
from decision.models import Assessment
from decision.releases import compiled_release

MAX_LIST_ITEMS = 100


class InvalidInputs(ValueError):
    """Inputs that do not fit the vocabulary; `errors` maps each bad field to its messages."""

    def __init__(self, errors: dict[str, list[str]]):
        super().__init__("; ".join(f"{k}: {' '.join(v)}" for k, v in errors.items()))
        self.errors = errors


def parse_inputs(release: CompiledRelease, pain_type, analgesics=None, factors=None) -> Inputs:
    """Check raw values against the release's vocabulary; raise `InvalidInputs` naming fields."""
    vocabulary = release.vocabulary
    errors: dict[str, list[str]] = {}
    if pain_type is None or pain_type == "":
        errors["pain_type"] = ["This field is required: give one pain-type slug."]
    elif not isinstance(pain_type, str):
        errors["pain_type"] = ["Must be a pain-type slug (a string)."]
    elif pain_type not in vocabulary.pain_types:
        errors["pain_type"] = [f"Unknown pain type '{_shorten(pain_type)}'."]
    checked = {}
    for field, values, known, noun in (
        ("analgesics", analgesics, vocabulary.drugs, "drug"),
        ("factors", factors, vocabulary.patient_factors, "patient factor"),
    ):
        values = [] if values is None else values
        if not isinstance(values, list | tuple):
            errors[field] = [f"Must be a list of {noun} slugs."]
            continue
        if len(values) > MAX_LIST_ITEMS:
            errors[field] = [f"At most {MAX_LIST_ITEMS} items."]
            continue
        messages = []
        for value in values:
            if not isinstance(value, str):
                messages.append(f"Every item must be a {noun} slug (a string).")
            elif value not in known:
                messages.append(f"Unknown {noun} '{_shorten(value)}'.")
        if messages:
            errors[field] = list(dict.fromkeys(messages))
        checked[field] = values
    if errors:
        raise InvalidInputs(errors)
    return Inputs.build(pain_type, checked["analgesics"], checked["factors"])


def _shorten(value: str, limit: int = 60) -> str:
    return value if len(value) <= limit else f"{value[:limit]}…"


def answer(release: CompiledRelease, inputs: Inputs) -> list[dict]:
    """The notes as dicts, with the summaries the evidence panels show."""
    return [note.as_dict() for note in evaluate(release, inputs)]


def store_assessment(release: CompiledRelease, inputs: Inputs, notes: Sequence[Note]) -> Assessment:
    """Store the snapshot: one INSERT, nothing else.

    Notes are stored whole (title, text, level, why…) but cite sources and summaries by key:
    those live in the assessment's release, which never changes.
    """
    return Assessment.objects.create(
        release_id=release.id,
        inputs=inputs.as_dict(),
        notes=[note.as_stored() for note in notes],
    )


def stored_notes(assessment: Assessment) -> list[dict]:
    """The notes of a stored assessment as they were answered, citations and summaries included."""
    release = compiled_release(assessment.release_id)
    return [release.expand_stored(note) for note in assessment.notes]


def knowledge_base_info(version: str, published_at) -> dict:
    if isinstance(published_at, str):
        # A compiled release keeps isoformat() ("+00:00"); answer as stored documents do ("Z").
        published_at = datetime.datetime.fromisoformat(published_at)
    if isinstance(published_at, datetime.datetime):
        published_at = _iso(published_at)
    return {"release": version, "published_at": published_at}


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def assessment_document(
    assessment: Assessment, notes: list[dict], *, release_version: str, published_at
) -> dict:
    """The JSON of API.md for a stored assessment (`notes` as `Note.as_dict` gives them)."""
    return {
        "id": str(assessment.id),
        "url": reverse("decision:assessment", args=[assessment.id]),
        "pdf_url": reverse("decision:assessment_pdf", args=[assessment.id]),
        "created_at": _iso(assessment.created_at),
        "knowledge_base": knowledge_base_info(release_version, published_at),
        "disclaimer": DISCLAIMER,
        "inputs": assessment.inputs,
        # The panels' summaries stay out of the API's answer: it cites, and stays small.
        "notes": [
            {key: value for key, value in note.items() if key != "evidence_summaries"}
            for note in notes
        ],
    }


def stored_document(assessment: Assessment, notes: list[dict] | None = None) -> dict:
    """The document of an assessment read back from the database."""
    release = compiled_release(assessment.release_id)
    return assessment_document(
        assessment,
        stored_notes(assessment) if notes is None else notes,
        release_version=release.version,
        published_at=release.published_at,
    )
