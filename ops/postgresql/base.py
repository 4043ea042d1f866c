"""Django's PostgreSQL backend with a client-side deadline on every call that waits for the server.

Queries (through an execute wrapper), commits, rollbacks, the connection set-up queries and the
health check each get the entry's `CLIENT_TIMEOUT` seconds (see `ops.watchdog`); connecting is
bounded by libpq's `connect_timeout`. A call past its deadline fails with `OperationalError`,
which the error handler answers with a 503.

A server that let a call time out is not asked again by this process for `RETRY_SECONDS`: each
request meanwhile fails at once instead of waiting out its own deadline. Otherwise, with a few
sync workers, requests would queue behind each other's timeouts and wait far longer than the
deadline. A server that refuses connections (it is down) is asked again on every request, so
service returns as soon as it does.
"""

from __future__ import annotations

import time
from contextlib import contextmanager

from django.db import OperationalError
from django.db.backends.postgresql import base

from ops.watchdog import watchdog

RETRY_SECONDS = 2
# A failed connection attempt that took this long timed out rather than being refused.
SLOW_FAILURE_SECONDS = 1

# Per database alias: until when (time.monotonic()) the server is not asked again.
_unanswered_until: dict[str, float] = {}


class DatabaseWrapper(base.DatabaseWrapper):
    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.client_timeout = self.settings_dict.get("CLIENT_TIMEOUT")
        self.execute_wrappers.append(self._bounded_execute)

    @contextmanager
    def patience(self, seconds: float):
        """Let the calls inside wait up to `seconds` (one known-slow step, such as a lock)."""
        previous, self.client_timeout = self.client_timeout, seconds
        try:
            yield
        finally:
            self.client_timeout = previous

    # --- Not asking a server that does not answer -------------------------------------------

    def _refuse_while_unanswered(self) -> None:
        remaining = _unanswered_until.get(self.alias, 0) - time.monotonic()
        if remaining > 0:
            raise OperationalError(
                "PostgreSQL did not answer in time a moment ago; "
                f"not asking again for {remaining:.1f} s."
            )

    def _unanswered(self) -> None:
        _unanswered_until[self.alias] = time.monotonic() + RETRY_SECONDS

    def connect(self):
        self._refuse_while_unanswered()
        started = time.monotonic()
        try:
            return super().connect()
        except Exception:
            if time.monotonic() - started >= SLOW_FAILURE_SECONDS:
                self._unanswered()
            raise

    # --- Deadlines ----------------------------------------------------------------------------

    def _bounded(self, call, *args):
        seconds = self.client_timeout
        if not seconds or self.connection is None or self.connection.closed:
            return call(*args)
        watch = watchdog.watch(self.connection.fileno(), seconds)
        try:
            result = call(*args)
        except Exception as error:
            if watchdog.release(watch):
                raise self._timed_out(seconds) from error
            raise
        if watchdog.release(watch):
            # The answer came as the socket was shut down: the connection is gone all the same.
            raise self._timed_out(seconds)
        return result

    def _timed_out(self, seconds: float) -> OperationalError:
        self.errors_occurred = True
        self._unanswered()
        return OperationalError(
            f"PostgreSQL did not answer within {seconds:g} s; the connection was closed."
        )

    def _bounded_execute(self, execute, sql, params, many, context):
        return self._bounded(execute, sql, params, many, context)

    def init_connection_state(self):
        return self._bounded(super().init_connection_state)

    def _commit(self):
        return self._bounded(super()._commit)

    def _rollback(self):
        return self._bounded(super()._rollback)

    def is_usable(self):
        try:
            return self._bounded(super().is_usable)
        except OperationalError:
            return False

    def close_if_health_check_failed(self):
        if (
            self.connection is None
            or not self.health_check_enabled
            or self.health_check_done
            or self.pool
        ):
            return
        try:
            self._refuse_while_unanswered()
            usable = self._bounded(super().is_usable)
        except OperationalError:
            # Reconnecting to a server that has just not answered would wait once more.
            self.close()
            raise
        if not usable:
            self.close()
        self.health_check_done = True
