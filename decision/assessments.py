"""One assessment, from raw inputs to a stored snapshot and back.

The form, the JSON API and the CDS Hooks service all go through `parse_inputs`, `answer` and
`store_assessment`, so the same question gets the same answer everywhere; a stored assessment's
notes come back, exactly as answered, through `stored_notes`.
"""

from __future__ import annotations

import contextlib
import datetime
import functools

from django.conf import settings
from django.db import connection

from decision.engine import CompiledRelease, Inputs, Note, evaluate
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


# Each input field: the vocabulary section its slugs come from, and what one is called.
_VOCABULARY = {
    "pain_type": ("pain_types", "pain type"),
    "analgesics": ("drugs", "drug"),
    "factors": ("patient_factors", "patient factor"),
}


def slug_error(release: CompiledRelease, field: str, slug: str) -> str:
    """What is wrong with one slug of an input field, or "" when the release knows it."""
    section, noun = _VOCABULARY[field]
    if slug in getattr(release.vocabulary, section):
        return ""
    return f"Unknown {noun} '{shorten(slug)}'."


def parse_inputs(release: CompiledRelease, pain_type, analgesics=None, factors=None) -> Inputs:
    """Check raw values against the release's vocabulary; raise `InvalidInputs` naming fields."""
    errors: dict[str, list[str]] = {}
    if pain_type is None or pain_type == "":
        errors["pain_type"] = ["This field is required: give one pain-type slug."]
    elif not isinstance(pain_type, str):
        errors["pain_type"] = ["Must be a pain-type slug (a string)."]
    elif message := slug_error(release, "pain_type", pain_type):
        errors["pain_type"] = [message]
    checked = {}
    for field, values in (("analgesics", analgesics), ("factors", factors)):
        noun = _VOCABULARY[field][1]
        values = [] if values is None else values
        if not isinstance(values, list | tuple):
            errors[field] = [f"Must be a list of {noun} slugs."]
            continue
        if len(values) > MAX_LIST_ITEMS:
            errors[field] = [f"At most {MAX_LIST_ITEMS} items."]
            continue
        messages = [
            slug_error(release, field, value)
            if isinstance(value, str)
            else f"Every item must be a {noun} slug (a string)."
            for value in values
        ]
        if messages := [message for message in messages if message]:
            errors[field] = list(dict.fromkeys(messages))
        checked[field] = values
    if errors:
        raise InvalidInputs(errors)
    return Inputs.build(pain_type, checked["analgesics"], checked["factors"])


def shorten(value: str, limit: int = 60) -> str:
    """`value`, cut to `limit` characters: what an error message may quote of client input."""
    return value if len(value) <= limit else f"{value[:limit]}…"


@functools.lru_cache(maxsize=1024)
def answer(release: CompiledRelease, inputs: Inputs) -> tuple[Note, ...]:
    """The notes these inputs get from this release.

    Kept for the most recent questions: `evaluate` is pure, a release and its notes never
    change, and a question asked again (a common case) is answered without evaluating.
    """
    return tuple(evaluate(release, inputs))


def store_assessment(
    release: CompiledRelease, inputs: Inputs, notes: tuple[Note, ...]
) -> Assessment:
    """Store the snapshot: the inputs, each note by reference to its release, and the release.

    One INSERT, which need not wait for the disk (`without_waiting_for_disk`).
    """
    assessment = Assessment(
        release_id=release.id, inputs=inputs.as_dict(), notes=[note.stored() for note in notes]
    )
    with without_waiting_for_disk():
        assessment.save(force_insert=True)
    return assessment


@contextlib.contextmanager
def without_waiting_for_disk():
    """On PostgreSQL (with `ASSESSMENT_ASYNC_COMMIT`), the writes inside commit without waiting
    for the write-ahead log to reach disk: a crash in the next fraction of a second could lose
    them, never corrupt anything. For assessments and issued cards only; curation and
    publishing always wait.

    Under load this bounds the API: measured on the same code, two workers waiting for the disk
    served 750 POSTs/s, and 870–880 without (`make bench`, docs/engine.md).
    """
    if connection.vendor != "postgresql" or not settings.ASSESSMENT_ASYNC_COMMIT:
        yield
        return
    with connection.execute_wrapper(_commit_without_waiting):
        yield


def _commit_without_waiting(execute, sql, params, many, context):
    # Sent together as one simple query, the two statements are one implicit transaction, so
    # SET LOCAL lasts for exactly this write (the setting is read at commit) and costs no round
    # trip; BEGIN, SET LOCAL and COMMIT around it would cost three. The write comes first, so
    # the cursor stands on its result (an INSERT's RETURNING rows). Django's psycopg backend
    # binds parameters on the client, which allows two statements in one query.
    return execute(f"{sql}; SET LOCAL synchronous_commit TO OFF", params, many, context)


def stored_notes(assessment: Assessment) -> list[Note]:
    """The notes of a stored assessment exactly as they were answered."""
    release = compiled_release(assessment.release_id)
    return [release.restore(note) for note in assessment.notes]


def knowledge_base_info(release: CompiledRelease) -> dict:
    published_at = release.published_at
    return {
        "release": release.version,
        "published_at": _iso(published_at) if published_at else None,
    }


def _iso(moment: datetime.datetime) -> str:
    return moment.astimezone(datetime.UTC).isoformat().replace("+00:00", "Z")
