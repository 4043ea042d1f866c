"""`API_KEYS_REQUIRED`: on by default when DEBUG is off, and a deploy warning when turned off."""

import os
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from access.checks import check_api_keys_required

ROOT = Path(__file__).resolve().parents[2]
PRODUCTION = {
    "DEBUG": "false",
    "SECRET_KEY": secrets.token_urlsafe(50),
    "ALLOWED_HOSTS": "nmdar.example.org",
}


def _run(args: list[str], tmp_path, **env: str) -> subprocess.CompletedProcess:
    # Only what a deployment would set: nothing of the test run's own environment.
    inherited = {"SECRET_KEY", "DEBUG", "API_KEYS_REQUIRED", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in inherited}
    clean.update(DATABASE_URL=f"sqlite:///{tmp_path / 'check.sqlite3'}", **env)
    return subprocess.run(
        [sys.executable, *args], cwd=ROOT, env=clean, capture_output=True, text=True, timeout=120
    )


def _setting(tmp_path, **env: str) -> str:
    code = "import config.settings as s; print(s.API_KEYS_REQUIRED)"
    result = _run(["-c", code], tmp_path, **env)
    assert result.returncode == 0, result.stderr
    return result.stdout.strip()


@pytest.mark.parametrize(
    ("env", "required"),
    [
        (PRODUCTION, "True"),
        ({"DEBUG": "true"}, "False"),
        ({**PRODUCTION, "API_KEYS_REQUIRED": "false"}, "False"),
        ({"DEBUG": "true", "API_KEYS_REQUIRED": "true"}, "True"),
    ],
)
def test_keys_are_required_unless_debug_is_on_or_the_operator_opens_the_api(
    tmp_path, env, required
):
    assert _setting(tmp_path, **env) == required


def test_check_deploy_warns_when_the_api_is_open_with_debug_off(tmp_path):
    result = _run(
        ["manage.py", "check", "--deploy"], tmp_path, **PRODUCTION, API_KEYS_REQUIRED="false"
    )
    assert "(access.W001) API_KEYS_REQUIRED is off with DEBUG off" in result.stderr


def test_the_check_is_silent_when_keys_are_required(settings):
    settings.DEBUG, settings.API_KEYS_REQUIRED = False, True
    assert check_api_keys_required(None) == []
    settings.DEBUG, settings.API_KEYS_REQUIRED = True, False
    assert check_api_keys_required(None) == []
    settings.DEBUG, settings.API_KEYS_REQUIRED = False, False
    assert [warning.id for warning in check_api_keys_required(None)] == ["access.W001"]
