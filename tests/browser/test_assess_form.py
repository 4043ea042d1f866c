"""The clinician form in a real browser: keyboard, mouse, live results, the URL, no JavaScript."""

import re

import pytest
from playwright.sync_api import expect

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRPS = "complex_regional_pain_syndrome"
# The tests that follow the notes use the mini knowledge base (tests/conftest.py) for its few,
# stable titles; the others use `release`, the shipped knowledge base where there is one.
PSYCHOSIS_CAUTION = "Ketamine with a history of psychosis"
# The notes on CRPS in the order the page shows them: card by card (ketamine's mixed evidence
# first), this patient's cautions first in each, then the class as a whole.
ON_SERTRALINE_WITH_PSYCHOSIS = [
    PSYCHOSIS_CAUTION,
    "Ketamine for CRPS: mixed evidence",
    "Dextromethorphan with serotonergic medicines: serotonin toxicity",
    "Dextromethorphan for complex regional pain syndrome (CRPS): no direct evidence",
    "What reviews say about the class",
]
ON_MORPHINE_AND_SERTRALINE = [
    "Ketamine for CRPS: mixed evidence",
    "Ketamine added to an opioid",
    "Dextromethorphan with serotonergic medicines: serotonin toxicity",
    "Dextromethorphan for complex regional pain syndrome (CRPS): no direct evidence",
    "What reviews say about the class",
]


def _mark_page(page) -> None:
    # Survives only as long as the document does: gone after any full page load.
    page.evaluate("window.__samePage = true")


def _same_page(page) -> bool:
    return page.evaluate("window.__samePage === true")


def test_the_form_can_be_filled_by_keyboard_and_answers_in_place(page, mini_release):
    page.goto("/")
    _mark_page(page)
    page.locator("#id_pain_type").focus()
    # Type-ahead in a closed <select>: "Complex regional…" is the only pain type starting "Com".
    page.keyboard.type("Com")
    page.keyboard.press("Tab")
    expect(page.locator("#result-cards")).to_be_visible()
    assert page.locator("#id_pain_type").input_value() == CRPS

    page.locator("#analgesics-filter").focus()
    page.keyboard.type("sertra")
    page.keyboard.press("Enter")  # the only match is ticked, the filter clears
    expect(
        page.locator('#assess-form input[name="analgesics"][value="sertraline"]')
    ).to_be_checked()
    expect(page.locator("#analgesics-filter")).to_have_value("")
    expect(page.locator("#analgesics-filter-status")).to_have_text("Ticked Sertraline.")

    page.locator('#assess-form input[name="factors"][value="psychosis_history"]').focus()
    page.keyboard.press("Space")
    expect(page.locator("#result")).to_contain_text(PSYCHOSIS_CAUTION)
    expect(page.locator("#result .note-title-text")).to_have_text(ON_SERTRALINE_WITH_PSYCHOSIS)
    assert _same_page(page)


def test_the_form_can_be_filled_by_mouse_and_answers_in_place(page, mini_release):
    page.goto("/")
    _mark_page(page)
    page.select_option("#id_pain_type", CRPS)
    page.get_by_label("Morphine", exact=True).click()
    page.get_by_label("Sertraline", exact=True).click()
    expect(page.locator("#result .note-title-text")).to_have_text(ON_MORPHINE_AND_SERTRALINE)
    expect(page).to_have_url(re.compile(r"analgesics=morphine&analgesics=sertraline"))
    assert _same_page(page)


def test_ticking_a_factor_shows_its_caution_and_unticking_removes_it(page, mini_release):
    page.goto(f"/?pain_type={CRPS}")
    _mark_page(page)
    expect(page.locator("#result-cards")).to_be_visible()
    expect(page.locator("#result")).not_to_contain_text(PSYCHOSIS_CAUTION)
    factor = page.locator('#assess-form input[name="factors"][value="psychosis_history"]')

    factor.check()
    expect(page.locator("#result")).to_contain_text(PSYCHOSIS_CAUTION)
    expect(page.locator("#result-announcer")).to_contain_text("Notes updated")
    factor.uncheck()
    expect(page.locator("#result")).not_to_contain_text(PSYCHOSIS_CAUTION)
    assert _same_page(page)


