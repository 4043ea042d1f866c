"""Who may call: the signed JWT of "Trusting CDS Clients", checked as the specification says,
through real HTTP calls; every refusal is a bare 401."""

import base64
import datetime as dt
import hashlib
import hmac
import json
import time
import uuid

import jwt
import pytest
import time_machine
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.core.exceptions import ValidationError

from cdshooks.models import EhrClient
from cdshooks.tokens import Refused, validate_jwks, verify
from tests.cdshooks import bundles as b
from tests.cdshooks.conftest import ISSUER

SERVICE = "nmdar-notes-patient-view"

# The specification's example, section "Trusting CDS Clients": its public key and its token.
SPEC_JWKS = {
    "keys": [
        {
            "kty": "EC",
            "use": "sig",
            "crv": "P-384",
            "kid": "example-kid",
            "x": "46SDH7Znh821wblCBglA61sNE9ZrHYKKt3qRtRTmSXyOI_FIGBLWrWa0GPUkDCEk",
            "y": "XMcRuuoGW7CXjQdy-F5i3FeBE0x9hPLdeFdSoDd3ELmx404tLX0VRRcqzAsPhXcI",
            "alg": "ES384",
        }
    ]
}
SPEC_TOKEN = (
    "eyJhbGciOiJFUzM4NCIsInR5cCI6IkpXVCIsImtpZCI6ImV4YW1wbGUta2lkIiwiamt1IjoiaHR0cHM6Ly9maGlyLWVoci5l"
    "eGFtcGxlLmNvbS9qd2tfdXJpIn0.eyJpc3MiOiJodHRwczovL2ZoaXItZWhyLmV4YW1wbGUuY29tLyIsImF1ZCI6Imh0dHBz"
    "Oi8vY2RzLmV4YW1wbGUub3JnL2Nkcy1zZXJ2aWNlcy9zb21lLXNlcnZpY2UiLCJleHAiOjE0MjI1Njg4NjAsImlhdCI6MTMx"
    "MTI4MDk3MCwianRpIjoiZWUyMmIwMjEtZTFiNy00NjExLWJhNWItOGVlYzZhMzNhYzFlIiwidGVuYW50IjoiMmRkZDZjM2Et"
    "OGU5YS00NGM2LWEzMDUtNTIxMTFhZDMwMmEyIn0.d1WfLjGRKlcWB94l9do4cM8REXeYJLL6SGUBO8VHZhfM8mwKYP70EMxJ"
    "67War4TQblEpaQrp11wx5p7oPFm2ETYgCicS84vXWEIYTdjooZdooCSDf2L8-i4awdoUwiEb"
)
SPEC_AUDIENCE = "https://cds.example.org/cds-services/some-service"


def test_the_specification_example_verifies_with_its_published_key_while_it_was_valid():
    # Between its iat (2011-07-21) and its exp (2015-01-29).
    with time_machine.travel(dt.datetime(2014, 6, 1, tzinfo=dt.UTC), tick=False):
        claims = verify(SPEC_TOKEN, SPEC_JWKS, (SPEC_AUDIENCE,))
    assert claims["iss"] == "https://fhir-ehr.example.com/"
    assert claims["jti"] == "ee22b021-e1b7-4611-ba5b-8eec6a33ac1e"


def test_the_specification_example_is_expired_today():
    with pytest.raises(Refused) as refused:
        verify(SPEC_TOKEN, SPEC_JWKS, (SPEC_AUDIENCE,))
    assert refused.value.reason == "expired"


def test_the_specification_example_fails_with_another_key(signing_key):
    with (
        time_machine.travel(dt.datetime(2014, 6, 1, tzinfo=dt.UTC), tick=False),
        pytest.raises(Refused),
    ):
        other = {**signing_key.jwk, "kid": "example-kid"}
        verify(SPEC_TOKEN, {"keys": [other]}, (SPEC_AUDIENCE,))


@pytest.mark.django_db
def test_the_specification_example_sent_today_is_a_bare_401(call):
    EhrClient.objects.create(name="Spec", issuer="https://fhir-ehr.example.com/", jwks=SPEC_JWKS)
    response = call(SERVICE, b.patient_view(), token=SPEC_TOKEN)
    assert response.status_code == 401
    assert response.content == b""
    assert response["WWW-Authenticate"] == "Bearer"


def test_a_signed_call_from_a_registered_client_is_answered(call):
    assert call(SERVICE, b.patient_view()).status_code == 200


def test_a_replayed_jti_is_refused(call, sign):
    token = sign(SERVICE)
    assert call(SERVICE, b.patient_view(), token=token).status_code == 200
    replay = call(SERVICE, b.patient_view(), token=token)
    assert (replay.status_code, replay.content) == (401, b"")


def test_the_same_jti_from_another_issuer_is_not_a_replay(call, sign, signing_key):
    EhrClient.objects.create(
        name="Other", issuer="https://other.example.org/", jwks={"keys": [signing_key.jwk]}
    )
    jti = str(uuid.uuid4())
    assert call(SERVICE, b.patient_view(), token=sign(SERVICE, jti=jti)).status_code == 200
    other = sign(SERVICE, jti=jti, iss="https://other.example.org/")
    assert call(SERVICE, b.patient_view(), token=other).status_code == 200


def _none_token(claims: dict) -> str:
    return jwt.encode(claims, key=None, algorithm="none", headers={"kid": "ehr-key-1"})


