"""Which deploy is serving: a key for caches of rendered pages.

A stored assessment never changes, but the page made from it does when a deploy changes a
template, a stylesheet, the code that arranges the notes or a pinned package; with hashed static
files (`STATIC_MANIFEST`) the old page would even point at files the new deploy no longer
serves. So the rendered page and PDF are cached under this key, and their ETag is derived from
it: a deploy starts with empty caches and browsers fetch the new rendering.

The key is a hash of what a deploy ships (the project's Python packages, templates and static
sources, and pyproject.toml with its exact pins), not the package version, which does not change
between deploys, nor a start time or a random value, which would differ between the servers of
one deploy and split the shared cache. Every server running the same code computes the same key,
so they share the Redis cache; during a rolling deploy old and new servers keep apart.
"""

from __future__ import annotations

import functools
import hashlib
from pathlib import Path

from django.conf import settings

# Everything under these, relative to BASE_DIR, is part of a rendering.
SHIPPED = ("access", "cdshooks", "config", "decision", "evidence", "ops", "static", "templates")
SKIPPED = {"__pycache__"}


@functools.cache
def deploy_key() -> str:
    """16 hex digits naming the code being served; computed once per process (a few ms)."""
    base = Path(settings.BASE_DIR)
    digest = hashlib.sha256()
    # Settings that change the HTML itself: the static URL and whether it carries hashes.
    digest.update(f"{settings.STATIC_URL}|{settings.STORAGES['staticfiles']['BACKEND']}".encode())
    for path in _shipped_files(base):
        digest.update(str(path.relative_to(base)).encode() + b"\0")
        digest.update(path.read_bytes() + b"\0")
    return digest.hexdigest()[:16]


def _shipped_files(base: Path) -> list[Path]:
    files = [base / "pyproject.toml"]
    for folder in SHIPPED:
        files += (
            path
            for path in (base / folder).rglob("*")
            if path.is_file() and not SKIPPED & set(path.relative_to(base).parts)
        )
    return sorted(path for path in files if path.exists())
