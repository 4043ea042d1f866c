"""The JSON API of API.md: create and read assessments, and read the live vocabulary.

django-ninja parses and validates: the body is read by `JsonBodyParser` (415 for anything but
UTF-8 JSON, 413 past `DATA_UPLOAD_MAX_MEMORY_SIZE`), validated as `AssessmentIn` (types, and
every slug against the active release's vocabulary), and the answer is an `AssessmentOut`.
Exception handlers turn every refusal into the contract's envelope,
`{"errors": {"<field>": ["message", ...]}}`, including the 404s and 405s that ninja and Django
would otherwise answer in plain text or HTML. Views are glue: the same `decision.assessments`
functions answer the form. The POST asks machine clients for an API key (access/auth.py).
"""

from __future__ import annotations

import datetime
import functools
import json
import re
import uuid
from collections.abc import Sequence
from typing import Annotated, Literal

from django.conf import settings
from django.core.exceptions import RequestDataTooBig, TooManyFieldsSent
from django.http import HttpRequest, HttpResponse
from django.urls import URLPattern, re_path, reverse
from django.views.decorators.http import require_GET
from ninja import NinjaAPI, P, PathEx, Schema
from ninja.errors import AuthenticationError, HttpError, ValidationError
from ninja.parser import Parser
from pydantic import AfterValidator, BaseModel, ConfigDict, Field, ValidationInfo, field_validator
from pydantic_core import PydanticCustomError

from access.auth import API_KEY_AUTH, document_open_api, refusal
from decision.assessments import (
    MAX_LIST_ITEMS,
    answer,
    knowledge_base_info,
    slug_error,
    store_assessment,
    stored_notes,
)
from decision.disclaimer import DISCLAIMER
from decision.engine import CompiledRelease, Inputs, Note
from decision.models import Assessment
from decision.releases import active_release, compiled_release
from evidence.scales import CERTAINTIES, LEVELS, NOTE_KINDS, SCOPES, SEVERITIES

# The contract's limit; Django refuses larger declared bodies before they are read.
MAX_BODY_BYTES = settings.DATA_UPLOAD_MAX_MEMORY_SIZE
# A body with thousands of unknown keys gets the first few named, not a reply larger than itself.
MAX_NAMED_UNKNOWN_FIELDS = 20

IDENTIFIERS_REFUSED = (
    "Patient identifiers are not accepted: send no name, record number, date of birth or other "
    "identifier. An assessment is anonymous."
)
UNKNOWN_FIELD = "Unknown field; the fields are pain_type, analgesics and factors."
UNKNOWN_QUERY_PARAMETER = (
    "Unknown query parameter: the API takes none. Send the inputs as the JSON body."
)
NOT_AN_OBJECT = "The body must be a JSON object with a pain_type."
PAIN_TYPE_REQUIRED = "This field is required: give one pain-type slug."
NO_RELEASE = "No knowledge-base release is published yet; try again later."

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


# --- Reading the body ---------------------------------------------------------------------


def _refuse_constant(name: str):
    raise ValueError(f"{name} is not valid JSON")


class JsonBodyParser(Parser):
    """UTF-8 JSON only (RFC 8259): a body in another type or charset is refused, not guessed."""

    def parse_body(self, request: HttpRequest):
        if request.content_type != "application/json" or (
            request.content_params.get("charset", "utf-8").strip().lower() not in {"utf-8", "utf8"}
        ):
            raise ApiError(
                415,
                {"content_type": ["Send the body as JSON, with Content-Type: application/json."]},
            )
        body = request.body
        # A declared length is checked by Django before reading; this catches a body sent
        # without one (chunked, through an ASGI server).
        if len(body) > MAX_BODY_BYTES:
            raise _too_large()
        try:
            return json.loads(body.decode("utf-8"), parse_constant=_refuse_constant)
        except UnicodeDecodeError:
            raise ApiError(400, {"body": ["The body is not UTF-8 encoded."]}) from None
        except json.JSONDecodeError as error:
            message = f"Malformed JSON: {error.msg} (line {error.lineno}, column {error.colno})."
            raise ApiError(400, {"body": [message]}) from None
        except RecursionError:
            raise ApiError(400, {"body": ["Malformed JSON: nested too deeply."]}) from None
        except ValueError:  # NaN and Infinity, or a number with thousands of digits
            message = "Malformed JSON: NaN, Infinity or an overlong number."
            raise ApiError(400, {"body": [message]}) from None


