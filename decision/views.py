"""The clinician's pages: the form with live results, the stored summary and its PDF.

Views are glue: read the request, validate the form, ask `decision.assessments` for the notes
and `decision.presentation` to arrange them, render.
"""

from __future__ import annotations

import hashlib
from urllib.parse import urlencode

from crispy_forms.utils import render_crispy_form
from django.core.cache import cache
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.cache import get_conditional_response, patch_cache_control, patch_vary_headers
from django.utils.http import http_date
from django.utils.safestring import mark_safe
from django.utils.text import slugify
from django.views.decorators.http import require_GET, require_http_methods, require_POST
from django_htmx.http import replace_url
from django_htmx.middleware import HtmxDetails

from decision import pdf
from decision.api import IDENTIFIERS_REFUSED, MAX_NAMED_UNKNOWN_FIELDS, _looks_like_identifier
from decision.assessments import INPUT_FIELDS, answer, shorten, store_assessment, stored_notes
from decision.deploy import deploy_key
from decision.engine import CompiledRelease, Inputs
from decision.forms import AssessmentForm
from decision.models import Assessment
from decision.presentation import summarise
from decision.releases import active_release, compiled_release

# What the clinician pages read (issue 11, item 8): the form's fields, and on a POST Django's
# CSRF field. Anything else is refused with a 400 naming it, before it could be stored; its
# value is never read, echoed or logged.
FORM_FIELDS = frozenset(INPUT_FIELDS)
POSTED_FIELDS = FORM_FIELDS | {"csrfmiddlewaretoken"}
UNKNOWN_FORM_FIELD = (
    "Unknown field, not read: the form's fields are pain_type, analgesics and factors."
)
UNKNOWN_QUERY_PARAMETER = "Unknown query parameter, not read: this address takes none."

# A stored assessment never changes, so neither does its page or its PDF, except by a deploy
# (decision/deploy.py): each is rendered once per deploy and origin, and kept for an hour (long
# enough for repeat views, printing and downloads; the shared cache holds only recent ones).
PAGE_CACHE_SECONDS = 3600
PDF_CACHE_SECONDS = 3600
# HTML that is the same for every visitor of one deploy and release, rendered once and kept: the
# blank form's fields (about 10 of GET /'s 13 ms) and each question's notes (about 21 of a live
# update's 23 ms). A filled-in form is rendered each time (it shows one visitor's ticks).
KEPT_HTML_SECONDS = 24 * 3600
# How long a browser may show its copy of a stored page without asking. `private`: the page is
# about one patient, so only the clinician's browser keeps it, never a shared proxy or CDN (the
# address alone gives access). Five minutes, then `must-revalidate`: asked again with the ETag
# (a 304 costs one query) before a stale copy is shown, so a purged assessment or a deploy's new
# rendering reaches an open tab within five minutes. `no-transform`: no proxy may rewrite it.
BROWSER_CACHE_SECONDS = 300


class HtmxHttpRequest(HttpRequest):
    htmx: HtmxDetails


@require_http_methods(["GET", "POST"])
def assess(request: HtmxHttpRequest) -> HttpResponse:
    """The form; answered in place (htmx POST) or by a plain GET with the query string."""
    template = "decision/assess.html#result" if request.htmx else "decision/assess.html"
    data = request.POST if request.method == "POST" else request.GET
    refused = _refused_fields(request)
    form, context, status = _read_form(data if refused or _has_inputs(data) else None, refused)
    if form is None:
        return _vary(render(request, template, context, status=status))
    if context["state"] == "answered":
        context.update(inputs=form.inputs, **_kept_answer(form.release, form.inputs))
    elif context["state"] == "empty" and not request.htmx:
        context["form_html"] = _blank_form_html(form)
    response = render(request, template, context, status=status)
    if request.htmx and (url := _form_url(form, context["state"])):
        # The address bar follows the inputs, so a state can be bookmarked or reloaded.
        replace_url(response, url)
    return _vary(response)


@require_POST
def save_assessment(request: HtmxHttpRequest) -> HttpResponse:
    """Store what the form answers now, then show it as a printable summary (303).

    Inputs the form would not answer, or any field it does not take, store nothing and get the
    form's own page and status.
    """
    form, context, status = _read_form(request.POST, _refused_fields(request))
    if context["state"] != "answered":
        return render(request, "decision/assess.html", context, status=status)
    release, inputs = form.release, form.inputs
    stored = store_assessment(release, inputs, answer(release, inputs))
    return HttpResponseRedirect(reverse("decision:assessment", args=[stored.id]), status=303)


