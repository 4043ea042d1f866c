"""Making, checking and revoking API keys.

A key is `nmdar_` and 43 URL-safe characters from `secrets` (256 bits), so a plain SHA-256 digest
is a safe way to keep it: nothing that random can be found from its digest, and a fast hash keeps
the API fast where a password hasher would cost tens of milliseconds a request.

The API's hot path stays one INSERT: a key once checked is remembered in the cache for
`CACHE_SECONDS`, and the check that remembers it is a single UPDATE that also records the use, so
`last_used_at` is written at most once a minute per key (per server process, without a shared
cache). Revoking writes a tombstone over the remembered entry, which also wins over a check that
was in flight; without a shared cache, other processes notice within `CACHE_SECONDS`.
"""

from __future__ import annotations

import hashlib
import secrets

from django.core.cache import cache
from django.db import connection, transaction
from django.db.models import QuerySet
from django.utils import timezone

from access.models import ApiKey

KEY_PREFIX = "nmdar_"
# What the admin shows of a key: the marker and six random characters.
SHOWN_LENGTH = len(KEY_PREFIX) + 6
# Longer than any key we make; a longer header is refused before it is hashed.
MAX_KEY_LENGTH = 128
CACHE_SECONDS = 60
_REVOKED = "revoked"


def digest(key: str) -> str:
    return hashlib.sha256(key.encode("ascii")).hexdigest()


def _cache_key(hashed: str) -> str:
    return f"access:api-key:{hashed}"


def assign_new_key(api_key: ApiKey) -> str:
    """Give an unsaved `ApiKey` a fresh key and return the key: the only time it exists."""
    key = KEY_PREFIX + secrets.token_urlsafe(32)
    api_key.prefix = key[:SHOWN_LENGTH]
    api_key.hashed_key = digest(key)
    return key


def create_api_key(name: str) -> tuple[ApiKey, str]:
    """Store a new key for `name`; return it with the key, which is not kept anywhere."""
    api_key = ApiKey(name=name)
    key = assign_new_key(api_key)
    api_key.full_clean()
    api_key.save(force_insert=True)
    return api_key, key


def revoke_api_keys(keys: QuerySet[ApiKey]) -> int:
    """Revoke every key of `keys` not yet revoked; return how many were."""
    with transaction.atomic():
        live = list(keys.filter(revoked=False).select_for_update().values_list("pk", "hashed_key"))
        ApiKey.objects.filter(pk__in=[pk for pk, _ in live]).update(
            revoked=True, revoked_at=timezone.now()
        )
    # After the commit: a check that read the key before it was revoked cannot re-add it, since
    # `cache.add` does not overwrite the tombstone.
    cache.set_many({_cache_key(hashed): _REVOKED for _, hashed in live}, CACHE_SECONDS)
    return len(live)


def key_id_for(key: str) -> int | None:
    """The id of the live API key `key`, or None. Records the use at most once a minute."""
    if not key or len(key) > MAX_KEY_LENGTH or not key.isascii():
        return None
    hashed = digest(key)
    remembered = cache.get(_cache_key(hashed))
    if remembered is not None:
        return None if remembered == _REVOKED else remembered
    key_id = _touch(hashed)
    if key_id is not None:
        cache.add(_cache_key(hashed), key_id, CACHE_SECONDS)
    return key_id


def _touch(hashed: str) -> int | None:
    """Check and record a use in one statement: the id of the live key with this digest."""
    table = connection.ops.quote_name(ApiKey._meta.db_table)
    with connection.cursor() as cursor:
        cursor.execute(
            # Only the table name is formatted in, from the model, quoted; values are parameters.
            f"UPDATE {table} SET last_used_at = %s "  # noqa: S608
            "WHERE hashed_key = %s AND NOT revoked RETURNING id",
            [timezone.now(), hashed],
        )
        row = cursor.fetchone()
    return row[0] if row else None
