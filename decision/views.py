"""The clinician's pages: the form with live results, the stored summary and its PDF.

Views are glue: read the request, validate the form, ask `decision.assessments`, render. The
helpers at the bottom only arrange the engine's notes for display (grouping by drug, numbering
references, counting); they never change what a note says or which notes appear.
"""

from __future__ import annotations

from urllib.parse import urlencode

from crispy_forms.utils import render_crispy_form
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils.cache import patch_vary_headers
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import replace_url
from django_htmx.middleware import HtmxDetails

from decision import pdf
from decision.assessments import INPUT_FIELDS, answer_for, store_assessment, stored_notes
from decision.engine import CompiledRelease, Inputs, Vocabulary
from decision.forms import AssessmentForm
from decision.memo import BoundedMemo
from decision.models import Assessment, Level
from decision.releases import active_release, compiled_release
from evidence.models import Certainty, Direction, Severity, StudyType

_blank_forms = BoundedMemo(size=4)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_http_methods(["GET", "POST"])
def assess(request: HtmxHttpRequest) -> HttpResponse:
    """The form; answered in place (htmx POST) or by a plain GET with the query string."""
    template = "decision/assess.html#result" if request.htmx else "decision/assess.html"
    data = request.POST if request.method == "POST" else request.GET
    form, context, status = _read_form(data if _has_inputs(data) else None)
    if form is None:
        return _vary(render(request, template, context, status=status))
    if context["state"] == "empty" and not request.htmx:
        # The blank form is the same for everyone until the next release: render it once.
        context["form_html"] = _blank_forms.get(
            form.release.content_hash, lambda: render_crispy_form(form)
        )
    elif context["state"] == "answered":
        notes_html, counts = _live_notes(form.release, form.inputs)
        context.update(inputs=form.inputs, notes_html=notes_html, counts=counts)
    response = render(request, template, context, status=status)
    if request.htmx:
        # The address bar follows the inputs, so a state can be bookmarked or reloaded.
        replace_url(response, _form_url(form, data))
    return _vary(response)


@require_POST
def save_assessment(request: HtmxHttpRequest) -> HttpResponse:
    """Store what the form answers now, then show it as a printable summary (303).

    Inputs the form would not answer store nothing and get the form's own page and status.
    """
    form, context, status = _read_form(request.POST)
    if context["state"] != "answered":
        return render(request, "decision/assess.html", context, status=status)
    release, inputs = form.release, form.inputs
    stored = store_assessment(release, inputs, answer_for(release, inputs))
    return HttpResponseRedirect(reverse("decision:assessment", args=[stored.id]), status=303)


@require_GET
def assessment(request: HtmxHttpRequest, assessment_id) -> HttpResponse:
    context = _stored_context(request, assessment_id)
    return render(request, "decision/assessment.html", context)


# A stored assessment never changes, so neither does its PDF: it is rendered once and kept for
# an hour (long enough for repeat downloads and printing, short enough to follow a deploy).
PDF_CACHE_SECONDS = 3600


@require_GET
def assessment_pdf(request: HtmxHttpRequest, assessment_id) -> HttpResponse:
    key = f"decision:pdf:{assessment_id}:{request.get_host()}"
    document = cache.get(key)
    if document is None:
        context = _stored_context(request, assessment_id)
        document = pdf.render_pdf("decision/assessment_pdf.html", context, request=request)
        cache.set(key, document, timeout=PDF_CACHE_SECONDS)
    elif not Assessment.objects.filter(pk=assessment_id).exists():
        raise Http404  # purged since: its PDF goes with it
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="nmdar-assessment-{str(assessment_id)[:8]}.pdf"'
    )
    return response


# --- Helpers ---------------------------------------------------------------------------------


def _read_form(data) -> tuple[AssessmentForm | None, dict, int]:
    """The form on `data` under the active release, with the state it puts the page in and the
    status that state answers: what `assess` and `save_assessment` both start from.

    "unavailable" 503 (no release is published, so no form: None); "empty" 200 (nothing sent);
    "awaiting" 200 (no pain type chosen yet: a prompt to choose one, not an error);
    "invalid" 400; "answered" 200 (`form.inputs` is the question).
    """
    release = active_release()
    if release is None:
        return None, {"state": "unavailable"}, 503
    form = AssessmentForm(release, data)
    if not form.is_bound:
        state = "empty"
    elif form.is_valid():
        state = "answered"
    elif form.awaits_pain_type():
        state = "awaiting"
    else:
        state = "invalid"
    context = {"form": form, "release_info": _release_info(release), "state": state}
    return form, context, 400 if state == "invalid" else 200


def _vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _has_inputs(data) -> bool:
    return any(field in data for field in INPUT_FIELDS)


def _form_url(form: AssessmentForm, data) -> str:
    if form.is_bound and form.is_valid():
        values = form.inputs.as_dict()
    else:
        values = {field: data.getlist(field) for field in INPUT_FIELDS if field in data}
    query = _query(values)
    base = reverse("decision:assess")
    return f"{base}?{query}" if query else base


def _query(values: dict) -> str:
    """A query string that reads like an API request: pain_type=…&analgesics=…&factors=…"""
    return urlencode(
        [(field, value) for field in INPUT_FIELDS for value in _as_list(values.get(field))]
    )


def _as_list(value) -> list:
    if value is None:
        return []
    return value if isinstance(value, list) else [value]


