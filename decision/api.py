"""The JSON API of API.md: create and read assessments, and read the live vocabulary.

Views are glue, as elsewhere: check the request, validate the inputs with `parse_inputs` (the
same function the form uses), answer and store through `decision.assessments`. The body is read
and parsed here rather than by a ninja schema parameter, for two reasons: the contract wants
`400 {"errors": {field: [...]}}` where ninja's own validation answers 422, and the body's size
must be checked before it is read. The request schema is still declared for OpenAPI.

Every error is JSON in the same envelope, `{"errors": {"<field>": ["message", ...]}}`, including
the 404s and 405s that ninja and Django would otherwise answer in plain text or HTML.
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from typing import Literal

from django.core.exceptions import RequestDataTooBig
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path, reverse
from django.views.decorators.http import require_GET
from ninja import NinjaAPI, P, PathEx, Schema
from pydantic import ConfigDict, Field

from decision.assessments import (
    INPUT_FIELDS,
    MAX_LIST_ITEMS,
    InvalidInputs,
    answer_for,
    document_json,
    knowledge_base_info,
    parse_inputs,
    store_assessment,
)
from decision.disclaimer import DISCLAIMER
from decision.engine import LEVELS, SEVERITIES, CompiledRelease
from decision.models import Assessment, NoteKind
from decision.releases import active_release

MAX_BODY_BYTES = 64 * 1024
# A body with thousands of unknown keys gets the first few named, not a reply larger than itself.
MAX_NAMED_UNKNOWN_FIELDS = 20

IDENTIFIERS_REFUSED = (
    "Patient identifiers are not accepted: send no name, record number, date of birth or other "
    "identifier. An assessment is anonymous."
)
UNKNOWN_FIELD = "Unknown field; the fields are pain_type, analgesics and factors."

# Field names that look like patient identifiers get a message saying why they are refused
# (every unknown field is refused anyway). Compared after lower-casing and dropping separators,
# so "patientName", "date-of-birth" and "NHS Number" are all caught.
_IDENTIFIER_FRAGMENTS = (
    "name",
    "mrn",
    "record",
    "dob",
    "birth",
    "nhs",
    "ssn",
    "socialsecurity",
    "address",
    "postcode",
    "zipcode",
    "phone",
    "email",
    "identifier",
    "patientid",
    "hospitalnumber",
    "chinumber",
    "insurance",
    "medicare",
    "medicaid",
    "passport",
)
_IDENTIFIER_WORDS = {"id", "uhid", "chi", "sex", "gender", "age"}


class ApiError(Exception):
    """Stop the request and answer `status` with `{"errors": errors}`."""

    def __init__(self, status: int, errors: dict[str, list[str]], headers=None):
        super().__init__(status, errors)
        self.status = status
        self.errors = errors
        self.headers = headers or {}


# --- Schemas: they document the API in OpenAPI; the views build plain dicts ------------------


class AssessmentIn(Schema):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "pain_type": "painful_diabetic_neuropathy",
                    "analgesics": ["duloxetine", "pregabalin"],
                    "factors": ["renal_impairment_severe"],
                }
            ]
        },
    )

    pain_type: str = Field(description="One pain-type slug (see GET /api/v1/vocabulary).")
    analgesics: list[str] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Drug slugs of the current analgesics; duplicates are ignored.",
    )
    factors: list[str] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Patient-factor slugs; duplicates are ignored.",
    )


class KnowledgeBaseOut(Schema):
    release: str = Field(description="The knowledge-base release that answered.")
    published_at: str = Field(description="When that release was published (ISO 8601, UTC).")


class EvidenceOut(Schema):
    key: str
    citation: str
    pmid: str | None = None
    doi: str | None = None
    study_type: str | None = None
    certainty: str | None = None


class NoteOut(Schema):
    id: str
    kind: Literal[tuple(NoteKind.values)]
    drug: str | None = Field(description="The NMDAR antagonist the note is about, if one.")
    drug_name: str | None
    level: Literal[LEVELS] | None = Field(description="Suitability and combination notes.")
    severity: Literal[SEVERITIES] | None = Field(description="Caution notes.")
    title: str
    text: str
    why: list[str] = Field(description="The inputs that made the note appear, in plain words.")
    evidence: list[EvidenceOut]


class InputsOut(Schema):
    pain_type: str
    analgesics: list[str]
    factors: list[str]


class AssessmentOut(Schema):
    id: uuid.UUID
    url: str = Field(description="The assessment's printable page.")
    pdf_url: str
    created_at: datetime.datetime
    knowledge_base: KnowledgeBaseOut
    disclaimer: str
    inputs: InputsOut = Field(description="The inputs as understood: duplicates removed.")
    notes: list[NoteOut] = Field(
        description="High-severity cautions first, then suitability by level, then the rest."
    )


class ErrorsOut(Schema):
    errors: dict[str, list[str]] = Field(description="Each bad field (or `body`) and its messages.")


class TermOut(Schema):
    slug: str
    name: str
    description: str


class DrugOut(TermOut):
    classes: list[str]
    properties: list[str]


class VocabularyOut(Schema):
    knowledge_base: KnowledgeBaseOut
    pain_types: list[TermOut]
    nmdar_antagonists: list[DrugOut]
    drugs: list[DrugOut]
    drug_classes: list[TermOut]
    drug_properties: list[TermOut]
    patient_factors: list[TermOut]


# --- The API object, with JSON for the errors ninja and Django answer outside the views -------


def _error_response(status: int, errors: dict[str, list[str]], headers=None) -> HttpResponse:
    # ensure_ascii (json's default) keeps a lone surrogate sent by a client encodable.
    response = HttpResponse(
        json.dumps({"errors": errors}), status=status, content_type="application/json"
    )
    for name, value in (headers or {}).items():
        response[name] = value
    return response


def _not_found(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    return _error_response(404, {"path": [f"No API endpoint at {request.path}."]})


_not_found.csrf_exempt = True


def _json_errors(view):
    """Turn the plain-text 405 of ninja (and Django's `require_GET`) into JSON."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        response = view(request, *args, **kwargs)
        if response.status_code == 405 and not response.get("Content-Type", "").startswith(
            "application/json"
        ):
            allowed = sorted(m.strip() for m in response.get("Allow", "").split(",") if m.strip())
            message = f"{request.method} is not allowed here; use {' or '.join(allowed)}."
            return _error_response(405, {"method": [message]}, {"Allow": ", ".join(allowed)})
        return response

    # The API serves other systems, which send no cookies: there is no session to forge.
    wrapper.csrf_exempt = True
    return wrapper


class JsonErrorsAPI(NinjaAPI):
    @property
    def urls(self):
        patterns, app_name, namespace = super().urls
        # Ninja's root pattern "" stays for `reverse`, but its view only raises Http404 (for
        # Django's HTML page): the root answers the JSON 404 itself.
        wrapped = [
            URLPattern(
                p.pattern,
                _not_found if p.name == "api-root" else _json_errors(p.callback),
                p.default_args,
                p.name,
            )
            for p in patterns
        ]
        # After ninja's own patterns: anything else under the API is a JSON 404 as well.
        wrapped.append(re_path(r"^[\s\S]+$", _not_found, name="not-found"))
        return wrapped, app_name, namespace


api = JsonErrorsAPI(
    title="NMDAR antagonists in neuropathic pain: decision-support API",
    version="1",
    description=(
        "Evidence notes on NMDA-receptor antagonists for one anonymous patient description. "
        + DISCLAIMER
    ),
    urls_namespace="api",
    # Ninja's interactive docs page loads its assets from a CDN, which our CSP forbids.
    docs_url=None,
    docs_decorator=require_GET,
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return _error_response(error.status, error.errors, error.headers)


# --- Reading the request ------------------------------------------------------------------


def _declared_length(request: HttpRequest) -> int:
    raw = request.META.get("CONTENT_LENGTH") or "0"
    # Django would raise ValueError reading the body of a request with a garbled length.
    if not raw.isascii() or not raw.isdigit():
        raise ApiError(400, {"content_length": ["The Content-Length header is not a number."]})
    return int(raw)


def _is_json(request: HttpRequest) -> bool:
    if request.content_type != "application/json":
        return False
    charset = request.content_params.get("charset")
    # JSON exchanged between systems is UTF-8 (RFC 8259); a body in another charset is refused
    # rather than guessed at.
    return charset is None or charset.strip().lower() in {"utf-8", "utf8"}


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


def _json_object(request: HttpRequest) -> dict:
    """The body as a JSON object, or an `ApiError` (413, 415, 400) saying what is wrong."""
    too_large = ApiError(413, {"body": [f"The body is larger than {MAX_BODY_BYTES} bytes."]})
    # Checked before reading: a client announcing a huge body is refused without reading it.
    if _declared_length(request) > MAX_BODY_BYTES:
        raise too_large
    if not _is_json(request):
        raise ApiError(
            415,
            {"content_type": ["Send the body as JSON, with Content-Type: application/json."]},
        )
    try:
        body = request.body
    except RequestDataTooBig:
        raise too_large from None
    if len(body) > MAX_BODY_BYTES:
        raise too_large
    try:
        text = body.decode("utf-8")
    except UnicodeDecodeError:
        raise ApiError(400, {"body": ["The body is not UTF-8 encoded."]}) from None
    try:
        data = json.loads(text, parse_constant=_refuse_constant)
    except json.JSONDecodeError as error:
        message = f"Malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})."
        raise ApiError(400, {"body": [message]}) from None
    except RecursionError:
        raise ApiError(400, {"body": ["Malformed JSON: nested too deeply."]}) from None
    except ValueError:
        # NaN and Infinity, or a number with thousands of digits.
        raise ApiError(
            400, {"body": ["Malformed JSON: NaN, Infinity or an overlong number."]}
        ) from None
    if not isinstance(data, dict):
        raise ApiError(400, {"body": ["The body must be a JSON object with a pain_type."]})
    return data


def _looks_like_identifier(field: str) -> bool:
    words = {word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", field)}
    squashed = re.sub(r"[^a-z0-9]", "", field.lower())
    return bool(words & _IDENTIFIER_WORDS) or any(
        fragment in squashed for fragment in _IDENTIFIER_FRAGMENTS
    )


def _unknown_fields(data: dict) -> dict[str, list[str]]:
    errors: dict[str, list[str]] = {}
    unknown = [field for field in data if field not in INPUT_FIELDS]
    for field in unknown[:MAX_NAMED_UNKNOWN_FIELDS]:
        errors[field] = [IDENTIFIERS_REFUSED if _looks_like_identifier(field) else UNKNOWN_FIELD]
    if len(unknown) > MAX_NAMED_UNKNOWN_FIELDS:
        more = len(unknown) - MAX_NAMED_UNKNOWN_FIELDS
        errors.setdefault("body", []).append(f"{more} more unknown fields are not named here.")
    return errors


def _release() -> CompiledRelease:
    release = active_release()
    if release is None:
        raise ApiError(
            503,
            {"knowledge_base": ["No knowledge-base release is published yet; try again later."]},
        )
    return release


def _json(request: HttpRequest, data: dict, status: int = 200) -> HttpResponse:
    return api.create_response(request, data, status=status)


# --- Operations ---------------------------------------------------------------------------

_ERRORS = {400: ErrorsOut, 413: ErrorsOut, 415: ErrorsOut, 503: ErrorsOut}


@api.post(
    "/assessments",
    response={201: AssessmentOut, **_ERRORS},
    url_name="assessments",
    summary="Assess one anonymous patient description",
    openapi_extra={
        "requestBody": {
            "required": True,
            "content": {"application/json": {"schema": AssessmentIn.model_json_schema()}},
        },
        "responses": {
            201: {
                "description": "Created: the stored assessment.",
                "headers": {
                    "Location": {
                        "description": "The assessment's page (the document's `url`).",
                        "schema": {"type": "string"},
                    }
                },
            },
            400: {"description": "A bad field, an unknown field, or a malformed body."},
            413: {"description": f"The body is larger than {MAX_BODY_BYTES} bytes."},
            415: {"description": "The body is not sent as application/json (UTF-8)."},
            503: {"description": "No knowledge-base release is published."},
        },
    },
)
def create_assessment(request: HttpRequest):
    """Answer the inputs with notes from the active release and store them as a snapshot.

    Send `pain_type` (required), `analgesics` and `factors` as slugs from `GET /api/v1/vocabulary`.
    Nothing else is accepted: patient identifiers in particular are refused.
    """
    data = _json_object(request)
    errors = _unknown_fields(data)
    release = _release()
    try:
        inputs = parse_inputs(
            release, data.get("pain_type"), data.get("analgesics"), data.get("factors")
        )
    except InvalidInputs as invalid:
        raise ApiError(400, {**invalid.errors, **errors}) from None
    if errors:
        raise ApiError(400, errors)
    result = answer_for(release, inputs)
    assessment = store_assessment(release, inputs, result)
    body = document_json(assessment, result.notes_json)
    response = HttpResponse(body, status=201, content_type="application/json")
    response["Location"] = reverse("decision:assessment", args=[assessment.id])
    return response


@api.get(
    "/assessments/{assessment_id}",
    response={200: AssessmentOut, 404: ErrorsOut},
    url_name="assessment",
    summary="Read a stored assessment",
    openapi_extra={"responses": {404: {"description": "No assessment with this id."}}},
)
def read_assessment(
    request: HttpRequest,
    assessment_id: PathEx[str, P(description="The assessment's id (a UUID).")],
):
    """The assessment exactly as it was answered: later releases do not change it."""
    # The id is declared a string, which any path segment is, so ninja never refuses it (with
    # its own 422): a malformed id is checked here and is the contract's 404.
    not_found = ApiError(404, {"id": ["No assessment with this id."]})
    try:
        pk = uuid.UUID(assessment_id)
    except ValueError:
        raise not_found from None
    try:
        assessment = Assessment.objects.get(pk=pk)
    except Assessment.DoesNotExist:
        raise not_found from None
    return HttpResponse(document_json(assessment), content_type="application/json")


def _term(term) -> dict:
    return {"slug": term.slug, "name": term.name, "description": term.description}


def _drug(drug) -> dict:
    return {**_term(drug), "classes": sorted(drug.classes), "properties": sorted(drug.properties)}


@api.get(
    "/vocabulary",
    response={200: VocabularyOut, 503: ErrorsOut},
    url_name="vocabulary",
    summary="The live vocabulary",
    openapi_extra={"responses": {503: {"description": "No knowledge-base release is published."}}},
)
def vocabulary(request: HttpRequest):
    """Every slug the active release knows, with display names, to build a client's own form."""
    release = _release()
    terms = release.vocabulary
    return _json(
        request,
        {
            "knowledge_base": knowledge_base_info(release),
            "pain_types": [_term(term) for term in terms.pain_types.values()],
            "nmdar_antagonists": [_drug(terms.drugs[slug]) for slug in terms.nmdar_antagonists],
            "drugs": [_drug(drug) for drug in terms.drugs.values()],
            "drug_classes": [_term(term) for term in terms.drug_classes.values()],
            "drug_properties": [_term(term) for term in terms.drug_properties.values()],
            "patient_factors": [_term(term) for term in terms.patient_factors.values()],
        },
    )
