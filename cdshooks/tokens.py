"""Who is calling: the signed JWT every CDS Hooks service and feedback call carries.

Verified as CDS Hooks 2.0.1 ("Trusting CDS Clients") says, with PyJWT: the issuer must be a
registered, active EHR client; the header's `kid` must name one of its keys; the algorithm must
be ES384 or RS384 (never `none`, never HMAC or another symmetric one); `aud` must be the exact
URL of the service called; `exp` and `iat` are checked with a small leeway; and a `jti` is
accepted once until the token expires (remembered in the shared cache). Any failure is a bare
401: the caller learns nothing about which check failed. Tokens are never logged or stored;
only a digest of issuer and `jti` is kept, in the cache, until the token expires.

The `jku` header is not followed: keys are registered out of band (the admin, or
`manage.py register_cds_client`), so a token cannot point the service at keys of its choosing.
"""

from __future__ import annotations

import hashlib
import time

import jwt
from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import ValidationError

ALGORITHMS = ("ES384", "RS384")
# The key type and curve each accepted algorithm needs.
KEY_TYPES = {"ES384": ("EC", "P-384"), "RS384": ("RSA", None)}
PRIVATE_MEMBERS = ("d", "p", "q", "dp", "dq", "qi", "oth", "k")
MIN_RSA_BITS = 2048
REQUIRED_CLAIMS = ["iss", "aud", "exp", "iat", "jti"]


class Refused(Exception):
    """The call is not trusted; `reason` is for tests and never reaches the caller."""

    def __init__(self, reason: str):
        super().__init__(reason)
        self.reason = reason


def bearer_token(header: str) -> str:
    scheme, _, token = header.strip().partition(" ")
    if scheme.lower() != "bearer" or not token.strip() or " " in token.strip():
        raise Refused("no bearer token")
    return token.strip()


def _key_for(keyset: dict, kid: str, algorithm: str):
    """The public key with this `kid` that can verify `algorithm`, or Refused."""
    for member in keyset.get("keys", []) if isinstance(keyset, dict) else []:
        if not isinstance(member, dict) or member.get("kid") != kid:
            continue
        if member.get("use", "sig") != "sig" or member.get("alg", algorithm) != algorithm:
            raise Refused("key not for this algorithm")
        kty, curve = KEY_TYPES[algorithm]
        if member.get("kty") != kty or (curve and member.get("crv") != curve):
            raise Refused("key not for this algorithm")
        try:
            return jwt.PyJWK(member, algorithm=algorithm).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise Refused("unreadable key") from error
    raise Refused("unknown kid")


def unverified_issuer(token: str) -> str:
    try:
        claims = jwt.decode(token, options={"verify_signature": False})
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Refused("malformed") from error
    issuer = claims.get("iss")
    if not isinstance(issuer, str) or not issuer:
        raise Refused("no issuer")
    return issuer


def verify(token: str, keyset: dict, audiences: tuple[str, ...]) -> dict:
    """The claims of a token signed by a key of `keyset` for one of `audiences`, checked for
    algorithm, expiry and issue time; raises Refused. No database, no cache: `authenticate`
    adds the issuer allow-list, the longest lifetime and replay protection."""
    try:
        header = jwt.get_unverified_header(token)
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Refused("malformed") from error
    algorithm = header.get("alg")
    if algorithm not in ALGORITHMS:
        raise Refused("algorithm")
    kid = header.get("kid")
    if not isinstance(kid, str) or not kid:
        raise Refused("no kid")
    key = _key_for(keyset, kid, algorithm)
    try:
        claims = jwt.decode(
            token,
            key=key,
            algorithms=[algorithm],
            audience=list(audiences),
            leeway=settings.CDS_JWT_LEEWAY_SECONDS,
            options={"require": REQUIRED_CLAIMS},
        )
    except jwt.ExpiredSignatureError as error:
        raise Refused("expired") from error
    except jwt.InvalidAudienceError as error:
        raise Refused("audience") from error
    except (jwt.PyJWTError, ValueError, TypeError) as error:
        raise Refused("invalid") from error
    if not isinstance(claims.get("jti"), str) or not claims["jti"]:
        raise Refused("no jti")
    return claims


def authenticate(authorization: str, audiences: tuple[str, ...]):
    """The registered EHR client a call comes from, or Refused."""
    from cdshooks.models import EhrClient

    token = bearer_token(authorization)
    issuer = unverified_issuer(token)
    client = EhrClient.objects.filter(issuer=issuer, active=True).only("id", "jwks").first()
    if client is None:
        raise Refused("unknown issuer")
    claims = verify(token, client.jwks, audiences)
    if claims["iss"] != issuer:
        raise Refused("issuer")
    # Not the specification's check but ours: its jti must be remembered until it expires, so a
    # token valid for days is refused rather than kept in the cache that long.
    if claims["exp"] - time.time() > settings.CDS_JWT_MAX_LIFETIME_SECONDS:
        raise Refused("lifetime")
    # Remembered until the token could no longer be accepted anyway (its expiry plus leeway).
    remaining = claims["exp"] - time.time() + settings.CDS_JWT_LEEWAY_SECONDS
    digest = hashlib.sha256(f"{issuer}\0{claims['jti']}".encode()).hexdigest()
    if not cache.add(f"cdshooks:jti:{digest}", 1, timeout=max(1, int(remaining) + 1)):
        raise Refused("replay")
    return client


def validate_jwks(value) -> None:
    """A registered key set holds public signing keys the service can verify: EC P-384 or RSA of
    at least 2048 bits, each with a unique kid, and no private or symmetric key material."""
    if not isinstance(value, dict) or not isinstance(value.get("keys"), list) or not value["keys"]:
        raise ValidationError('Give a JSON Web Key Set: {"keys": [...]} with at least one key.')
    kids = set()
    for position, member in enumerate(value["keys"]):
        where = f"Key {position + 1}"
        if not isinstance(member, dict):
            raise ValidationError(f"{where} is not a JSON object.")
        kid = member.get("kid")
        if not isinstance(kid, str) or not kid:
            raise ValidationError(f"{where} has no kid: tokens name their key by it.")
        if kid in kids:
            raise ValidationError(f"{where}: kid {kid!r} appears twice.")
        kids.add(kid)
        if any(name in member for name in PRIVATE_MEMBERS):
            raise ValidationError(
                f"{where} ({kid}) holds private or symmetric key material: register the "
                "public key only."
            )
        algorithms = [
            alg
            for alg, (kty, curve) in KEY_TYPES.items()
            if member.get("kty") == kty and (curve is None or member.get("crv") == curve)
        ]
        if not algorithms or member.get("alg", algorithms[0]) not in algorithms:
            raise ValidationError(
                f"{where} ({kid}) cannot verify ES384 or RS384: use an EC P-384 or an RSA key."
            )
        try:
            key = jwt.PyJWK(member, algorithm=algorithms[0]).key
        except (jwt.PyJWTError, ValueError, TypeError, KeyError) as error:
            raise ValidationError(f"{where} ({kid}) is not a readable key: {error}") from error
        if member.get("kty") == "RSA" and key.key_size < MIN_RSA_BITS:
            raise ValidationError(f"{where} ({kid}) is an RSA key under {MIN_RSA_BITS} bits.")
