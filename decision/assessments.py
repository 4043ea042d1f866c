"""One assessment, from raw inputs to a stored snapshot and its JSON document.

The form and the JSON API both go through `parse_inputs`, `answer_for` and `store_assessment`,
and every JSON answer is written by `document_json`, so the same question gets the same answer
and the same shape everywhere.
"""

from __future__ import annotations

import datetime
import json
import uuid
from dataclasses import dataclass

from django.conf import settings
from django.db import connection
from django.urls import reverse
from django.utils import timezone

from decision.disclaimer import DISCLAIMER
from decision.engine import CompiledRelease, Inputs, Note, evaluate
from decision.memo import BoundedMemo
from decision.models import Assessment
from decision.releases import compiled_release

MAX_LIST_ITEMS = 100
# The fields of a question, in the API's and the form's spelling.
INPUT_FIELDS = ("pain_type", "analgesics", "factors")


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


@dataclass(frozen=True)
class Answer:
    """One evaluation, with the forms it is stored and sent in, each computed once."""

    notes: tuple[Note, ...]
    stored: list[dict]
    notes_json: str  # the API's "notes" array, encoded


_answers = BoundedMemo(size=256)


def answer_for(release: CompiledRelease, inputs: Inputs) -> Answer:
    """The answer to these inputs under this release; the same question is evaluated once.

    `evaluate` is pure and a release never changes, so an answer is keyed by the release's
    content and the inputs and shared by every request that asks it again.
    """

    def make() -> Answer:
        notes = tuple(evaluate(release, inputs))
        api_notes = [note.as_dict(summaries=False) for note in notes]
        return Answer(
            notes=notes,
            stored=[note.as_stored() for note in notes],
            notes_json=_encode(api_notes),
        )

    if not release.content_hash:  # a release built in memory, never stored: nothing to share
        return make()
    return _answers.get((release.content_hash, inputs), make)


def store_assessment(release: CompiledRelease, inputs: Inputs, result: Answer) -> Assessment:
    """Store the snapshot: one INSERT, nothing else.

    Notes are stored by reference to the release (see `Note.as_stored`). On PostgreSQL the
    insert does not wait for the write-ahead log to reach disk (`ASSESSMENT_ASYNC_COMMIT`): a
    crash in the following fraction of a second could lose the newest assessments, never
    corrupt anything, and the answer is not kept waiting for the disk.
    """
    assessment = Assessment(
        id=uuid.uuid4(),
        created_at=timezone.now(),
        release_id=release.id,
        inputs=inputs.as_dict(),
        notes=result.stored,
    )
    if connection.vendor == "postgresql" and settings.ASSESSMENT_ASYNC_COMMIT:
        _insert_with_async_commit(assessment)
    else:
        assessment.save(force_insert=True)
    return assessment


def _insert_with_async_commit(assessment: Assessment) -> None:
    # set_config(..., true) lasts for the statement's own transaction: one statement, one query.
    fields = [
        Assessment._meta.get_field(name)
        for name in ("id", "created_at", "release", "inputs", "notes")
    ]
    columns = ", ".join(connection.ops.quote_name(field.column) for field in fields)
    values = [
        field.get_db_prep_save(getattr(assessment, field.attname), connection) for field in fields
    ]
    placeholders = ", ".join(["%s"] * len(values))
    table = connection.ops.quote_name(Assessment._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({columns}) SELECT {placeholders} "  # noqa: S608
            "FROM (SELECT set_config('synchronous_commit', 'off', true)) AS async_commit",
            values,
        )
    assessment._state.adding = False
    assessment._state.db = connection.alias


def stored_notes(assessment: Assessment, *, summaries: bool = True) -> list[dict]:
    """The notes of a stored assessment as they were answered (`Note.as_dict` of each)."""
    release = compiled_release(assessment.release_id)
    return [release.expand_stored(note, summaries=summaries) for note in assessment.notes]


def knowledge_base_info(release: CompiledRelease) -> dict:
    published_at = release.published_at
    return {
        "release": release.version,
        "published_at": _iso(published_at) if published_at else None,
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")


def _encode(value) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":"))


def document_json(assessment: Assessment, notes_json: str | None = None) -> str:
    """The JSON of API.md for a stored assessment, as text: the 201 answer and every later read.

    `notes_json` is the answer's notes already encoded (`Answer.notes_json`), which a fresh
    assessment has; a stored one is read back from its release. The notes go last, spliced in
    as encoded text so that a shared answer is never encoded twice.
    """
    release = compiled_release(assessment.release_id)
    if notes_json is None:
        notes_json = _encode(stored_notes(assessment, summaries=False))
    head = {
        "id": str(assessment.id),
        "url": reverse("decision:assessment", args=[assessment.id]),
        "pdf_url": reverse("decision:assessment_pdf", args=[assessment.id]),
        "created_at": _iso(assessment.created_at),
        "knowledge_base": knowledge_base_info(release),
        "disclaimer": DISCLAIMER,
        "inputs": assessment.inputs,
    }
    return f'{_encode(head)[:-1]},"notes":{notes_json}}}'
