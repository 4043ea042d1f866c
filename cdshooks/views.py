"""The CDS Hooks endpoints: discovery, the three services, their feedback, and the about page.

JSON only and CSRF-exempt (EHRs send no cookies; every service and feedback call is signed).
Checks run in one order, each with the specification's status: unknown service 404, wrong
method 405, untrusted caller a bare 401, not JSON 415, too large 413, malformed or incomplete
request 400, required prefetch missing 412. Errors are FHIR OperationOutcomes naming the field;
no client input gets a 500. Views are glue: `answers.respond` does the work.
"""

from __future__ import annotations

import json
import logging
import uuid

from django.conf import settings
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET

from cdshooks import answers, fhir
from cdshooks.coding import coding_for
from cdshooks.models import CardFeedback, IssuedCard, Outcome
from cdshooks.services import REQUIRED_PREFETCH, SERVICES, Service
from cdshooks.tokens import Refused, authenticate
from decision.releases import active_release

logger = logging.getLogger(__name__)


class Problem(Exception):
    """Stop the request with `status` and an OperationOutcome of `issues`."""

    def __init__(self, status: int, *issues: tuple[str, str, str | None], headers=None):
        super().__init__(status)
        self.status = status
        self.issues = issues  # (FHIR issue type, text, expression)
        self.headers = headers or {}


def _outcome(problem: Problem) -> JsonResponse:
    issues = []
    for code, text, expression in problem.issues:
        issue = {"severity": "error", "code": code, "details": {"text": text}}
        if expression:
            issue["expression"] = [expression]
        issues.append(issue)
    response = JsonResponse(
        {"resourceType": "OperationOutcome", "issue": issues}, status=problem.status
    )
    for name, value in problem.headers.items():
        response[name] = value
    return response


def _answering(view):
    """Answer every `Problem` as its OperationOutcome, and a refused caller with a bare 401."""

    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        try:
            return view(request, *args, **kwargs)
        except Problem as problem:
            return _outcome(problem)
        except Refused as refused:
            # Which check failed is never told to the caller, nor is the token logged.
            logger.info("CDS Hooks call refused: %s", refused.reason)
            response = HttpResponse(status=401)
            response["WWW-Authenticate"] = "Bearer"
            return response

    wrapper.__name__ = view.__name__
    wrapper.__doc__ = view.__doc__
    return csrf_exempt(wrapper)


def _method(request: HttpRequest, allowed: str) -> None:
    if request.method != allowed:
        raise Problem(
            405,
            ("not-supported", f"{request.method} is not allowed here; use {allowed}.", None),
            headers={"Allow": allowed},
        )


def _service(service_id: str) -> Service:
    service = SERVICES.get(service_id)
    if service is None:
        known = ", ".join(SERVICES)
        raise Problem(
            404, ("not-found", f"No CDS service '{service_id[:80]}'. Known: {known}.", None)
        )
    return service


def _base_url(request: HttpRequest) -> str:
    return settings.CDS_HOOKS_BASE_URL or request.build_absolute_uri("/").rstrip("/")


def _service_url(request: HttpRequest, service: Service) -> str:
    return _base_url(request) + reverse("cdshooks:service", args=[service.id])


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _json_body(request: HttpRequest):
    """The body as JSON: 415 for another type, 413 past the limit, 400 when malformed."""
    if request.content_type != "application/json" or (
        request.content_params.get("charset", "utf-8").strip().lower() not in {"utf-8", "utf8"}
    ):
        raise Problem(
            415, ("not-supported", "Send the body as JSON (Content-Type: application/json).", None)
        )
    limit = settings.CDS_HOOKS_MAX_BODY_BYTES
    too_large = Problem(413, ("too-long", f"The body is larger than {limit} bytes.", None))
    declared = request.META.get("CONTENT_LENGTH") or "0"
    if not (declared.isascii() and declared.isdigit()):
        raise Problem(400, ("invalid", "The Content-Length header is not a number.", None))
    if int(declared) > limit:
        raise too_large
    # Read past Django's small DATA_UPLOAD_MAX_MEMORY_SIZE (the API's limit), to this one.
    body = request.read(limit + 1)
    if len(body) > limit:
        raise too_large
    try:
        return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
    except UnicodeDecodeError:
        raise Problem(400, ("invalid", "The body is not UTF-8 encoded.", None)) from None
    except json.JSONDecodeError as error:
        text = f"Malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        raise Problem(400, ("invalid", text, None)) from None
    except (RecursionError, ValueError):
        raise Problem(
            400, ("invalid", "Malformed JSON: nested too deeply, or NaN.", None)
        ) from None


