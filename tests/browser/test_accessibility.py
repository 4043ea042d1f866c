"""axe-core (through axe-playwright-python) finds no WCAG violation on the clinician's pages."""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRPS = "complex_regional_pain_syndrome"


def _assert_no_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_the_empty_form_has_no_accessibility_violations(page, release):
    page.goto("/")
    _assert_no_violations(page)


def test_the_form_with_results_and_open_evidence_has_no_accessibility_violations(page, release):
    page.goto("/")
    page.select_option("#id_pain_type", CRPS)
    page.locator('#assess-form input[name="factors"][value="psychosis_history"]').check()
    page.get_by_label("Sertraline", exact=True).check()
    expect(page.locator("#result-announcer")).to_contain_text("Notes updated")
    page.get_by_role("button", name="Expand all").click()
    page.locator("#result-cards details.evidence summary").first.click()
    _assert_no_violations(page)


def test_a_form_error_has_no_accessibility_violations(page, release):
    page.goto(f"/?pain_type={CRPS}&analgesics=unobtainium")
    expect(page.locator("#result-errors")).to_be_visible()
    _assert_no_violations(page)


def test_the_stored_summary_has_no_accessibility_violations(page, release):
    page.goto(f"/?pain_type={CRPS}&factors=psychosis_history")
    page.get_by_role("button", name="Save and print").click()
    page.wait_for_url(re.compile(r"/assessments/[0-9a-f-]{36}/$"))
    _assert_no_violations(page)


def test_the_narrow_form_has_no_accessibility_violations(page, release):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/?pain_type={CRPS}")
    _assert_no_violations(page)
