"""Which address a request comes from, for rate limits and the admin lockout."""

from __future__ import annotations

import ipaddress

from django.conf import settings
from django.http import HttpRequest


def client_ip(request: HttpRequest) -> str:
    """The peer's address, or the X-Real-IP header when the peer is a trusted proxy.

    Behind nginx every request comes from the proxy's address; the proxy names the real client
    in X-Real-IP (deploy/nginx/). A client talking to gunicorn directly cannot, because only
    FORWARDED_ALLOW_IPS are believed. No peer address means a Unix socket, which only the proxy
    can reach.
    """
    peer = request.META.get("REMOTE_ADDR") or ""
    if not peer or peer in settings.FORWARDED_ALLOW_IPS:
        forwarded = request.META.get("HTTP_X_REAL_IP", "").strip()
        if forwarded and _is_address(forwarded):
            return forwarded
    return peer or "0.0.0.0"  # noqa: S104 (an address to count by, not to bind to)


def _is_address(text: str) -> bool:
    try:
        ipaddress.ip_address(text)
    except ValueError:
        return False
    return True
