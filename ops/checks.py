"""System checks for settings that would make limits or releases behave other than documented."""

from __future__ import annotations

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register
from django.urls import URLResolver, get_resolver

from ops.ratelimits import LIMITED_VIEWS

# Caches every process of every server sees alike.
SHARED_CACHES = {
    "django.core.cache.backends.redis.RedisCache",
    "django.core.cache.backends.memcached.PyMemcacheCache",
    "django.core.cache.backends.memcached.PyLibMCCache",
}


@register(Tags.urls)
def check_limited_views_exist(app_configs, **kwargs):
    """A renamed URL would silently lose its rate limit."""
    names = set(_view_names(get_resolver()))
    return [
        Error(
            f"The rate-limited view {view_name!r} has no URL.",
            hint="Update LIMITED_VIEWS in ops/ratelimits.py to the view's new name.",
            id="ops.E001",
        )
        for view_name, _method in LIMITED_VIEWS
        if view_name not in names
    ]


def _view_names(resolver: URLResolver, prefix: str = ""):
    for pattern in resolver.url_patterns:
        if isinstance(pattern, URLResolver):
            namespace = f"{prefix}{pattern.namespace}:" if pattern.namespace else prefix
            yield from _view_names(pattern, namespace)
        elif pattern.name:
            yield f"{prefix}{pattern.name}"


@register(Tags.caches, deploy=True)
def check_shared_cache(app_configs, **kwargs):
    if settings.CACHES["default"]["BACKEND"] in SHARED_CACHES:
        return []
    seconds = settings.RELEASE_CHECK_SECONDS
    warnings = [
        Warning(
            "Without a shared cache, each process learns of a rollback or a new release only "
            f"when it next asks the database: a withdrawn release may still answer for up to "
            f"{seconds} s (RELEASE_CHECK_SECONDS) after a rollback.",
            hint="Set REDIS_URL so that every process learns of a rollback at once.",
            id="ops.W001",
        )
    ]
    if settings.RATELIMIT_ENABLE:
        warnings.append(
            Warning(
                "Without a shared cache, every process counts rate limits on its own: a client "
                "gets the limit once per worker and per server.",
                hint="Set REDIS_URL so that the limits hold across processes.",
                id="ops.W002",
            )
        )
    return warnings
