"""Deploy check: an API open to anyone must be a decision an operator made on purpose."""

from django.conf import settings
from django.core.checks import Tags, Warning, register


@register(Tags.security, deploy=True)
def check_api_keys_required(app_configs, **kwargs):
    if settings.API_KEYS_REQUIRED or settings.DEBUG:
        return []
    return [
        Warning(
            "API_KEYS_REQUIRED is off with DEBUG off: anyone who reaches the server can store "
            "assessments through POST /api/v1/assessments without an API key.",
            hint="Set API_KEYS_REQUIRED=true and give each client system its own key "
            "(manage.py create_api_key NAME), unless something in front of the app "
            "authenticates every client.",
            id="access.W001",
        )
    ]