def _too_large() -> ApiError:
    return ApiError(413, {"body": [f"The body is larger than {MAX_BODY_BYTES} bytes."]})


# --- Schemas --------------------------------------------------------------------------------


def request_release(request: HttpRequest) -> CompiledRelease | None:
    """The release that answers this request: looked up once, so validation and the answer
    use the same one even if another is published meanwhile."""
    if not hasattr(request, "_nmdar_release"):
        request._nmdar_release = active_release()
    return request._nmdar_release


def _known(field: str):
    """A validator that checks one slug against the vocabulary of the request's release."""

    def check(value: str, info: ValidationInfo) -> str:
        release = request_release(info.context["request"])
        if release is None:
            raise PydanticCustomError("no_release", NO_RELEASE)
        if message := slug_error(release, field, value):
            raise PydanticCustomError("unknown_slug", message)
        return value

    return AfterValidator(check)


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

    pain_type: Annotated[str, _known("pain_type")] = Field(
        description="One pain-type slug (see GET /api/v1/vocabulary)."
    )
    analgesics: list[Annotated[str, _known("analgesics")]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Drug slugs of the current analgesics; duplicates are ignored.",
    )
    factors: list[Annotated[str, _known("factors")]] = Field(
        default_factory=list,
        max_length=MAX_LIST_ITEMS,
        description="Patient-factor slugs; duplicates are ignored.",
    )


class Out(BaseModel):
    """An answer's schema. Plain pydantic, reading attributes in its Rust core: ninja's `Schema`
    wraps every object it validates in a Python getter, which cost the API more than the rest
    of the request together."""

    # Frozen: a question's notes are validated once and shared by every answer (`_notes_out`).
    model_config = ConfigDict(from_attributes=True, frozen=True)


class KnowledgeBaseOut(Out):
    release: str = Field(description="The knowledge-base release that answered.")
    published_at: str | None = Field(description="When it was published (ISO 8601, UTC).")


class EvidenceOut(Out):
    key: str
    citation: str
    pmid: str | None = None
    doi: str | None = None
    study_type: str | None = None
    certainty: str | None = None


class NoteOut(Out):
    id: str
    kind: Literal[tuple(NOTE_KINDS)]
    drug: str | None = Field(description="The NMDAR antagonist the note is about, if one.")
    drug_name: str | None
    level: Literal[tuple(LEVELS)] | None = Field(description="Suitability and combination notes.")
    severity: Literal[tuple(SEVERITIES)] | None = Field(description="Caution notes.")
    scope: Literal[tuple(SCOPES)] | None = Field(
        description='Caution notes: "patient" when this patient\'s inputs triggered it (its `why` '
        'names them), "drug" when it applies to any use of the drug. Counts of cautions for '
        'this patient count "patient" only.'
    )
    certainty: Literal[tuple(CERTAINTIES)] | None = Field(
        description="Suitability and combination notes: the certainty of the direct evidence "
        "the level rests on, by the written grading rule (null: no graded direct evidence)."
    )
    level_reason: str | None = Field(
        description="Why curators set a level other than the grading rule's, when they did."
    )

    @field_validator("level_reason")
    @classmethod
    def _null_when_none_recorded(cls, value: str | None) -> str | None:
        return value or None

    title: str
    text: str
    why: list[str] = Field(description="The inputs that made the note appear, in plain words.")
    evidence: list[EvidenceOut]


class ScreenedOut(Out):
    drugs: list[str] = Field(description="The medicines this release checks interactions for.")
    statement: str = Field(description="The same, in words: anything not listed is not checked.")


