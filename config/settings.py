"""Settings for the NMDAR decision-support app, read from the environment.

Every deploy value comes from an environment variable (see the README's table). A value that
would make the app unsafe or unable to start stops start-up with a one-line message instead of
a traceback, so an operator sees at once what to fix.
"""

import os
import re
import sys
from datetime import timedelta
from pathlib import Path
from urllib.parse import unquote, urlsplit

import xstatic.pkg.bootstrap
from csp.constants import NONE, SELF
from django.core.checks.security.base import (
    SECRET_KEY_INSECURE_PREFIX,
    SECRET_KEY_MIN_LENGTH,
    SECRET_KEY_MIN_UNIQUE_CHARACTERS,
    _check_secret_key,
)

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"


def _refuse(message: str) -> None:
    sys.exit(f"Configuration error: {message}")


def env_str(name: str, default: str = "") -> str:
    return os.environ.get(name, default)


def env_bool(name: str, default: bool = False) -> bool:
    raw = os.environ.get(name)
    if raw is None or raw.strip() == "":
        return default
    value = raw.strip().lower()
    if value in {"1", "true", "yes", "on"}:
        return True
    if value in {"0", "false", "no", "off"}:
        return False
    _refuse(f"{name} must be true or false, not {raw!r}")


def env_int(name: str, default: int) -> int:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        return int(raw)
    except ValueError:
        _refuse(f"{name} must be a whole number, not {raw!r}")


def env_list(name: str, default: str = "") -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


def env_seconds(name: str, default: float) -> float:
    raw = os.environ.get(name, "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        value = -1.0
    if not value >= 0:
        _refuse(f"{name} must be a number of seconds (0 or more), not {raw!r}")
    return value


def env_rate(name: str, default: str) -> tuple[str, ...]:
    # django-ratelimit's notation: a count per second, minute, hour or day, e.g. 30/m or 3/10s;
    # several, comma-separated, must all hold (a burst and a rate).
    raw = os.environ.get(name, "").strip() or default
    rates = tuple(part.strip() for part in raw.split(","))
    if not all(re.fullmatch(r"[1-9]\d*/\d*[smhd]", rate) for rate in rates):
        _refuse(f"{name} must be rates such as 30/m or 3/10s,20/m (per s, m, h or d), not {raw!r}")
    return rates


def _postgres_options() -> dict:
    """libpq parameters bounding every wait on PostgreSQL (see docs/deploy.md)."""

    def milliseconds(name: str, default: float) -> int:
        return round(env_seconds(name, default) * 1000)

    server_limits = {
        "statement_timeout": milliseconds("DATABASE_STATEMENT_TIMEOUT", 1.5),
        "idle_in_transaction_session_timeout": milliseconds(
            "DATABASE_IDLE_IN_TRANSACTION_TIMEOUT", 10
        ),
        # A query whose client has gone (its socket was shut down) is stopped, not finished.
        "client_connection_check_interval": 1000,
    }
    return {
        # libpq waits at least 2 s, whatever is asked for.
        "connect_timeout": env_int("DATABASE_CONNECT_TIMEOUT", 2),
        "keepalives": 1,
        "keepalives_idle": env_int("DATABASE_KEEPALIVES_IDLE", 30),
        "keepalives_interval": env_int("DATABASE_KEEPALIVES_INTERVAL", 10),
        "keepalives_count": env_int("DATABASE_KEEPALIVES_COUNT", 3),
        "options": " ".join(f"-c {name}={value}" for name, value in server_limits.items()),
    }


def database_from_url(url: str) -> dict:
    """Turn `sqlite:///path` or `postgres://user:pass@host:port/name` into a DATABASES entry."""
    parts = urlsplit(url)
    if parts.scheme == "sqlite":
        path = unquote(parts.path)
        # sqlite:///relative.db keeps a leading slash; sqlite:////abs.db means /abs.db
        name = path[1:] if path.startswith("/") else path
        return {"ENGINE": "django.db.backends.sqlite3", "NAME": name or ":memory:"}
    if parts.scheme in {"postgres", "postgresql", "pgsql"}:
        if not parts.path.strip("/"):
            _refuse("DATABASE_URL must name a database, e.g. postgres://user@host:5432/nmdar")
        return {
            # Django's backend plus a client-side deadline on every call (ops/postgresql/base.py).
            "ENGINE": "ops.postgresql",
            "NAME": unquote(parts.path.lstrip("/")),
            "USER": unquote(parts.username or ""),
            "PASSWORD": unquote(parts.password or ""),
            "HOST": parts.hostname or "",
            "PORT": str(parts.port or ""),
            # Persistent connections: a warm request must not pay for a new connection.
            "CONN_MAX_AGE": env_int("DATABASE_CONN_MAX_AGE", 600),
            "CONN_HEALTH_CHECKS": True,
            "CLIENT_TIMEOUT": env_seconds("DATABASE_CLIENT_TIMEOUT", 2),
            # Rows of `.iterator()` then arrive within the bounded execute, not in later fetches.
            "DISABLE_SERVER_SIDE_CURSORS": True,
            "OPTIONS": _postgres_options(),
        }
    _refuse(
        f"DATABASE_URL must start with sqlite:// or postgres://, not {parts.scheme or url!r}://"
    )


DEBUG = env_bool("DEBUG", default=False)

SECRET_KEY = env_str("SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG:
        _refuse("SECRET_KEY must be set when DEBUG is off")
    SECRET_KEY = "insecure-development-key-never-used-with-debug-off"  # noqa: S105
elif not DEBUG and not _check_secret_key(SECRET_KEY):
    # The rule of Django's own deploy check (security.W009), enforced instead of warned about.
    _refuse(
        f"SECRET_KEY must be at least {SECRET_KEY_MIN_LENGTH} characters with at least "
        f"{SECRET_KEY_MIN_UNIQUE_CHARACTERS} different ones, and not start with "
        f"{SECRET_KEY_INSECURE_PREFIX!r}: e.g. python3 -c 'import secrets; "
        "print(secrets.token_urlsafe(50))'"
    )

ALLOWED_HOSTS = env_list("ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]")
if not DEBUG and "*" in ALLOWED_HOSTS:
    _refuse("ALLOWED_HOSTS must name the hosts the app answers to, not '*', when DEBUG is off")
CSRF_TRUSTED_ORIGINS = env_list("CSRF_TRUSTED_ORIGINS")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django_htmx",
    "template_partials",
    "crispy_forms",
    "crispy_bootstrap5",
    "csp",
    "simple_history",
    "axes",
    "evidence",
    "decision",
    "ops",
    "access",
    "cdshooks",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # Compresses what the app renders (HTML, JSON), so it comes after whitenoise, which serves
    # static files precompressed itself, and above every middleware that reads or writes a body.
    # Why compression is safe here against BREACH: docs/deploy.md, "Compression".
    "django.middleware.gzip.GZipMiddleware",
    "csp.middleware.CSPMiddleware",
    # Before anything reads request.POST (the CSRF check does).
    "ops.middleware.FormEncodingMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    # Before the CSRF check, so that a flood with bad tokens is counted too.
    "ops.ratelimits.RateLimitMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    # Last, as django-axes requires: it turns a lockout into its answer.
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
            ],
        },
    },
]