def _authenticate(request: HttpRequest, audiences: tuple[str, ...]) -> None:
    authenticate(request.META.get("HTTP_AUTHORIZATION", ""), audiences)


def _release():
    release = active_release()
    if release is None:
        raise Problem(503, ("transient", "No evidence release is published yet.", None))
    return release


# --- Discovery ------------------------------------------------------------------------------


@_answering
def discovery(request: HttpRequest) -> HttpResponse:
    """The services, open to anyone (they describe, they tell nothing about a patient)."""
    _method(request, "GET")
    release = active_release()
    coding = coding_for(release) if release is not None else None
    return JsonResponse({"services": [s.discovery(coding) for s in SERVICES.values()]})


# --- A service call -------------------------------------------------------------------------


def _text_field(problems: list, value, expression: str) -> None:
    if not isinstance(value, str) or not value.strip():
        problems.append(("required", f"{expression} is required (a non-empty string).", expression))


def _check_request(service: Service, body) -> None:
    """400 naming every missing or malformed field the service needs; 412 for a required
    prefetch key that is absent or holds an OperationOutcome. Unknown fields are ignored."""
    if not isinstance(body, dict):
        raise Problem(400, ("invalid", "The body must be a JSON object.", None))
    problems: list = []
    hook = body.get("hook")
    _text_field(problems, hook, "hook")
    if isinstance(hook, str) and hook.strip() and hook != service.hook:
        problems.append(
            ("invalid", f"This service answers {service.hook}, not {hook[:40]}.", "hook")
        )
    _text_field(problems, body.get("hookInstance"), "hookInstance")
    context = body.get("context")
    if not isinstance(context, dict):
        problems.append(("required", "context is required (a JSON object).", "context"))
        context = {}
    _text_field(problems, context.get("patientId"), "context.patientId")
    if "draftOrders" in service.context:
        orders = context.get("draftOrders")
        if not isinstance(orders, dict):
            problems.append(
                (
                    "required",
                    "context.draftOrders is required (a FHIR Bundle).",
                    "context.draftOrders",
                )
            )
    if "selections" in service.context:
        selections = context.get("selections")
        if (
            not isinstance(selections, list)
            or not selections
            or not all(isinstance(item, str) for item in selections)
        ):
            problems.append(
                (
                    "required",
                    "context.selections is required (a list of references such as "
                    "MedicationRequest/123).",
                    "context.selections",
                )
            )
    prefetch = body.get("prefetch")
    if prefetch is not None and not isinstance(prefetch, dict):
        problems.append(("invalid", "prefetch must be a JSON object.", "prefetch"))
        prefetch = None
    for key, value in (prefetch or {}).items():
        if value is not None and not isinstance(value, dict | list):
            problems.append(
                (
                    "invalid",
                    f"prefetch.{key[:40]} must be a FHIR resource, or null.",
                    f"prefetch.{key[:40]}",
                )
            )
    if problems:
        raise Problem(400, *problems)
    missing = [
        (
            "processing",
            f"Required prefetch '{key}' was not provided: send it (null for no data).",
            f"prefetch.{key}",
        )
        for key in REQUIRED_PREFETCH
        if key not in (prefetch or {})
    ]
    failed = [
        (
            "processing",
            f"The prefetch '{key}' is an OperationOutcome: the data could not be fetched.",
            f"prefetch.{key}",
        )
        for key in REQUIRED_PREFETCH
        if key in (prefetch or {}) and fhir.is_failure(prefetch[key])
    ]
    if missing or failed:
        raise Problem(412, *missing, *failed)


@_answering
def service(request: HttpRequest, service_id: str) -> HttpResponse:
    """Cards for one hook call (see docs/cds-hooks.md)."""
    found = _service(service_id)
    _method(request, "POST")
    _authenticate(request, (_service_url(request, found),))
    body = _json_body(request)
    release = _release()
    _check_request(found, body)
    return JsonResponse(answers.respond(found, body, release, _base_url(request)))


# --- Feedback -------------------------------------------------------------------------------