@require_GET
def assessment(request: HtmxHttpRequest, assessment_id) -> HttpResponse:
    """The stored summary: rendered once, then served from the cache and revalidated by ETag.

    Every request asks the database whether the assessment still exists (one small query), so
    a purged one is a 404 at once, whatever is cached here or in the browser.
    """
    if refused := _refuse_query_parameters(request):
        return refused
    created_at = (
        Assessment.objects.filter(pk=assessment_id).values_list("created_at", flat=True).first()
    )
    if created_at is None:
        raise Http404
    digest = _rendering_digest(request, assessment_id)
    etag = f'"{digest}"'
    last_modified = int(created_at.timestamp())
    unchanged = get_conditional_response(request, etag=etag, last_modified=last_modified)
    if unchanged is not None:  # 304 (or 412 for a failed If-Match), without rendering
        return _cacheable(unchanged, etag, last_modified)
    key = f"decision:page:{assessment_id}:{digest}"
    html = cache.get(key)
    if html is None:
        context = _stored_context(request, assessment_id)
        # Shared by everyone who opens this address: the page must carry nothing of this
        # request's own. The CSRF token is the one thing it would (base.html puts it on <body>
        # for htmx, and the stored page sends nothing back); `cacheable` tells the template to
        # leave it out, and an empty `csrf_token` keeps it out whatever the template does.
        context.update(cacheable=True, csrf_token="")
        html = render_to_string("decision/assessment.html", context, request=request).encode()
        cache.set(key, html, timeout=PAGE_CACHE_SECONDS)
    return _cacheable(HttpResponse(html), etag, last_modified)


@require_GET
def assessment_pdf(request: HtmxHttpRequest, assessment_id) -> HttpResponse:
    if refused := _refuse_query_parameters(request):
        return refused
    key = f"decision:pdf:{assessment_id}:{_rendering_digest(request, assessment_id)}"
    cached = cache.get(key)
    if cached is None:
        context = _stored_context(request, assessment_id)
        document = pdf.render_pdf("decision/assessment_pdf.html", context, request=request)
        filename = _pdf_filename(context["assessment"])
        cache.set(key, (filename, document), timeout=PDF_CACHE_SECONDS)
    elif not Assessment.objects.filter(pk=assessment_id).exists():
        raise Http404  # purged since: its PDF goes with it
    else:
        filename, document = cached
    response = HttpResponse(document, content_type="application/pdf")
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    patch_cache_control(response, private=True, max_age=BROWSER_CACHE_SECONDS, no_transform=True)
    return response


# --- Helpers ---------------------------------------------------------------------------------


def _read_form(data, refused: list[str] = ()) -> tuple[AssessmentForm | None, dict, int]:
    """The form on `data` under the active release, with the state it puts the page in and the
    status that state answers: what `assess` and `save_assessment` both start from.

    "unavailable" 503 (no release is published, so no form: None); "empty" 200 (nothing sent);
    "awaiting" 200 (no pain type chosen yet: a prompt to choose one, not an error);
    "invalid" 400 (inputs the release does not know, or `refused` fields);
    "answered" 200 (`form.inputs` is the question).
    """
    release = active_release()
    if release is None:
        return None, {"state": "unavailable"}, 503
    form = AssessmentForm(release, data)
    if refused:
        if form.awaits_pain_type():
            # The refusal is the news; "choose a pain type" beside it would only distract.
            del form.errors["pain_type"]
        for message in refused:
            form.add_error(None, message)
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


def _blank_form_html(form: AssessmentForm) -> str:
    """The unbound form's fields as HTML, kept per deploy and release. Rendered without the
    request, so no CSRF token or anything else of one visitor can be in it (the form is sent
    by GET and needs none)."""
    key = f"decision:blank-form:{deploy_key()}:{form.release.content_hash}"
    return _kept_html(key, lambda: str(render_crispy_form(form)))


def _kept_answer(release: CompiledRelease, inputs: Inputs) -> dict:
    """The answer's notes (decision/_notes.html) as HTML, and the counts the live region
    announces, kept per deploy, release and question.

    Evaluating, arranging and rendering the notes is most of a live update's time, and the same
    question (a common case, or a clinician ticking and unticking) gets the same answer from the
    same release. The fragment holds nothing of one visitor (the save form and its CSRF token
    are outside it, in assess.html), so one rendering serves everyone. Entries are bounded by
    the cache (LRU in Redis or the local-memory cache).
    """
    question = _query(inputs.as_dict())  # the validated slugs, in their canonical order
    digest = hashlib.sha256(question.encode()).hexdigest()[:32]
    key = f"decision:answer:{deploy_key()}:{release.content_hash}:{digest}"

    def render() -> dict:
        summary = summarise(answer(release, inputs), release.vocabulary, inputs.as_dict())
        notes_html = render_to_string("decision/_notes.html", {"summary": summary})
        return {"counts": summary.counts, "notes_html": notes_html}

    kept = cache.get_or_set(key, render, timeout=KEPT_HTML_SECONDS)
    # HTML our own template rendered, escaped as it rendered it.
    return {"counts": kept["counts"], "notes_html": mark_safe(kept["notes_html"])}  # noqa: S308


def _kept_html(key: str, render_html) -> str:
    """HTML our own templates rendered (escaped as they rendered it), kept in the cache."""
    html = cache.get_or_set(key, render_html, timeout=KEPT_HTML_SECONDS)
    return mark_safe(html)  # noqa: S308


