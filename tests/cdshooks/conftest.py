"""An EHR client registered with an ES384 key, tokens it signs, and calls it makes."""

import json
import time
import uuid
from types import SimpleNamespace

import jwt
import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from cdshooks.coding import forget_coding
from cdshooks.models import EhrClient

ISSUER = "https://ehr.example.org/"
BASE = "http://testserver/cds-services"


@pytest.fixture(autouse=True)
def _fresh_coding():
    forget_coding()
    yield
    forget_coding()


@pytest.fixture(autouse=True)
def _fresh_cache():
    from django.core.cache import cache

    cache.clear()
    yield
    cache.clear()


@pytest.fixture(scope="session")
def signing_key():
    private = ec.generate_private_key(ec.SECP384R1())
    public = json.loads(jwt.algorithms.ECAlgorithm.to_jwk(private.public_key()))
    public.update(kid="ehr-key-1", use="sig", alg="ES384")
    return SimpleNamespace(private=private, jwk=public, kid="ehr-key-1")


@pytest.fixture
def ehr_client(db, signing_key):
    return EhrClient.objects.create(
        name="Example EHR", issuer=ISSUER, jwks={"keys": [signing_key.jwk]}
    )


@pytest.fixture
def sign(signing_key):
    """A token for `aud` (a service id or a full URL), with claims overridden as given."""

    def make(aud: str, *, key=None, algorithm="ES384", headers=None, omit=(), **claims):
        now = int(time.time())
        payload = {
            "iss": ISSUER,
            "aud": aud if aud.startswith("http") else f"{BASE}/{aud}",
            "exp": now + 300,
            "iat": now,
            "jti": str(uuid.uuid4()),
            **claims,
        }
        payload = {
            name: value for name, value in payload.items() if value is not None and name not in omit
        }
        header = {"kid": signing_key.kid, "typ": "JWT", **(headers or {})}
        return jwt.encode(payload, key or signing_key.private, algorithm=algorithm, headers=header)

    return make


@pytest.fixture
def call(client, ehr_client, sign, shipped_release):
    """POST a request to a service (or its feedback) as the registered EHR would."""

    def post(service_id: str, body, *, token=None, feedback=False, **extra):
        path = f"/cds-services/{service_id}" + ("/feedback" if feedback else "")
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.post(
            path,
            data,
            content_type=extra.pop("content_type", "application/json"),
            HTTP_AUTHORIZATION=f"Bearer {token or sign(service_id)}",
            **extra,
        )

    return post