class InputsOut(Out):
    pain_type: str
    analgesics: list[str]
    factors: list[str]


class AssessmentOut(Out):
    id: uuid.UUID
    url: str = Field(description="The assessment's printable page.")
    pdf_url: str
    created_at: datetime.datetime
    knowledge_base: KnowledgeBaseOut
    disclaimer: str
    inputs: InputsOut = Field(description="The inputs as understood: duplicates removed.")
    screened: ScreenedOut
    notes: list[NoteOut] = Field(
        description="This patient's high-severity cautions first, then suitability by level, "
        "then the rest."
    )


class ErrorsOut(Out):
    errors: dict[str, list[str]] = Field(description="Each bad field (or `body`) and its messages.")


class TermOut(Out):
    slug: str
    name: str
    description: str


class DrugOut(TermOut):
    classes: list[str]
    properties: list[str]


class VocabularyOut(Out):
    knowledge_base: KnowledgeBaseOut
    pain_types: list[TermOut]
    nmdar_antagonists: list[DrugOut]
    drugs: list[DrugOut]
    drug_classes: list[TermOut]
    drug_properties: list[TermOut]
    patient_factors: list[TermOut]


def assessment_out(assessment: Assessment, notes: Sequence[Note | NoteOut]) -> AssessmentOut:
    """The document of API.md for a stored assessment: the 201 answer and every later read."""
    release = compiled_release(assessment.release_id)
    return AssessmentOut(
        id=assessment.id,
        url=reverse("decision:assessment", args=[assessment.id]),
        pdf_url=reverse("decision:assessment_pdf", args=[assessment.id]),
        created_at=assessment.created_at.astimezone(datetime.UTC),
        knowledge_base=knowledge_base_info(release),
        disclaimer=DISCLAIMER,
        inputs=assessment.inputs,
        screened={"drugs": release.screened.drugs, "statement": release.screened.statement},
        notes=notes,
    )


# --- Query strings (issue 11, item 8) ------------------------------------------------------
#
# No operation declares a query parameter (a test holds the OpenAPI schema to that), so any one
# is refused before the view runs: a name or a date of birth put in the URL is never stored,
# and its value is never echoed.


def _refuse_query_parameters(request: HttpRequest) -> HttpResponse | None:
    if not request.META.get("QUERY_STRING"):
        return None
    try:
        names = list(request.GET)
    except TooManyFieldsSent:
        return _error_response(400, {"query": ["Too many query parameters; the API takes none."]})
    if not names:  # "?" or "?&" alone
        return None
    errors = {
        name or "query": [
            IDENTIFIERS_REFUSED if _looks_like_identifier(name) else UNKNOWN_QUERY_PARAMETER
        ]
        for name in names[:MAX_NAMED_UNKNOWN_FIELDS]
    }
    if len(names) > MAX_NAMED_UNKNOWN_FIELDS:
        more = len(names) - MAX_NAMED_UNKNOWN_FIELDS
        errors.setdefault("query", []).append(f"{more} more query parameters are not named here.")
    return _error_response(400, errors)


# --- The OpenAPI schema (issue 11, item 9) ------------------------------------------------


def _enumerate_slugs(body: dict, release: CompiledRelease) -> None:
    """Give the request body's fields the slugs of `release` as enums, and keep only the
    examples that release would accept."""
    vocabulary = release.vocabulary
    slugs = {
        "pain_type": sorted(vocabulary.pain_types),
        "analgesics": sorted(vocabulary.drugs),
        "factors": sorted(vocabulary.patient_factors),
    }
    fields = body["properties"]
    fields["pain_type"]["enum"] = slugs["pain_type"]
    fields["analgesics"]["items"]["enum"] = slugs["analgesics"]
    fields["factors"]["items"]["enum"] = slugs["factors"]
    body["examples"] = [
        example
        for example in body.get("examples", [])
        if example["pain_type"] in slugs["pain_type"]
        and set(example.get("analgesics", [])) <= set(slugs["analgesics"])
        and set(example.get("factors", [])) <= set(slugs["factors"])
    ]
    if not body["examples"]:
        del body["examples"]