def _stored_context(request: HttpRequest, assessment_id) -> dict:
    stored = get_object_or_404(Assessment, pk=assessment_id)
    # A stored assessment reads and names everything as its own release did, not as today's does.
    release = compiled_release(stored.release_id)
    context = {
        "assessment": stored,
        "printable": True,
        "created_at": stored.created_at,
        # The printed address is the summary's page, for the PDF too: that is what to share.
        "page_url": request.build_absolute_uri(reverse("decision:assessment", args=[stored.id])),
        "form_query": _query(stored.inputs),
        "release_info": _release_info(release),
    }
    notes = stored_notes(stored)
    context.update(_result_context(notes, release.vocabulary, stored.inputs, printable=True))
    return context


def _release_info(release: CompiledRelease) -> dict:
    return {"version": release.version, "published_at": release.published_at}


# The same question under the same release renders the same notes: rendered once, the HTML and
# its counts are reused while they are among the most recent (about 150 kB each, so a process
# keeps ~20 MB).
_live_notes_memo = BoundedMemo(size=128)


def _live_notes(release: CompiledRelease, inputs: Inputs) -> tuple[str, dict]:
    """The live result's notes as HTML, and their counts (for the announcement)."""

    def render_notes() -> tuple[str, dict]:
        notes = [note.as_dict() for note in answer_for(release, inputs).notes]
        context = _result_context(notes, release.vocabulary, inputs.as_dict())
        return render_to_string("decision/_notes.html", context), context["counts"]

    return _live_notes_memo.get((release.content_hash, inputs), render_notes)


def _result_context(
    notes: list[dict], vocabulary: Vocabulary, inputs: dict, *, printable: bool = False
) -> dict:
    """The engine's notes arranged for display: one card per NMDAR antagonist, context apart.

    Cards come in the order their drug first appears among the notes, which the engine sorts
    high-severity cautions first; inside a card the cautions keep the engine's order (high
    first), then the suitability note, then combinations. On a `printable` page references are
    numbered in the order they are first cited, so print and PDF carry one numbered list.
    """
    cards: dict[str, dict] = {}
    context_notes: list[dict] = []
    for note in notes:
        if note["drug"] is None:
            context_notes.append(note)
            continue
        card = cards.setdefault(
            note["drug"],
            {
                "drug": note["drug"],
                "name": note["drug_name"],
                "suitability": None,
                "cautions": [],
                "combinations": [],
                "others": [],
            },
        )
        if note["kind"] == "suitability" and card["suitability"] is None:
            card["suitability"] = note
        elif note["kind"] == "caution":
            card["cautions"].append(note)
        elif note["kind"] == "combination":
            card["combinations"].append(note)
        else:
            card["others"].append(note)

    references: dict[str, dict] = {}

    def arranged(note: dict) -> dict:
        evidence = [_labelled(entry) for entry in note["evidence"]]
        summaries = [_labelled(summary) for summary in note["evidence_summaries"]]
        shown = {
            **_labelled(note),
            "evidence": evidence,
            "evidence_summaries": summaries,
            "certainties": list(
                dict.fromkeys(s["certainty_label"] for s in summaries if "certainty_label" in s)
            ),
        }
        if printable:
            for entry in evidence:
                if entry["key"] not in references:
                    references[entry["key"]] = {**entry, "number": len(references) + 1}
                entry["number"] = references[entry["key"]]["number"]
            # On paper a note cites "[2] [5] [9]": reference numbers in ascending order.
            shown["reference_numbers"] = sorted({entry["number"] for entry in evidence})
        return shown

    for card in cards.values():
        card["cautions"] = [arranged(note) for note in card["cautions"]]
        if card["suitability"] is not None:
            card["suitability"] = arranged(card["suitability"])
        card["combinations"] = [arranged(note) for note in card["combinations"]]
        card["others"] = [arranged(note) for note in card["others"]]
        card["high_cautions"] = sum(1 for note in card["cautions"] if note["severity"] == "high")
    context = {
        "cards": list(cards.values()),
        "context_notes": [arranged(note) for note in context_notes],
        "counts": _counts(notes),
        "input_names": _input_names(vocabulary, inputs),
    }
    if printable:
        context["references"] = list(references.values())
    return context


LABELS = {
    "level": dict(Level.choices),
    "severity": dict(Severity.choices),
    "certainty": dict(Certainty.choices),
    "direction": dict(Direction.choices),
    "study_type": dict(StudyType.choices),
}


def _labelled(record: dict) -> dict:
    """The record with a display label beside each coded value it has (`level` -> `level_label`)."""
    labels = {
        f"{field}_label": names.get(record[field], record[field])
        for field, names in LABELS.items()
        if record.get(field)
    }
    return {**record, **labels}


def _counts(notes: list[dict]) -> dict:
    """How many notes of each kind: the summary line and the screen-reader announcement."""
    cautions = [note for note in notes if note["kind"] == "caution"]
    return {
        "drugs": len({note["drug"] for note in notes if note["drug"]}),
        "high": sum(1 for note in cautions if note["severity"] == "high"),
        "other_cautions": sum(1 for note in cautions if note["severity"] != "high"),
        "combinations": sum(1 for note in notes if note["kind"] == "combination"),
    }


def _input_names(vocabulary: Vocabulary, inputs: dict) -> dict:
    """The inputs in words, as the release that answered them names them."""
    return {
        "pain_type": vocabulary.pain_types[inputs["pain_type"]].name,
        "analgesics": [vocabulary.drugs[slug].name for slug in inputs["analgesics"]],
        "factors": [vocabulary.patient_factors[slug].name for slug in inputs["factors"]],
    }
