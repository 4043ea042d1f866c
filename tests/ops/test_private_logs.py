"""Nothing a client sends about a patient reaches a log line of a real gunicorn run."""

from __future__ import annotations

import json
import socket

import pytest

from tests.ops.servers import Gunicorn, fetch, production_env

pytestmark = pytest.mark.server

IDENTIFIERS = "patient_name=Jane+Doe&dob=1961-04-02"
# Django accepts any well-formed token that matches its cookie.
CSRF = "k" * 32


def test_neither_the_access_log_nor_the_error_log_keeps_identifiers(app_database, tmp_path):
    """Query strings and bodies carrying a name and a date of birth, on a real gunicorn run."""
    with Gunicorn(production_env(app_database), tmp_path) as server:
        answers = [
            fetch(server.base, f"/?{IDENTIFIERS}"),
            fetch(server.base, f"/?pain_type=postherpetic_neuralgia&{IDENTIFIERS}"),
            fetch(
                server.base,
                f"/api/v1/assessments?{IDENTIFIERS}",
                method="POST",
                body=json.dumps({"pain_type": "postherpetic_neuralgia"}),
                headers={"Content-Type": "application/json"},
            ),
            # Bodies that the app refuses with 400, which Django's request logger reports.
            fetch(
                server.base,
                f"/api/v1/assessments?{IDENTIFIERS}",
                method="POST",
                body=json.dumps({"pain_type": "Jane Doe", "patient_name": "Jane Doe 1961"}),
                headers={"Content-Type": "application/json"},
            ),
            fetch(
                server.base,
                "/",
                method="POST",
                body=f"pain_type=Jane+Doe&{IDENTIFIERS}",
                headers={
                    "Content-Type": "application/x-www-form-urlencoded",
                    "Cookie": f"csrftoken={CSRF}",
                    "X-CSRFToken": CSRF,
                },
            ),
            fetch(server.base, f"/no/such/page?{IDENTIFIERS}"),
        ]
        # Once gunicorn's bare 500: a form in UTF-16 (item 9 of issue 11).
        utf16 = fetch(
            server.base,
            "/",
            method="POST",
            body=f"pain_type=x&{IDENTIFIERS}".encode("utf-16"),
            headers={
                "Content-Type": "application/x-www-form-urlencoded; charset=utf-16",
                "Cookie": f"csrftoken={CSRF}",
                "X-CSRFToken": CSRF,
            },
        )
        # Request lines gunicorn itself refuses, which its error log quotes.
        for line in (
            b"GET /?patient_name=Jane Doe&dob=1961-04-02 HTTP/1.1",
            b"GET /?patient_name=Jane\x01Doe HTTP/1.1",
        ):
            with socket.create_connection(("127.0.0.1", server.port), timeout=5) as raw:
                raw.sendall(line + b"\r\nHost: 127.0.0.1\r\n\r\n")
                assert raw.recv(100).startswith(b"HTTP/1.1 400")
    assert utf16.status == 400
    assert b"Form data must be sent in UTF-8" in utf16.body
    # Whether the app answers or refuses them, none is a server error, and each is logged.
    assert all(answer.status < 500 for answer in answers), [a.status for a in answers]
    access, errors = server.accesses(), server.errors()
    assert access.count("\n") >= len(answers)
    assert '"GET / HTTP/1.1"' in access
    assert '"POST /api/v1/assessments HTTP/1.1" 400' in access
    assert '"GET /no/such/page HTTP/1.1" 404' in access
    assert "Invalid request from ip=127.0.0.1" in errors  # gunicorn did report the bad lines
    # Django's request logger did report the refusals (it is handed the request, body and all).
    assert "Bad Request: /api/v1/assessments" in errors
    assert "Bad Request: /" in errors
    for log in (access, errors):
        assert "Jane" not in log
        assert "1961" not in log
        assert "patient_name" not in log
