"""Playwright (sync API) driving Debian's Chromium against pytest-django's live server.

No browser is ever downloaded: Chromium comes from the system (`/usr/bin/chromium`, or
`CHROMIUM_PATH`). Without it the browser tests skip with the reason, except under CI (`CI` set),
where a missing browser fails the run. A failing test leaves a full-page screenshot in
test-artifacts/.
"""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import pytest

# Playwright's sync API runs an event loop in this thread; Django then refuses database access
# from "an async context". The tests' own queries are synchronous, so the check does not apply
# (the pattern pytest-django documents for Playwright).
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
LAUNCH_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-dev-shm-usage",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def _chromium() -> str | None:
    found = shutil.which(CHROMIUM)
    return found if found and Path(found).is_file() else None


@pytest.fixture(scope="session")
def browser():
    path = _chromium()
    if path is None:
        reason = (
            f"Chromium not found at {CHROMIUM} (apt-get install chromium, or set CHROMIUM_PATH)"
        )
        if os.environ.get("CI"):
            pytest.fail(f"{reason}; CI must run the browser tests", pytrace=False)
        pytest.skip(reason)
    from playwright.sync_api import expect, sync_playwright

    # A loaded CI machine can take a few seconds to render a PDF or answer a live update.
    expect.set_options(timeout=10_000)
    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=path, args=LAUNCH_ARGS)
        yield chromium
        chromium.close()


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    # Keep each phase's report on the item, so fixtures can tell whether the test failed.
    report = yield
    setattr(item, f"report_{report.when}", report)
    return report


def _open(browser, live_server, request, **options):
    context = browser.new_context(base_url=live_server.url, **options)
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    # A CSP violation or a script error shows up as a console error: collect them all.
    page.on("console", lambda message: message.type == "error" and errors.append(message.text))
    page.on("pageerror", lambda error: errors.append(str(error)))
    page.console_errors = errors
    return context, page


def _screenshot_on_failure(request, page) -> None:
    report = getattr(request.node, "report_call", None)
    if report is not None and report.failed:
        ARTIFACTS.mkdir(exist_ok=True)
        name = re.sub(r"[^A-Za-z0-9_.-]+", "_", request.node.nodeid)[-150:]
        try:
            page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
        except Exception as error:  # noqa: BLE001 - a failed screenshot must not hide the failure
            print(f"could not save a screenshot: {error}")


@pytest.fixture
def page(browser, live_server, request):
    context, page = _open(browser, live_server, request, viewport={"width": 1280, "height": 900})
    yield page
    _screenshot_on_failure(request, page)
    context.close()


@pytest.fixture
def page_without_js(browser, live_server, request):
    context, page = _open(
        browser,
        live_server,
        request,
        java_script_enabled=False,
        viewport={"width": 1280, "height": 900},
    )
    yield page
    _screenshot_on_failure(request, page)
    context.close()


@pytest.fixture
def mini_kb(db, settings):
    """tests/conftest.py's mini knowledge base, built in one transaction.

    Browser tests commit as they go (the live server reads the data from another thread), and on
    PostgreSQL a published record must cite its sources by the time it is committed: the
    factories add the sources after the record, so the whole base is committed at once.
    """
    from django.db import transaction

    from tests.conftest import _build_mini_kb

    settings.SIMPLE_HISTORY_ENABLED = False
    with transaction.atomic():
        kb = _build_mini_kb()
    settings.SIMPLE_HISTORY_ENABLED = True
    return kb


@pytest.fixture
def release(request):
    """The shipped knowledge base once evidence/knowledge_base.yaml loads; else the mini one."""
    from decision.knowledge_base import DEFAULT_PATH

    if DEFAULT_PATH.exists():
        return request.getfixturevalue("shipped_release")
    return request.getfixturevalue("mini_release")
