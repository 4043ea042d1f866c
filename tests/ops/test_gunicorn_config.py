"""config/gunicorn.py: loopback by default, forwarded headers from the proxy only, no query."""

from __future__ import annotations

import logging
import runpy

import pytest

from tests.ops.servers import GUNICORN_CONFIG


def load(monkeypatch, **env: str) -> dict:
    for name in ("BIND_ADDRESS", "PORT", "WEB_CONCURRENCY", "FORWARDED_ALLOW_IPS"):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONFIG))


def test_it_listens_on_loopback_and_trusts_only_the_local_proxy_by_default(monkeypatch):
    config = load(monkeypatch)
    assert config["bind"] == "127.0.0.1:8000"
    assert config["forwarded_allow_ips"] == "127.0.0.1"
    assert config["workers"] == 2


def test_the_environment_can_say_otherwise(monkeypatch):
    config = load(monkeypatch, BIND_ADDRESS="0.0.0.0", PORT="9000", FORWARDED_ALLOW_IPS="10.0.0.2")  # noqa: S104
    assert config["bind"] == "0.0.0.0:9000"  # noqa: S104
    assert config["forwarded_allow_ips"] == "10.0.0.2"


def test_the_access_log_has_the_path_without_query_string_or_referrer(monkeypatch):
    log_format = load(monkeypatch)["access_log_format"]
    assert "%(U)s" in log_format
    for atom in ("%(r)s", "%(q)s", "%(f)s", "%({"):
        assert atom not in log_format


@pytest.mark.parametrize(
    ("message", "args", "kept"),
    [
        (
            "Invalid request from ip=127.0.0.1: Invalid HTTP Version: 'Doe&dob=1961 HTTP/1.1'",
            (),
            "Invalid request from ip=127.0.0.1: Invalid HTTP Version: '…'",
        ),
        (
            "Error handling request %s %s",
            ("GET", "/?patient_name=Jane"),
            "Error handling request GET /",
        ),
    ],
)
def test_the_error_log_keeps_no_client_data(monkeypatch, message, args, kept):
    config = load(monkeypatch)
    record = logging.LogRecord("gunicorn.error", logging.WARNING, __file__, 1, message, args, None)
    assert config["_NoClientData"]().filter(record)
    assert record.getMessage() == kept