def _refused_fields(request: HttpRequest) -> list[str]:
    """One message per name the form does not take, the name shortened and its value unread.

    A GET carries the form's fields in its query string; a POST in its body (with the CSRF
    token), and nothing in its query string.
    """
    if request.method == "POST":
        unknown = [(name, UNKNOWN_QUERY_PARAMETER) for name in request.GET]
        body, allowed = request.POST, POSTED_FIELDS
    else:
        unknown, body, allowed = [], request.GET, FORM_FIELDS
    unknown += [(name, UNKNOWN_FORM_FIELD) for name in body if name not in allowed]
    messages = [
        f"{_shown(name)}: {IDENTIFIERS_REFUSED if _looks_like_identifier(name) else message}"
        for name, message in unknown[:MAX_NAMED_UNKNOWN_FIELDS]
    ]
    if len(unknown) > MAX_NAMED_UNKNOWN_FIELDS:
        more = len(unknown) - MAX_NAMED_UNKNOWN_FIELDS
        messages.append(f"{more} more unknown fields are not named here; none was read.")
    return messages


def _refuse_query_parameters(request: HttpRequest) -> HttpResponse | None:
    """The stored page and its PDF take no query parameter: any one is a plain 400 page."""
    names = list(request.GET)
    if not names:
        return None
    shown = ", ".join(_shown(name) for name in names[:MAX_NAMED_UNKNOWN_FIELDS])
    more = len(names) - MAX_NAMED_UNKNOWN_FIELDS
    message = f"This address takes no query parameters, and none was read: {shown}"
    message += f" and {more} more." if more > 0 else "."
    if any(_looks_like_identifier(name) for name in names):
        message += f" {IDENTIFIERS_REFUSED}"
    # Rendered here rather than raised: Django logs the message of a raised BadRequest, and a
    # name put in an address may itself identify someone.
    return render(request, "400.html", {"message": message}, status=400)


def _shown(name: str) -> str:
    return shorten(name) if name else "(a field without a name)"


def _vary(response: HttpResponse) -> HttpResponse:
    # The same URL answers with a page or a fragment: caches must tell them apart.
    patch_vary_headers(response, ("HX-Request",))
    return response


def _has_inputs(data) -> bool:
    return any(field in data for field in INPUT_FIELDS)


def _form_url(form: AssessmentForm, state: str) -> str | None:
    """The form's address for this state, built only from validated inputs; None (the address
    bar stays) when the inputs are not valid: a header never echoes what was sent."""
    if state == "answered":
        values = form.inputs.as_dict()
    elif state == "awaiting":
        # Only the pain type is missing, so the lists passed their choices: known slugs, here
        # without duplicates, so the address is bounded by the vocabulary. The empty pain type
        # stays, as the form itself sends it without JavaScript.
        lists = {field: sorted(set(form.cleaned_data.get(field, []))) for field in FORM_FIELDS}
        values = {**lists, "pain_type": ""}
    elif state == "empty":
        values = {}
    else:
        return None
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


def _rendering_digest(request: HttpRequest, assessment_id) -> str:
    """What a stored assessment's rendering depends on besides the assessment: the deploy, and
    the origin its printed address starts with (scheme and host, validated by ALLOWED_HOSTS)."""
    origin = f"{request.scheme}://{request.get_host()}"
    material = f"{assessment_id}|{deploy_key()}|{origin}"
    return hashlib.sha256(material.encode()).hexdigest()[:32]


def _cacheable(response: HttpResponse, etag: str, last_modified: int) -> HttpResponse:
    response["ETag"] = etag
    response["Last-Modified"] = http_date(last_modified)
    patch_cache_control(
        response,
        private=True,
        max_age=BROWSER_CACHE_SECONDS,
        must_revalidate=True,
        no_transform=True,
    )
    # As the 200 would say once compressed (RFC 9110 §15.4.5: a 304 repeats Vary).
    patch_vary_headers(response, ("Accept-Encoding",))
    return response


def _pdf_filename(stored: Assessment) -> str:
    """nmdar-notes-<saved date>-<pain type>.pdf: what a clinician files it by, nothing that
    identifies the patient (the inputs are vocabulary slugs)."""
    saved = timezone.localtime(stored.created_at).date().isoformat()
    pain_type = slugify(str(stored.inputs.get("pain_type", "")).replace("_", "-"))[:60]
    return f"nmdar-notes-{saved}-{pain_type}.pdf" if pain_type else f"nmdar-notes-{saved}.pdf"


def _stored_context(request: HttpRequest, assessment_id) -> dict:
    stored = get_object_or_404(Assessment, pk=assessment_id)
    # A stored assessment reads and names everything as its own release did, not as today's does.
    release = compiled_release(stored.release_id)
    return {
        "assessment": stored,
        "printable": True,
        "created_at": stored.created_at,
        # The printed address is the summary's page, for the PDF too: that is what to share.
        "page_url": request.build_absolute_uri(reverse("decision:assessment", args=[stored.id])),
        "form_query": _query(stored.inputs),
        "release_info": _release_info(release),
        "summary": summarise(stored_notes(stored), release.vocabulary, stored.inputs),
    }


def _release_info(release: CompiledRelease) -> dict:
    return {"version": release.version, "published_at": release.published_at}
