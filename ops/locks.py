"""One transaction at a time for a named job, across every process, on PostgreSQL."""

from __future__ import annotations

import hashlib
from contextlib import nullcontext

from django.db import connection

# Waiting for another process's transaction is the one slow step allowed to outlast the usual
# statement bound: a publish takes about a second, a rollback less.
WAIT_SECONDS = 30


def lock_transaction(name: str) -> None:
    """Wait until no other transaction holds `name`, then hold it until this one ends.

    Call it first inside `transaction.atomic()`: everything the transaction reads afterwards
    sees what the previous holder committed. A no-op on SQLite, which has one writer at a time
    anyway.
    """
    if connection.vendor != "postgresql":
        return
    key = int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)
    with connection.cursor() as cursor:
        cursor.execute("SELECT current_setting('statement_timeout')")
        (usual,) = cursor.fetchone()
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [f"{WAIT_SECONDS}s"])
        # The client-side deadline (ops/postgresql/base.py) must let the wait run too.
        patience = getattr(connection, "patience", None)
        with patience(WAIT_SECONDS + 1) if patience else nullcontext():
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [key])
        cursor.execute("SELECT set_config('statement_timeout', %s, true)", [usual])