DATABASES = {
    "default": database_from_url(
        env_str("DATABASE_URL", f"sqlite:///{VAR_DIR / 'db.sqlite3'}"),
    )
}
if DATABASES["default"]["ENGINE"].endswith("sqlite3"):
    VAR_DIR.mkdir(exist_ok=True)

REDIS_URL = env_str("REDIS_URL")
if REDIS_URL:
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": env_str("CACHE_KEY_PREFIX", "nmdar"),
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

LANGUAGE_CODE = "en-gb"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = Path(env_str("STATIC_ROOT", str(VAR_DIR / "static")))
STATICFILES_DIRS = [
    BASE_DIR / "static",
    ("bootstrap", xstatic.pkg.bootstrap.BASE_DIR),
]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        # Hashed, compressed files need `collectstatic`; development and tests serve them as is.
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if env_bool("STATIC_MANIFEST", default=not DEBUG)
        else "django.contrib.staticfiles.storage.StaticFilesStorage",
    },
}

LOGIN_URL = "admin:login"
# No request body beyond 64 KiB is read (the API contract's limit; the largest admin form is a
# fraction of it, and uploaded reference files do not count).
DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024

# The admin: django-axes locks out a user name, or an address, after repeated failures, and logs
# each failure (user name, address, user agent; never the password). Only curators and reviewers
# have sessions (the clinician pages keep none), so the session lifetime is their idle timeout:
# every request renews it.
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env_int("ADMIN_LOCKOUT_FAILURES", 5)
AXES_COOLOFF_TIME = timedelta(minutes=env_int("ADMIN_LOCKOUT_MINUTES", 30))
AXES_LOCKOUT_PARAMETERS = ["username", "ip_address"]
AXES_RESET_ON_SUCCESS = True
AXES_CLIENT_IP_CALLABLE = "ops.clients.client_ip"
# Axes masks the user name and address in its log lines by default; an operator needs them to
# see an attack and to unlock (`manage.py axes_reset_username`). The password is always masked.
AXES_SENSITIVE_PARAMETERS = []
AXES_LOCKOUT_TEMPLATE = "admin/locked_out.html"
SESSION_COOKIE_AGE = env_int("ADMIN_SESSION_IDLE_MINUTES", 30) * 60
SESSION_SAVE_EVERY_REQUEST = True