# --- The API object, with JSON for every error --------------------------------------------


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
    """Turn the plain-text 405 of ninja (and Django's `require_GET`) into JSON, and refuse a
    Content-Length that is not a number before anything reads the body by it."""

    @functools.wraps(view)
    def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
        declared = request.META.get("CONTENT_LENGTH") or "0"
        if not (declared.isascii() and declared.isdigit()):
            message = "The Content-Length header is not a number."
            return _error_response(400, {"content_length": [message]})
        if refused := _refuse_query_parameters(request):
            return refused
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
    _openapi_memo: tuple[tuple, dict] | None = None

    def get_openapi_schema(self, *, path_prefix=None, path_params=None):
        """Ninja's schema, with the active release's slugs as enums on the request body.

        Built once per release (and prefix, and key setting): only `GET openapi.json` pays for
        it, never an assessment.
        """
        release = active_release()
        memo_key = (
            release and (release.id, release.content_hash),
            path_prefix,
            str(path_params),
            settings.API_KEYS_REQUIRED,
        )
        if self._openapi_memo and self._openapi_memo[0] == memo_key:
            return self._openapi_memo[1]
        schema = super().get_openapi_schema(path_prefix=path_prefix, path_params=path_params)
        if release is not None:
            _enumerate_slugs(schema["components"]["schemas"]["AssessmentIn"], release)
        document_open_api(schema)
        self._openapi_memo = (memo_key, schema)
        return schema

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
    parser=JsonBodyParser(),
    # Ninja's interactive docs page loads its assets from a CDN, which our CSP forbids.
    docs_url=None,
    docs_decorator=require_GET,
)


@api.exception_handler(ApiError)
def _api_error(request: HttpRequest, error: ApiError) -> HttpResponse:
    return _error_response(error.status, error.errors, error.headers)


@api.exception_handler(HttpError)
def _http_error(request: HttpRequest, error: HttpError) -> HttpResponse:
    # Ninja wraps whatever the parser raises in "Cannot parse request body" (400); the parser's
    # own refusal says more.
    if isinstance(error.__cause__, ApiError):
        return _api_error(request, error.__cause__)
    return _error_response(error.status_code, {"body": [str(error)]})


@api.exception_handler(AuthenticationError)
def _unauthorized(request: HttpRequest, error: AuthenticationError) -> HttpResponse:
    message, challenge = refusal(request)
    return _error_response(401, {"authorization": [message]}, {"WWW-Authenticate": challenge})


@api.exception_handler(RequestDataTooBig)
def _too_big(request: HttpRequest, error: RequestDataTooBig) -> HttpResponse:
    return _api_error(request, _too_large())


@api.exception_handler(ValidationError)
def _invalid(request: HttpRequest, error: ValidationError) -> HttpResponse:
    errors: dict[str, list[str]] = {}
    unknown: list[str] = []
    no_release = False
    for item in error.errors:
        field_path = item["loc"][2:]  # ("body", "payload", <field>, <index>...)
        if item["type"] == "no_release":
            no_release = True
        elif not field_path:
            errors.setdefault("body", []).append(NOT_AN_OBJECT)
        elif item["type"] == "extra_forbidden":
            unknown.append(str(field_path[0]))
        elif item["type"] == "missing" and field_path[0] == "pain_type":
            errors.setdefault("pain_type", []).append(PAIN_TYPE_REQUIRED)
        else:
            errors.setdefault(str(field_path[0]), []).append(item["msg"])
    for field in unknown[:MAX_NAMED_UNKNOWN_FIELDS]:
        errors[field] = [IDENTIFIERS_REFUSED if _looks_like_identifier(field) else UNKNOWN_FIELD]
    if len(unknown) > MAX_NAMED_UNKNOWN_FIELDS:
        more = len(unknown) - MAX_NAMED_UNKNOWN_FIELDS
        errors.setdefault("body", []).append(f"{more} more unknown fields are not named here.")
    if no_release and not errors:
        return _error_response(503, {"knowledge_base": [NO_RELEASE]})
    return _error_response(400, {field: list(dict.fromkeys(m)) for field, m in errors.items()})


