"""Production posture: headers, CSP, error pages, deploy checks and refusing unsafe start-up."""

import os
import re
import secrets
import subprocess
import sys
from pathlib import Path

import pytest

from decision.disclaimer import DISCLAIMER

ROOT = Path(__file__).resolve().parent.parent


def test_every_response_carries_the_security_headers(client):
    response = client.get("/livez")
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    assert response["X-Frame-Options"] == "DENY"
    assert response["Cross-Origin-Opener-Policy"] == "same-origin"


def test_the_content_security_policy_allows_no_inline_or_eval_script(client):
    policy = client.get("/livez")["Content-Security-Policy"]
    directives = {part.split()[0]: part.split()[1:] for part in policy.split(";") if part.strip()}
    assert directives["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in policy
    assert "'unsafe-eval'" not in policy
    assert directives["frame-ancestors"] == ["'none'"]


@pytest.mark.django_db
def test_pages_hold_no_inline_script_the_policy_would_block(client, mini_release):
    html = client.get("/").content.decode()
    scripts = re.findall(r"<script\b[^>]*>", html)
    assert scripts, "htmx should be loaded"
    assert all("src=" in tag for tag in scripts)
    bodies = re.findall(r"<script\b[^>]*>(.*?)</script>", html, flags=re.DOTALL)
    assert all(not body.strip() for body in bodies)


@pytest.mark.urls("tests.error_urls")
@pytest.mark.parametrize(
    ("path", "status", "heading"),
    [
        ("/boom/400", 400, "Bad request"),
        ("/boom/403", 403, "Not allowed"),
        ("/no/such/page", 404, "Page not found"),
        ("/boom/500", 500, "Something went wrong"),
    ],
)
def test_error_pages_use_the_site_layout_without_internals(client, path, status, heading):
    client.raise_request_exception = False
    response = client.get(path)
    html = response.content.decode()
    assert response.status_code == status
    assert heading in html
    assert DISCLAIMER.replace("'", "&#x27;") in html
    assert "Traceback" not in html
    assert "secret internal detail" not in html


def _manage(*args: str, **env: str) -> subprocess.CompletedProcess:
    # The browser tests' DJANGO_ALLOW_ASYNC_UNSAFE is no part of a deployment.
    inherited = {"SECRET_KEY", "DEBUG", "DJANGO_ALLOW_ASYNC_UNSAFE"}
    clean = {key: value for key, value in os.environ.items() if key not in inherited}
    clean.update(env)
    return subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=120,
    )


PRODUCTION = {
    "DEBUG": "false",
    "ALLOWED_HOSTS": "nmdar.example.org",
    "CSRF_TRUSTED_ORIGINS": "https://nmdar.example.org",
    "SECURE_SSL_REDIRECT": "true",
    "SECURE_PROXY_SSL_HEADER": "true",
    "SECURE_HSTS_SECONDS": "31536000",
    "SECURE_HSTS_INCLUDE_SUBDOMAINS": "true",
    "SECURE_HSTS_PRELOAD": "true",
    # Checks read the setting; nothing connects to it.
    "REDIS_URL": "redis://127.0.0.1:6379/0",
    "RATELIMIT_ENABLE": "true",
}


def test_check_deploy_is_clean_with_production_values(tmp_path):
    result = _manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **PRODUCTION,
    )
    assert result.returncode == 0, result.stderr
    assert "no issues" in result.stdout


def test_check_deploy_warns_how_long_a_withdrawn_release_may_answer_without_a_shared_cache(
    tmp_path,
):
    env = {**PRODUCTION, "REDIS_URL": "", "RELEASE_CHECK_SECONDS": "7"}
    result = _manage(
        "check",
        "--deploy",
        SECRET_KEY=secrets.token_urlsafe(50),
        DATABASE_URL=f"sqlite:///{tmp_path / 'deploy.sqlite3'}",
        **env,
    )
    assert "(ops.W001)" in result.stderr
    assert "a withdrawn release may still answer for up to 7 s" in result.stderr
    assert "(ops.W002)" in result.stderr  # rate limits counted per process


@pytest.mark.parametrize(
    ("env", "message"),
    [
        ({"DEBUG": "false"}, "Configuration error: SECRET_KEY must be set when DEBUG is off"),
        *[
            ({"DEBUG": "false", "SECRET_KEY": key}, "Configuration error: SECRET_KEY must be")
            for key in (
                secrets.token_urlsafe(36)[:49],  # too short
                "ab" * 40,  # too few different characters
                "django-insecure-" + secrets.token_urlsafe(50),
            )
        ],
        (
            {"DEBUG": "false", "SECRET_KEY": secrets.token_urlsafe(50), "ALLOWED_HOSTS": "*"},
            "Configuration error: ALLOWED_HOSTS must name the hosts",
        ),
        (
            {"DEBUG": "true", "RATELIMIT_API": "lots"},
            "Configuration error: RATELIMIT_API must be rates such as 30/m",
        ),
        (
            # Read for PostgreSQL only: the refusal comes before any connection is made.
            {
                "DEBUG": "true",
                "DATABASE_URL": "postgres://postgres@127.0.0.1:5432/nmdar",
                "DATABASE_CLIENT_TIMEOUT": "soon",
            },
            "Configuration error: DATABASE_CLIENT_TIMEOUT must be a number of seconds",
        ),
        ({"DEBUG": "maybe"}, "Configuration error: DEBUG must be true or false"),
        (
            {"DEBUG": "true", "DATABASE_URL": "mysql://db/nmdar"},
            "Configuration error: DATABASE_URL must start with sqlite:// or postgres://",
        ),
        (
            {"DEBUG": "true", "SECURE_HSTS_SECONDS": "a year"},
            "Configuration error: SECURE_HSTS_SECONDS must be a whole number",
        ),
    ],
)
def test_start_up_refuses_an_unsafe_configuration_in_one_line(env, message):
    result = _manage("check", **env)
    assert result.returncode == 1
    assert result.stderr.startswith(message)
    assert result.stderr.count("\n") == 1
    assert "Traceback" not in result.stderr