def _feedback_items(body) -> list[dict]:
    """The feedback items, checked whole: 400 naming each bad field, nothing stored."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise Problem(400, ("required", 'Send {"feedback": [...]}.', "feedback"))
    problems, items = [], []
    for position, item in enumerate(body["feedback"]):
        where = f"feedback[{position}]"
        if not isinstance(item, dict):
            problems.append(("invalid", f"{where} must be a JSON object.", where))
            continue
        card, outcome = item.get("card"), item.get("outcome")
        if not isinstance(card, str) or not card.strip():
            problems.append(
                ("required", f"{where}.card is required (the card's uuid).", f"{where}.card")
            )
        if outcome not in Outcome.values:
            problems.append(
                ("invalid", f"{where}.outcome must be accepted or overridden.", f"{where}.outcome")
            )
        moment = (
            parse_datetime(item["outcomeTimestamp"])
            if isinstance(item.get("outcomeTimestamp"), str)
            else None
        )
        if moment is None:
            problems.append(
                (
                    "invalid",
                    f"{where}.outcomeTimestamp is required (RFC 3339 date and time, UTC).",
                    f"{where}.outcomeTimestamp",
                )
            )
        elif timezone.is_naive(moment):
            moment = timezone.make_aware(moment, timezone.UTC)
        reason = item.get("overrideReason")
        coding = reason.get("reason") if isinstance(reason, dict) else None
        if reason is not None and not isinstance(reason, dict):
            problems.append(
                ("invalid", f"{where}.overrideReason must be an object.", f"{where}.overrideReason")
            )
        if coding is not None and not (
            isinstance(coding, dict)
            and isinstance(coding.get("code"), str)
            and isinstance(coding.get("system", ""), str)
        ):
            problems.append(
                (
                    "invalid",
                    f"{where}.overrideReason.reason must be a Coding.",
                    f"{where}.overrideReason.reason",
                )
            )
            coding = None
        items.append(
            {
                "card": card.strip() if isinstance(card, str) else "",
                "outcome": outcome,
                "outcome_at": moment,
                # The reason's code only: its userComment is free text and may describe the
                # patient, so it is never read.
                "reason_system": (coding or {}).get("system", "")[:200],
                "reason_code": (coding or {}).get("code", "")[:64],
            }
        )
    if problems:
        raise Problem(400, *problems)
    return items


def _card_uuid(text: str) -> uuid.UUID | None:
    try:
        return uuid.UUID(text)
    except ValueError:
        return None


@_answering
def feedback(request: HttpRequest, service_id: str) -> HttpResponse:
    """Store what clinicians did with this service's cards: 200 {} (duplicates dropped,
    unknown cards counted and not stored)."""
    found = _service(service_id)
    _method(request, "POST")
    service_url = _service_url(request, found)
    # The issue's contract is the service URL; the specification's reading ("the endpoint
    # being invoked") is the feedback URL itself. Both name this service exactly.
    _authenticate(request, (service_url, f"{service_url}/feedback"))
    items = _feedback_items(_json_body(request))
    uuids = {item["card"]: _card_uuid(item["card"]) for item in items}
    issued = {
        card.uuid: card
        for card in IssuedCard.objects.filter(
            uuid__in=[u for u in uuids.values() if u is not None], service=found.id
        )
    }
    rows, seen, unknown = [], set(), 0
    for item in items:
        card = issued.get(uuids[item["card"]])
        if card is None:
            unknown += 1
            continue
        key = (
            card.uuid,
            item["outcome"],
            item["outcome_at"],
            item["reason_system"],
            item["reason_code"],
        )
        if key in seen:
            continue
        seen.add(key)
        rows.append(
            CardFeedback(
                card_uuid=card.uuid,
                service=found.id,
                drug=card.drug,
                pain_types=card.pain_types,
                note_ids=card.note_ids,
                outcome=item["outcome"],
                outcome_at=item["outcome_at"],
                reason_system=item["reason_system"],
                reason_code=item["reason_code"],
            )
        )
    # A report already stored (the client resending) is dropped by the unique constraint.
    CardFeedback.objects.bulk_create(rows, ignore_conflicts=True)
    logger.info(
        "CDS Hooks feedback for %s: %d item(s), %d for unknown cards (not stored)",
        found.id,
        len(items),
        unknown,
    )
    return JsonResponse({})


# --- About -------------------------------------------------------------------------------


@require_GET
def about(request: HttpRequest) -> HttpResponse:
    """What the cards are, for a clinician who follows a card's source link."""
    release = active_release()
    return render(
        request,
        "cdshooks/about.html",
        {
            "release": release,
            "services": SERVICES.values(),
            "discovery_url": _base_url(request) + reverse("cdshooks:discovery"),
        },
    )
