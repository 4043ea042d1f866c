"""The printable summary as a PDF, made by WeasyPrint from a template and one small stylesheet.

The stylesheet is read from disk through the staticfiles finders and nothing is fetched over the
network: a PDF never depends on the server reaching itself or anything else. Bootstrap is left
out on purpose; its size makes WeasyPrint several times slower for no visible gain on paper.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

from django.conf import settings
from django.contrib.staticfiles import finders
from django.http import HttpRequest
from django.template.loader import render_to_string
from weasyprint import CSS, HTML
from weasyprint.urls import URLFetcher

STYLESHEET = "css/pdf.css"


class _NoFetching(URLFetcher):
    """Refuses every URL: the document carries all it needs, links are only written."""

    def fetch(self, url, headers=None):
        raise ValueError(f"the PDF renderer fetches nothing ({url})")


def render_pdf(template: str, context: dict, *, request: HttpRequest | None = None) -> bytes:
    html = render_to_string(template, context, request=request)
    fetcher = _NoFetching()
    return HTML(string=html, url_fetcher=fetcher).write_pdf(stylesheets=[_stylesheet()])


@cache
def _stylesheet() -> CSS:
    # Found and parsed once per process; the file only changes with a deploy.
    path = finders.find(STYLESHEET)
    if path is None:  # collected only (no source tree): read it from STATIC_ROOT
        path = str(Path(settings.STATIC_ROOT) / STYLESHEET)
    return CSS(filename=path, url_fetcher=_NoFetching())
