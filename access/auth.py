"""How the API asks for a key, with django-ninja's security classes so that OpenAPI declares them.

`API_KEY_AUTH` is the `auth` of `POST /api/v1/assessments`: a key sent as
`Authorization: Bearer <key>` or as `X-API-Key: <key>`, or no key at all when an operator has
opened the API (`API_KEYS_REQUIRED` off). A key that is sent is checked either way: a wrong or
revoked key is refused on an open API too, so a client learns at once that its key is wrong.

No key, nor any header that carries one, is ever written to a log.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.conf import settings
from django.http import HttpRequest
from ninja.security import APIKeyHeader, HttpBearer

from access.keys import key_id_for

KEY_MISSING = (
    "An API key is required: send it as 'Authorization: Bearer <key>' or 'X-API-Key: <key>'."
)
KEY_REFUSED = "This API key is not valid or has been revoked."
_REFUSED = "_nmdar_api_key_refused"


@dataclass(frozen=True)
class ApiClient:
    """Who is calling: the id of the API key it sent, or None on an open API without one."""

    key_id: int | None


def _client(request: HttpRequest, key: str) -> ApiClient | None:
    key_id = key_id_for(key)
    if key_id is None:
        setattr(request, _REFUSED, True)
        return None
    return ApiClient(key_id)


class BearerAuth(HttpBearer):
    openapi_description = "An API key as a bearer token: `Authorization: Bearer <key>`."

    def __call__(self, request: HttpRequest) -> ApiClient | None:
        # Ninja's own version logs the whole header, key included, when DEBUG is on and the
        # scheme is not "Bearer"; this one reads it without logging anything.
        scheme, _, token = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() != "bearer":
            return None
        return self.authenticate(request, token.strip())

    def authenticate(self, request: HttpRequest, token: str) -> ApiClient | None:
        return _client(request, token)


class ApiKeyAuth(APIKeyHeader):
    param_name = "X-API-Key"
    openapi_description = "An API key in its own header: `X-API-Key: <key>`."

    def authenticate(self, request: HttpRequest, key: str | None) -> ApiClient | None:
        return None if key is None else _client(request, key.strip())


def _open_api(request: HttpRequest) -> ApiClient | None:
    """Let a request without a key through, when the operator has opened the API."""
    if settings.API_KEYS_REQUIRED or getattr(request, _REFUSED, False):
        return None
    return ApiClient(None)


# A plain function is no security scheme to ninja: OpenAPI lists the two above only
# (`document_open_api` adds the empty alternative when keys are not required).
API_KEY_AUTH = [BearerAuth(), ApiKeyAuth(), _open_api]


def refusal(request: HttpRequest) -> tuple[str, str]:
    """The 401's message and its `WWW-Authenticate` challenge (RFC 6750, section 3)."""
    if getattr(request, _REFUSED, False):
        return KEY_REFUSED, 'Bearer error="invalid_token"'
    return KEY_MISSING, "Bearer"


def document_open_api(schema: dict) -> None:
    """On an open API, mark the key as optional in an OpenAPI document (an empty requirement)."""
    if settings.API_KEYS_REQUIRED:
        return
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if isinstance(operation, dict) and operation.get("security"):
                operation["security"].append({})