@pytest.mark.parametrize(
    "make",
    [
        pytest.param(lambda sign: sign("nmdar-notes-order-sign"), id="aud of another service"),
        pytest.param(
            lambda sign: sign("https://cds.example.org/cds-services/nmdar-notes-patient-view"),
            id="aud of another host",
        ),
        pytest.param(lambda sign: sign(SERVICE, omit=("aud",)), id="no aud"),
        pytest.param(lambda sign: sign(SERVICE, exp=int(time.time()) - 120), id="expired"),
        pytest.param(lambda sign: sign(SERVICE, iat=int(time.time()) + 600), id="issued later"),
        pytest.param(lambda sign: sign(SERVICE, exp=None), id="no exp"),
        pytest.param(lambda sign: sign(SERVICE, iat=None), id="no iat"),
        pytest.param(lambda sign: sign(SERVICE, jti=None), id="no jti"),
        pytest.param(lambda sign: sign(SERVICE, exp=int(time.time()) + 86400), id="lives a day"),
        pytest.param(lambda sign: sign(SERVICE, iss="https://stranger.example/"), id="unknown iss"),
        pytest.param(lambda sign: sign(SERVICE, headers={"kid": "other-key"}), id="unknown kid"),
        pytest.param(
            lambda sign: sign(
                SERVICE, key=ec.generate_private_key(ec.SECP384R1()), headers={"kid": "ehr-key-1"}
            ),
            id="signed by another key",
        ),
        pytest.param(
            lambda sign: sign(
                SERVICE, key=ec.generate_private_key(ec.SECP256R1()), algorithm="ES256"
            ),
            id="alg ES256",
        ),
        pytest.param(
            lambda sign: sign(
                SERVICE, key="a-shared-secret-of-at-least-48-bytes-for-hs384-ok", algorithm="HS384"
            ),
            id="alg HS384",
        ),
        pytest.param(
            lambda sign: _none_token(
                jwt.decode(sign(SERVICE), options={"verify_signature": False})
            ),
            id="alg none",
        ),
        pytest.param(lambda sign: "not.a.token", id="garbage"),
    ],
)
def test_an_untrusted_token_is_a_bare_401(call, sign, make):
    response = call(SERVICE, b.patient_view(), token=make(sign))
    assert (response.status_code, response.content) == (401, b"")


def test_a_token_signed_with_the_clients_public_key_as_hmac_secret_is_refused(call, signing_key):
    # The classic algorithm-confusion attack: HS384 keyed with the published public key.
    claims = {
        "iss": ISSUER,
        "aud": f"http://testserver/cds-services/{SERVICE}",
        "exp": int(time.time()) + 300,
        "iat": int(time.time()),
        "jti": str(uuid.uuid4()),
    }

    # Signed by hand: PyJWT itself refuses to use a public key as an HMAC secret.
    def part(data: dict) -> bytes:
        return base64.urlsafe_b64encode(json.dumps(data).encode()).rstrip(b"=")

    signing_input = part({"alg": "HS384", "typ": "JWT", "kid": "ehr-key-1"}) + b"." + part(claims)
    secret = json.dumps(signing_key.jwk).encode()
    signature = base64.urlsafe_b64encode(
        hmac.new(secret, signing_input, hashlib.sha384).digest()
    ).rstrip(b"=")
    token = (signing_input + b"." + signature).decode()
    assert call(SERVICE, b.patient_view(), token=token).status_code == 401


@pytest.mark.parametrize("header", ["", "Basic abc", "Bearer", "Bearer a b"])
def test_a_missing_or_malformed_authorization_header_is_a_bare_401(client, shipped_release, header):
    response = client.post(
        f"/cds-services/{SERVICE}",
        json.dumps(b.patient_view()),
        content_type="application/json",
        HTTP_AUTHORIZATION=header,
    )
    assert (response.status_code, response.content) == (401, b"")


def test_a_deactivated_client_is_refused(call, ehr_client):
    ehr_client.active = False
    ehr_client.save()
    assert call(SERVICE, b.patient_view()).status_code == 401


def test_an_rs384_client_is_trusted(call, sign):
    private = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    public = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(private.public_key()))
    public.update(kid="rsa-1")
    EhrClient.objects.create(name="RSA EHR", issuer="https://rsa.example/", jwks={"keys": [public]})
    token = sign(
        SERVICE,
        key=private,
        algorithm="RS384",
        iss="https://rsa.example/",
        headers={"kid": "rsa-1"},
    )
    assert call(SERVICE, b.patient_view(), token=token).status_code == 200


def test_discovery_stays_open(client, shipped_release):
    assert client.get("/cds-services").status_code == 200


def test_the_base_url_setting_decides_the_audience(call, sign, settings):
    settings.CDS_HOOKS_BASE_URL = "https://nmdar.example.org"
    assert call(SERVICE, b.patient_view()).status_code == 401
    token = sign(f"https://nmdar.example.org/cds-services/{SERVICE}")
    assert call(SERVICE, b.patient_view(), token=token).status_code == 200


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda key: {"keys": []}, "at least one key"),
        (lambda key: {"keys": [{**key, "d": "secret"}]}, "private"),
        (lambda key: {"keys": [{k: v for k, v in key.items() if k != "kid"}]}, "no kid"),
        (lambda key: {"keys": [key, key]}, "appears twice"),
        (lambda key: {"keys": [{**key, "crv": "P-256"}]}, "cannot verify"),
        (
            lambda key: {"keys": [{"kty": "oct", "kid": "s", "k": "c2VjcmV0"}]},
            "private or symmetric",
        ),
        (lambda key: {"keys": [{**key, "x": "bm90LWEta2V5"}]}, "not a readable key"),
    ],
)
def test_a_key_set_that_could_not_verify_or_holds_secrets_is_refused(signing_key, change, message):
    with pytest.raises(ValidationError, match=message):
        validate_jwks(change(signing_key.jwk))