def test_clearing_the_pain_type_clears_the_notes(page, release):
    page.goto(f"/?pain_type={CRPS}&factors=psychosis_history")
    expect(page.locator("#result-cards")).to_be_visible()
    page.select_option("#id_pain_type", "")
    expect(page.locator("#result-empty")).to_be_visible()
    expect(page.locator("#result-cards")).to_have_count(0)
    expect(page).to_have_url(re.compile(r"pain_type=&factors=psychosis_history$"))


def test_a_reload_keeps_the_state_from_the_url(page, mini_release):
    page.goto("/")
    page.select_option("#id_pain_type", CRPS)
    page.locator('#assess-form input[name="factors"][value="psychosis_history"]').check()
    expect(page).to_have_url(re.compile(r"factors=psychosis_history"))
    expect(page.locator("#result")).to_contain_text(PSYCHOSIS_CAUTION)

    page.reload()
    expect(page.locator("#id_pain_type")).to_have_value(CRPS)
    expect(
        page.locator('#assess-form input[name="factors"][value="psychosis_history"]')
    ).to_be_checked()
    expect(page.locator("#result")).to_contain_text(PSYCHOSIS_CAUTION)


def test_the_filter_hides_medicines_that_do_not_match(page, release):
    page.goto("/")
    page.locator("#analgesics-filter").fill("opio")  # a class name lists the whole class
    expect(page.get_by_label("Morphine", exact=True)).to_be_visible()
    expect(page.get_by_label("Sertraline", exact=True)).to_be_hidden()
    expect(page.locator("#analgesics-filter-status")).to_contain_text("match")
    page.locator("#analgesics-filter").fill("sertr")
    expect(page.get_by_label("Sertraline", exact=True)).to_be_visible()
    expect(page.get_by_label("Morphine", exact=True)).to_be_hidden()
    page.locator("#analgesics-filter").press("Escape")
    expect(page.get_by_label("Morphine", exact=True)).to_be_visible()


def test_a_ticked_medicine_can_be_unticked_from_the_ticked_list(page, release):
    page.goto(f"/?pain_type={CRPS}&analgesics=morphine")
    page.get_by_role("button", name="Untick Morphine").click()
    expect(page.get_by_label("Morphine", exact=True)).not_to_be_checked()
    expect(page).not_to_have_url(re.compile("analgesics="))


def test_without_javascript_submitting_gives_the_same_results(page_without_js, mini_release):
    page = page_without_js
    page.goto("/")
    expect(page.locator("#analgesics-filter-box")).to_be_hidden()
    page.select_option("#id_pain_type", CRPS)
    page.get_by_label("Sertraline", exact=True).check()
    page.locator('#assess-form input[name="factors"][value="psychosis_history"]').check()
    page.get_by_role("button", name="Show notes").click()
    expect(page).to_have_url(re.compile(r"pain_type=complex_regional_pain_syndrome"))
    expect(page.locator("#result .note-title-text")).to_have_text(ON_SERTRALINE_WITH_PSYCHOSIS)
    expect(page.locator("#disclaimer")).to_be_visible()


def test_the_form_fits_a_375_pixel_screen(page, release):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(f"/?pain_type={CRPS}&factors=psychosis_history")
    expect(page.locator("#result-cards")).to_be_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 375


def test_the_pages_run_without_script_or_style_errors(page, release):
    # A CSP violation (inline script or style) is reported as a console error.
    page.goto(f"/?pain_type={CRPS}")
    page.locator('#assess-form input[name="factors"][value="psychosis_history"]').check()
    expect(page.locator("#result-announcer")).to_contain_text("Notes updated")
    assert page.console_errors == []