# Rate limits per client address (django-ratelimit's counters, in the default cache: shared
# between processes when REDIS_URL is set). See ops/ratelimits.py and docs/deploy.md.
RATELIMIT_ENABLE = env_bool("RATELIMIT_ENABLE", default=True)
RATE_LIMITS = {
    "api": env_rate("RATELIMIT_API", "120/m"),
    "save": env_rate("RATELIMIT_SAVE", "30/m"),
    # A new PDF costs about half a second of a worker: a burst is held to 3.
    "pdf": env_rate("RATELIMIT_PDF", "3/10s,20/m"),
    "admin_login": env_rate("RATELIMIT_ADMIN_LOGIN", "10/m"),
    # One EHR calls from one address for all its clinicians: a limit only a flood reaches.
    "cds": env_rate("RATELIMIT_CDS", "1200/m"),
}
RATELIMIT_IP_META_KEY = "ops.clients.client_ip"
# The proxies whose X-Real-IP header names the client (gunicorn reads the same variable).
FORWARDED_ALLOW_IPS = env_list("FORWARDED_ALLOW_IPS", "127.0.0.1")

# Security posture. Behind a TLS-terminating proxy set SECURE_PROXY_SSL_HEADER=true (the proxy
# must set X-Forwarded-Proto) and SECURE_SSL_REDIRECT=true.
SECURE_SSL_REDIRECT = env_bool("SECURE_SSL_REDIRECT", default=False)
if env_bool("SECURE_PROXY_SSL_HEADER", default=False):
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_HSTS_SECONDS = env_int("SECURE_HSTS_SECONDS", 0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=False)
SECURE_HSTS_PRELOAD = env_bool("SECURE_HSTS_PRELOAD", default=False)
SESSION_COOKIE_SECURE = env_bool("SECURE_COOKIES", default=not DEBUG)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
SESSION_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"

CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        "style-src": [SELF],
        # Bootstrap draws form controls (checkbox ticks, select arrows) with data: SVGs.
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    },
}

CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"}},
    # No request body, form data or query string reaches a log line; a database outage is one
    # line per failed request, not a traceback each (ops/logging.py).
    "filters": {"private": {"()": "ops.logging.PrivateRecords"}},
    "handlers": {
        "console": {"class": "logging.StreamHandler", "formatter": "plain", "filters": ["private"]}
    },
    "root": {"handlers": ["console"], "level": env_str("LOG_LEVEL", "INFO")},
    "loggers": {
        # Django's own handlers (the e-mail report carries the request's POST data; the
        # development server's prints whole request lines) give way to the filtered console.
        "django": {"handlers": [], "level": "INFO"},
        "django.server": {"handlers": [], "propagate": True},
        # django-axes announces its configuration at every start.
        "axes.apps": {"level": "WARNING"},
        # WeasyPrint and fontTools narrate every PDF at INFO; only their problems matter here.
        "weasyprint": {"level": "WARNING"},
        "fontTools": {"level": "WARNING"},
    },
}

# How long a process may serve its in-memory release before asking the database again, when no
# shared cache announces a newer one (see decision/releases.py).
RELEASE_CHECK_SECONDS = env_int("RELEASE_CHECK_SECONDS", 5)
# Stored assessments older than this are removed by `purge_assessments` (0 keeps them forever).
ASSESSMENT_RETENTION_DAYS = env_int("ASSESSMENT_RETENTION_DAYS", 90)
# On PostgreSQL, store an assessment without waiting for its log record to reach disk (see
# decision/assessments.py: store_assessment). Curation and publishing always wait.
ASSESSMENT_ASYNC_COMMIT = env_bool("ASSESSMENT_ASYNC_COMMIT", default=True)
# Machine clients of POST /api/v1/assessments present an API key (access/). Turned off only
# when an operator opens the API on purpose; a deploy check warns when it is off with DEBUG off.
API_KEYS_REQUIRED = env_bool("API_KEYS_REQUIRED", default=not DEBUG)

# CDS Hooks (docs/cds-hooks.md). The public base URL the EHRs call, e.g. https://nmdar.example.org:
# a token's `aud` must be this base plus /cds-services/<id>, and card links start with it. Empty:
# taken from each request (its host must be in ALLOWED_HOSTS).
CDS_HOOKS_BASE_URL = env_str("CDS_HOOKS_BASE_URL").rstrip("/")
# A request carries the patient's prefetched FHIR data, far larger than an API question.
CDS_HOOKS_MAX_BODY_BYTES = env_int("CDS_HOOKS_MAX_BODY_BYTES", 2 * 1024 * 1024)
# Clock difference tolerated on a token's exp and iat, and the longest a token may still be
# valid when it arrives (its jti is remembered that long).
CDS_JWT_LEEWAY_SECONDS = env_int("CDS_JWT_LEEWAY_SECONDS", 30)
CDS_JWT_MAX_LIFETIME_SECONDS = env_int("CDS_JWT_MAX_LIFETIME_SECONDS", 3600)
# The same question from the same release within this time is answered with the assessment
# already stored for it, so its page and PDF are shared.
CDS_ASSESSMENT_REUSE_SECONDS = env_int("CDS_ASSESSMENT_REUSE_SECONDS", 3600)
