"""The deadline on database calls, the timeouts every connection carries, and the 503 answer."""

from __future__ import annotations

import logging
import socket
import sys
import threading
import time

import pytest
from django.db import OperationalError, connection

from ops.logging import PrivateRecords
from ops.postgresql import base as guarded
from ops.watchdog import TICK_SECONDS, watchdog

postgres_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the guard is PostgreSQL's"
)


def test_the_watchdog_ends_a_call_blocked_past_its_deadline():
    here, there = socket.socketpair()
    with here, there:
        watch = watchdog.watch(here.fileno(), 0.3)
        started = time.monotonic()
        received = here.recv(1)  # nothing is ever sent: blocks until the socket is shut down
        elapsed = time.monotonic() - started
        assert watchdog.release(watch) is True
    assert received == b""
    assert 0.3 <= elapsed < 0.3 + 3 * TICK_SECONDS


def test_the_watchdog_leaves_a_call_that_finishes_in_time_alone():
    here, there = socket.socketpair()
    with here, there:
        watch = watchdog.watch(here.fileno(), 0.5)
        threading.Timer(0.05, there.sendall, [b"x"]).start()
        assert here.recv(1) == b"x"
        assert watchdog.release(watch) is False
        time.sleep(0.5 + 2 * TICK_SECONDS)
        there.sendall(b"y")
        assert here.recv(1) == b"y"  # still connected


@pytest.fixture
def own_connection(db):
    """A guarded connection of its own, with a short deadline, to the test database."""
    alias = "guard-test"
    wrapper = guarded.DatabaseWrapper({**connection.settings_dict, "CLIENT_TIMEOUT": 0.5}, alias)
    yield wrapper
    wrapper.close()
    guarded._unanswered_until.pop(alias, None)


@postgres_only
def test_a_query_the_server_does_not_answer_in_time_fails_and_is_not_retried_at_once(
    own_connection,
):
    with own_connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = 0")  # only the client-side deadline is left
        started = time.monotonic()
        with pytest.raises(OperationalError, match="did not answer within 0.5 s"):
            cursor.execute("SELECT pg_sleep(5)")
    assert time.monotonic() - started < 0.5 + 3 * TICK_SECONDS
    own_connection.close()
    with pytest.raises(OperationalError, match="not asking again"):
        own_connection.ensure_connection()
    guarded._unanswered_until.pop(own_connection.alias)
    own_connection.ensure_connection()  # once the pause is over, it connects again
    assert own_connection.is_usable()


def test_the_serving_defaults_bound_every_wait(monkeypatch):
    from config.settings import _postgres_options

    for name in (
        "DATABASE_CONNECT_TIMEOUT",
        "DATABASE_STATEMENT_TIMEOUT",
        "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT",
        "DATABASE_KEEPALIVES_IDLE",
    ):
        monkeypatch.delenv(name, raising=False)
    options = _postgres_options()
    assert options["connect_timeout"] == 2
    assert options["keepalives"] == 1
    assert options["keepalives_idle"] == 30
    assert options["options"] == (
        "-c statement_timeout=1500 -c idle_in_transaction_session_timeout=10000 "
        "-c client_connection_check_interval=1000"
    )


@postgres_only
def test_every_connection_carries_the_configured_timeouts_and_keepalives(db):
    # The test run's own values (pyproject.toml), as the server sees them.
    expected = dict(
        part.removeprefix("-c ").split("=")
        for part in connection.settings_dict["OPTIONS"]["options"].split(" -c ")
    )
    with connection.cursor() as cursor:
        for name, value in expected.items():
            cursor.execute("SELECT setting FROM pg_settings WHERE name = %s", [name])
            assert cursor.fetchone()[0] == value, name
    parameters = connection.connection.info.get_parameters()
    assert parameters["keepalives"] == "1"
    assert parameters["keepalives_idle"] == "30"
    assert parameters["connect_timeout"] == "2"


@postgres_only
def test_a_statement_past_the_server_side_timeout_is_cancelled_and_the_connection_lives(
    own_connection,
):
    own_connection.client_timeout = 10
    with own_connection.cursor() as cursor:
        cursor.execute("SET statement_timeout = '300ms'")
        with pytest.raises(OperationalError, match="statement timeout"):
            cursor.execute("SELECT pg_sleep(5)")
        cursor.execute("SELECT 1")
        assert cursor.fetchone() == (1,)


@pytest.mark.urls("tests.ops.failing_urls")
def test_a_lost_database_is_a_503_page_saying_the_service_is_unavailable(client):
    client.raise_request_exception = False
    response = client.get("/lost/page")
    assert response.status_code == 503
    assert response["Retry-After"] == "5"
    assert "The service is temporarily unavailable" in response.content.decode()


@pytest.mark.urls("tests.ops.failing_urls")
def test_under_the_api_a_lost_database_is_a_503_in_the_json_error_envelope(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/lost")
    assert response.status_code == 503
    assert list(response.json()["errors"]) == ["database"]


@pytest.mark.urls("tests.ops.failing_urls")
def test_under_the_api_another_failure_is_a_json_500_without_internals(client):
    client.raise_request_exception = False
    response = client.get("/api/v1/crash")
    assert response.status_code == 500
    assert list(response.json()["errors"]) == ["server"]
    assert b"secret internal detail" not in response.content


def _record(message: str, error: BaseException | None = None, **extra) -> logging.LogRecord:
    exc_info = None
    if error is not None:
        try:
            raise error
        except type(error):
            exc_info = sys.exc_info()
    record = logging.LogRecord("django.request", logging.ERROR, __file__, 1, message, (), exc_info)
    record.__dict__.update(extra)
    return record


def test_a_database_failure_is_logged_in_one_line_without_its_traceback():
    record = _record(
        "Service Unavailable: /healthz", OperationalError("connection refused\n\tIs it running?")
    )
    assert PrivateRecords().filter(record)
    line = logging.Formatter().format(record)
    assert line == (
        "Service Unavailable: /healthz (database unavailable: OperationalError: connection refused)"
    )


def test_other_failures_keep_their_traceback():
    record = _record("Internal Server Error: /", RuntimeError("bug"))
    PrivateRecords().filter(record)
    assert "Traceback" in logging.Formatter().format(record)


def test_no_record_carries_the_request_to_a_handler(rf):
    request = rf.post("/", {"patient_name": "Jane Doe"})
    record = _record("Bad Request: /", request=request)
    PrivateRecords().filter(record)
    assert not hasattr(record, "request")


def test_the_development_server_logs_no_query_string():
    record = logging.LogRecord(
        "django.server",
        logging.INFO,
        __file__,
        1,
        '"%s" %s %s',
        ("GET /?patient_name=Jane+Doe HTTP/1.1", "200", "512"),
        None,
    )
    PrivateRecords().filter(record)
    assert record.getMessage() == '"GET / HTTP/1.1" 200 512'