def _looks_like_identifier(field: str) -> bool:
    words = {word.lower() for word in re.findall(r"[A-Z]?[a-z0-9]+|[A-Z]+(?![a-z])", field)}
    squashed = re.sub(r"[^a-z0-9]", "", field.lower())
    return bool(words & _IDENTIFIER_WORDS) or any(
        fragment in squashed for fragment in _IDENTIFIER_FRAGMENTS
    )


def _answer(document: Out, status: int = 200) -> HttpResponse:
    """The typed answer, serialised by pydantic in one pass (ninja would dump it to Python and
    encode that again with the json module, at four times the cost)."""
    return HttpResponse(document.model_dump_json(), status=status, content_type="application/json")


@functools.lru_cache(maxsize=1024)
def _notes_out(release: CompiledRelease, inputs: Inputs) -> tuple[NoteOut, ...]:
    """A question's notes as the document shows them, validated once, like the `answer` they
    come from: validating 20-30 notes is 0.11 ms of each POST, half of the typed answer's cost."""
    return tuple(NoteOut.model_validate(note) for note in answer(release, inputs))


def _release(request: HttpRequest) -> CompiledRelease:
    release = request_release(request)
    if release is None:
        raise ApiError(503, {"knowledge_base": [NO_RELEASE]})
    return release


# --- Operations ---------------------------------------------------------------------------

_ERRORS = {400: ErrorsOut, 413: ErrorsOut, 415: ErrorsOut, 503: ErrorsOut}


@api.post(
    "/assessments",
    # An API key (access/); the reads below stay open: see docs/api.md, Authentication.
    auth=API_KEY_AUTH,
    response={201: AssessmentOut, 401: ErrorsOut, **_ERRORS},
    url_name="assessments",
    summary="Assess one anonymous patient description",
    openapi_extra={
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
            401: {
                "description": "No API key, or one that is not valid or has been revoked.",
                "headers": {
                    "WWW-Authenticate": {
                        "description": '`Bearer`, or `Bearer error="invalid_token"` for a '
                        "wrong key.",
                        "schema": {"type": "string"},
                    }
                },
            },
            413: {"description": f"The body is larger than {MAX_BODY_BYTES} bytes."},
            415: {"description": "The body is not sent as application/json (UTF-8)."},
            503: {"description": "No knowledge-base release is published."},
        },
    },
)
def create_assessment(request: HttpRequest, payload: AssessmentIn):
    """Answer the inputs with notes from the active release and store them as a snapshot.

    Send `pain_type` (required), `analgesics` and `factors` as slugs from `GET /api/v1/vocabulary`.
    Nothing else is accepted: patient identifiers in particular are refused.
    """
    release = _release(request)
    inputs = Inputs.build(payload.pain_type, payload.analgesics, payload.factors)
    assessment = store_assessment(release, inputs, answer(release, inputs))
    document = assessment_out(assessment, _notes_out(release, inputs))
    response = _answer(document, status=201)
    response["Location"] = document.url
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
    return _answer(assessment_out(assessment, stored_notes(assessment)))


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
    release = _release(request)
    terms = release.vocabulary
    return {
        "knowledge_base": knowledge_base_info(release),
        "pain_types": [_term(term) for term in terms.pain_types.values()],
        "nmdar_antagonists": [_drug(terms.drugs[slug]) for slug in terms.nmdar_antagonists],
        "drugs": [_drug(drug) for drug in terms.drugs.values()],
        "drug_classes": [_term(term) for term in terms.drug_classes.values()],
        "drug_properties": [_term(term) for term in terms.drug_properties.values()],
        "patient_factors": [_term(term) for term in terms.patient_factors.values()],
    }
