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
from decision.assessments import answer_for, store_assessment, stored_notes
from decision.engine import CompiledRelease
from decision.forms import AssessmentForm
from decision.memo import BoundedMemo
from decision.models import Assessment, Level
from decision.releases import active_release, compiled_release
from evidence.models import Certainty, Direction, Severity, StudyType

FIELDS = ("pain_type", "analgesics", "factors")


_blank_forms = BoundedMemo(size=4)


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_http_methods(["GET", "POST"])
def assess(request: HtmxHttpRequest) -> HttpResponse:
    """The form; answered in place (htmx POST) or by a plain GET with the query string."""
    template = "decision/assess.html#result" if request.htmx else "decision/assess.html"
    release = active_release()
    if release is None:
        response = render(request, template, {"state": "unavailable"}, status=503)
        return _vary(response)
    data = request.POST if request.method == "POST" else request.GET
    form = AssessmentForm(release, data if _has_inputs(data) else None)
    context = {
        "form": form,
        "release_info": _release_info(release),
        "release_key": release.content_hash,
    }
    status = 200
    if not form.is_bound:
        context["state"] = "empty"
        if not request.htmx:
            # The blank form is the same for everyone until the next release: render it once.
            context["form_html"] = _blank_forms.get(
                release.content_hash, lambda: render_crispy_form(form)
            )
    elif form.is_valid():
        inputs = form.inputs.as_dict()
        notes = answer_for(release, form.inputs).notes
        context.update(state="answered", inputs=inputs, counts=_counts(notes))
        context["notes_html"] = _live_notes_html(release, notes, inputs)
    elif form.awaits_pain_type():
        context["state"] = "awaiting"
    else:
        context["state"] = "invalid"
        status = 400
    response = render(request, template, context, status=status)
    if request.htmx:
        # The address bar follows the inputs, so a state can be bookmarked or reloaded.
        replace_url(response, _form_url(form, data))
    return _vary(response)


@require_POST
def save_assessment(request: HtmxHttpRequest) -> HttpResponse:
    """Store what the form answers now, then show it as a printable summary (303)."""
    release = active_release()
    if release is None:
        return render(request, "decision/assess.html", {"state": "unavailable"}, status=503)
    form = AssessmentForm(release, request.POST)
    if not form.is_valid():
        context = {"form": form, "release_info": _release_info(release)}
        context["state"] = "awaiting" if form.awaits_pain_type() else "invalid"
        return render(request, "decision/assess.html", context, status=400)
    stored = store_assessment(release, form.inputs, answer_for(release, form.inputs))
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


def _vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _has_inputs(data) -> bool:
    return any(field in data for field in FIELDS)


def _form_url(form: AssessmentForm, data) -> str:
    if form.is_bound and form.is_valid():
        values = form.inputs.as_dict()
    else:
        values = {field: data.getlist(field) for field in FIELDS if field in data}
    query = _query(values)
    base = reverse("decision:assess")
    return f"{base}?{query}" if query else base


def _query(values: dict) -> str:
    """A query string that reads like an API request: pain_type=…&analgesics=…&factors=…"""
    return urlencode([(field, value) for field in FIELDS for value in _as_list(values.get(field))])


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
        "state": "answered",
        "printable": True,
        "created_at": stored.created_at,
        # The printed address is the summary's page, for the PDF too: that is what to share.
        "page_url": request.build_absolute_uri(reverse("decision:assessment", args=[stored.id])),
        "form_query": _query(stored.inputs),
        "release_info": _release_info(release),
    }
    context.update(_result_context(stored_notes(stored), _vocabulary_names(release), stored.inputs))
    return context


def _release_info(release: CompiledRelease) -> dict:
    return {"version": release.version, "published_at": release.published_at}


def _vocabulary_names(release: CompiledRelease) -> dict[str, dict[str, str]]:
    vocabulary = release.vocabulary
    return {
        section: {slug: term.name for slug, term in getattr(vocabulary, section).items()}
        for section in ("pain_types", "drugs", "patient_factors")
    }


LABELS = {
    "level": dict(Level.choices),
    "severity": dict(Severity.choices),
    "certainty": dict(Certainty.choices),
    "direction": dict(Direction.choices),
    "study_type": dict(StudyType.choices),
}


def _labelled(record: dict) -> dict:
    """The record with a display label beside each coded value (`level` -> `level_label`)."""
    labels = {
        f"{field}_label": names.get(record.get(field), record.get(field) or "")
        for field, names in LABELS.items()
    }
    return {**record, **labels}


def _counts(notes) -> dict:
    """How many notes of each kind: the summary line and the screen-reader announcement."""
    cautions = [note for note in notes if note.kind == "caution"]
    return {
        "notes": len(notes),
        "drugs": len({note.drug for note in notes if note.drug}),
        "high": sum(1 for note in cautions if note.severity == "high"),
        "other_cautions": sum(1 for note in cautions if note.severity != "high"),
        "combinations": sum(1 for note in notes if note.kind == "combination"),
        "context": sum(1 for note in notes if note.drug is None),
    }


# The same answer under the same release renders the same notes: each is rendered once and
# reused while it is among the most recent (about 150 kB each, so a process keeps ~20 MB).
_live_answers = BoundedMemo(size=128)


def _live_notes_html(release: CompiledRelease, notes, inputs: dict) -> str:
    key = (release.content_hash, tuple((note.id, note.why) for note in notes), str(inputs))

    def render_notes() -> str:
        context = _result_context(
            [note.as_dict() for note in notes], _vocabulary_names(release), inputs
        )
        context["release_key"] = release.content_hash
        return render_to_string("decision/_notes.html", context)

    return _live_answers.get(key, render_notes)


def _result_context(notes: list[dict], names: dict, inputs: dict) -> dict:
    """The engine's notes arranged for display: one card per NMDAR antagonist, context apart.

    Cards come in the order their drug first appears among the notes, which the engine sorts
    high-severity cautions first; inside a card the cautions keep the engine's order (high
    first), then the suitability note, then combinations. References are numbered in the order
    they are first cited on the page, so print and PDF can carry one numbered reference list.
    """
    cards: dict[str, dict] = {}
    context_notes: list[dict] = []
    for note in notes:
        if note.get("drug") is None:
            context_notes.append(note)
            continue
        card = cards.setdefault(
            note["drug"],
            {
                "drug": note["drug"],
                "name": note.get("drug_name") or names["drugs"].get(note["drug"], note["drug"]),
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

    def numbered(note: dict) -> dict:
        evidence = []
        for entry in note.get("evidence", []):
            reference = references.setdefault(
                entry["key"], {**_labelled(entry), "number": len(references) + 1}
            )
            evidence.append({**_labelled(entry), "number": reference["number"]})
        summaries = [_labelled(summary) for summary in note.get("evidence_summaries", [])]
        return {
            **_labelled(note),
            "evidence": evidence,
            # On paper a note cites "[2] [5] [9]": reference numbers in ascending order.
            "reference_numbers": sorted({entry["number"] for entry in evidence}),
            "evidence_summaries": summaries,
            "certainties": list(
                dict.fromkeys(s["certainty_label"] for s in summaries if s["certainty_label"])
            ),
        }

    for card in cards.values():
        card["cautions"] = [numbered(note) for note in card["cautions"]]
        if card["suitability"] is not None:
            card["suitability"] = numbered(card["suitability"])
        card["combinations"] = [numbered(note) for note in card["combinations"]]
        card["others"] = [numbered(note) for note in card["others"]]
        card["high_cautions"] = sum(1 for note in card["cautions"] if note["severity"] == "high")
    context_notes = [numbered(note) for note in context_notes]

    cautions = [note for note in notes if note["kind"] == "caution"]
    return {
        "notes": notes,
        "cards": list(cards.values()),
        "context_notes": context_notes,
        "references": list(references.values()),
        "counts": {
            "notes": len(notes),
            "drugs": len(cards),
            "high": sum(1 for note in cautions if note["severity"] == "high"),
            "other_cautions": sum(1 for note in cautions if note["severity"] != "high"),
            "combinations": sum(1 for note in notes if note["kind"] == "combination"),
            "context": len(context_notes),
        },
        "input_names": {
            "pain_type": names["pain_types"].get(inputs["pain_type"], inputs["pain_type"]),
            "analgesics": [names["drugs"].get(slug, slug) for slug in inputs["analgesics"]],
            "factors": [names["patient_factors"].get(slug, slug) for slug in inputs["factors"]],
        },
        "inputs": inputs,
    }
