"""The answer at a glance, in Chromium: the bottom line and overview on the first screen, folded
details that keep their place, saving exactly what is on screen, the keyboard, the printout.

Three cases, on the shipped knowledge base: (a) CRPS on morphine and sertraline, aged 65 or over;
(b) painful diabetic neuropathy on duloxetine and pregabalin, severe renal impairment;
(c) postherpetic neuralgia, no medicines.
"""

import re

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import expect

from decision.disclaimer import DISCLAIMER
from decision.models import Assessment
from tests.helpers import pdf_pages, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CASE_A = (
    "/?pain_type=complex_regional_pain_syndrome&analgesics=morphine&analgesics=sertraline"
    "&factors=older_adult"
)
CASE_B = (
    "/?pain_type=painful_diabetic_neuropathy&analgesics=duloxetine&analgesics=pregabalin"
    "&factors=renal_impairment_severe"
)
CASE_C = "/?pain_type=postherpetic_neuralgia"
FIRST_SCREEN = 900


def _box(page, selector: str) -> dict:
    return page.locator(selector).first.evaluate(
        "e => { const r = e.getBoundingClientRect();"
        " return {top: r.top + scrollY, bottom: r.bottom + scrollY}; }"
    )


def _saved_question(assessment: Assessment) -> dict:
    inputs = assessment.inputs
    return {
        key: sorted(value) if isinstance(value, list) else value for key, value in inputs.items()
    }


@pytest.mark.parametrize("case", [CASE_A, CASE_B, CASE_C], ids=["a", "b", "c"])
def test_the_bottom_line_and_the_whole_overview_are_on_the_first_screen(page, release, case):
    page.set_viewport_size({"width": 1366, "height": 900})
    page.goto(case)
    expect(page.locator("#overview tbody tr")).to_have_count(6)
    assert _box(page, "#bottom-line")["top"] >= 0
    assert _box(page, "#overview")["bottom"] <= FIRST_SCREEN
    assert page.evaluate("scrollY") == 0


def test_the_overview_puts_the_best_evidence_first_and_names_this_patients_cautions(page, release):
    page.goto(CASE_A)
    rows = page.locator("#overview tbody tr")
    # Ketamine is the only drug with more than insufficient evidence for CRPS.
    expect(rows.first.locator("th")).to_have_text(re.compile("^Ketamine"))
    expect(rows.first).to_contain_text("Mixed")
    expect(page.locator("#bottom-line")).to_contain_text("mixed (low certainty) for ketamine")
    expect(page.locator("#bottom-line")).to_contain_text(
        "serotonin toxicity (dextromethorphan with sertraline)"
    )
    # With no medicines and no factors, nothing is this patient's.
    page.goto(CASE_C)
    expect(page.locator("#bottom-line")).to_contain_text("No caution applies to this patient")
    expect(page.locator("#overview tbody td:nth-child(4)")).to_have_text(["None"] * 6)


def test_a_row_opens_its_drugs_details_folded_to_titles(page, release):
    page.goto(CASE_A)
    card = page.locator("#card-methadone")
    expect(card).not_to_have_attribute("open", "")
    page.locator("#row-methadone a").click()
    expect(card).to_have_attribute("open", "")
    expect(card.locator(".note-title-text").first).to_be_in_viewport()
    # Inside, this patient's cautions come first, each folded to its title and first line.
    first = card.locator("details.note").first
    expect(first).to_have_class(re.compile("note-alert"))
    expect(first.locator(".note-lede")).to_be_visible()
    expect(first.locator(".note-body")).to_be_hidden()
    expect(card).to_contain_text("Known risks of methadone, whatever the patient")


def test_expand_all_and_collapse_all(page, release):
    page.goto(CASE_A)
    page.get_by_role("button", name="Expand all").click()
    closed = page.locator("#result details.drug-card:not([open]), #result details.note:not([open])")
    expect(closed).to_have_count(0)
    page.get_by_role("button", name="Collapse all").click()
    expect(page.locator("#result details.drug-card[open]")).to_have_count(0)


def test_a_live_update_keeps_the_open_card_open_and_where_it_was(page, release):
    page.goto(CASE_A)
    page.locator("#row-memantine a").click()
    card = page.locator("#card-memantine")
    expect(card).to_have_attribute("open", "")
    card.evaluate("e => e.scrollIntoView({block: 'start', behavior: 'instant'})")
    top = card.evaluate("e => e.getBoundingClientRect().top")
    # A factor that adds cautions to cards above memantine's, ticked without scrolling the page
    # (Playwright's check() would scroll the box into view first).
    page.locator('#assess-form input[value="renal_impairment_severe"]').evaluate("e => e.click()")
    expect(page.locator("#result-inputs")).to_contain_text("Severe renal impairment")
    expect(card).to_have_attribute("open", "")
    assert abs(card.evaluate("e => e.getBoundingClientRect().top") - top) <= 2
    expect(card).to_be_in_viewport()


def test_save_refuses_while_the_notes_catch_up_then_saves_the_form_as_it_is(page, release):
    page.goto(CASE_C)
    # A slow network: every request now takes 600 ms more to answer.
    network = page.context.new_cdp_session(page)
    network.send("Network.enable")
    network.send(
        "Network.emulateNetworkConditions",
        {"offline": False, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1},
    )
    page.locator('#assess-form input[name="factors"][value="older_adult"]').check()
    page.wait_for_timeout(50)
    page.get_by_role("button", name="Save and print").click()  # within 100 ms of the tick
    expect(page.locator("#save-status")).to_contain_text("Not saved")
    assert Assessment.objects.count() == 0

    expect(page.locator("#result-inputs")).to_contain_text("Aged 65 or over")
    page.get_by_role("button", name="Save and print").click()
    page.wait_for_url(re.compile(r"/assessments/[0-9a-f-]{36}/$"))
    stored = Assessment.objects.get()
    assert _saved_question(stored) == {
        "pain_type": "postherpetic_neuralgia",
        "analgesics": [],
        "factors": ["older_adult"],
    }
    expect(page.locator("#result-inputs")).to_contain_text("Aged 65 or over")


def test_offline_the_click_says_the_notes_are_stale_and_saves_nothing(page, release):
    page.goto(CASE_C)
    page.context.set_offline(True)
    page.locator('#assess-form input[name="factors"][value="older_adult"]').check()
    expect(page.locator("#result-stale")).to_be_visible()
    page.get_by_role("button", name="Save and print").click()
    expect(page.locator("#save-status")).to_contain_text("could not be updated")
    page.context.set_offline(False)
    assert Assessment.objects.count() == 0


def test_case_b_by_keyboard_takes_at_most_40_key_presses(page, release):
    page.goto("/")
    presses = 0

    def press(key: str, times: int = 1) -> None:
        nonlocal presses
        for _ in range(times):
            page.keyboard.press(key)
            presses += 1

    def type_text(text: str) -> None:
        nonlocal presses
        page.keyboard.type(text)
        presses += len(text)

    def tab_to(selector: str, limit: int = 40) -> None:
        for _ in range(limit):
            if page.evaluate("s => document.activeElement.matches(s)", selector):
                return
            press("Tab")
        raise AssertionError(f"{selector} not reached by Tab")

    tab_to("#id_pain_type")
    type_text("Pai")  # type-ahead: "Painful diabetic peripheral neuropathy"
    tab_to('input[value="renal_impairment_severe"]')
    press("Space")
    tab_to("#analgesics-filter")
    type_text("dulo")
    press("Enter")
    type_text("prega")
    press("Enter")

    expect(page.locator("#result-inputs")).to_contain_text("Duloxetine, Pregabalin")
    expect(page.locator("#result-inputs")).to_contain_text("Severe renal impairment")
    expect(page.locator("#result-inputs")).to_contain_text("Painful diabetic")
    assert presses <= 40, presses


def _contrast(rgb_a, rgb_b) -> float:
    def luminance(rgb):
        channels = []
        for value in rgb:
            value /= 255
            channels.append(value / 12.92 if value <= 0.03928 else ((value + 0.055) / 1.055) ** 2.4)
        return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]

    light, dark = sorted((luminance(rgb_a), luminance(rgb_b)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


def _rgb(css: str) -> tuple[int, int, int]:
    return tuple(int(part) for part in re.findall(r"\d+", css)[:3])


@pytest.mark.parametrize(
    "selector",
    [
        "#id_pain_type",
        "#analgesics-filter",
        '#assess-form input[value="older_adult"]',
        "#show-notes",
        "#save-form button",
        "#row-ketamine a",
        "#card-ketamine > summary",
    ],
)
def test_every_control_shows_a_focus_ring_of_at_least_3_to_1(page, release, selector):
    page.goto(CASE_A)
    control = page.locator(selector)
    # Keyboard focus (:focus-visible), as a keyboard user gets it.
    control.evaluate("e => e.scrollIntoView({block: 'center'})")
    page.keyboard.press("Tab")
    control.focus()
    style = control.evaluate(
        "e => { const s = getComputedStyle(e); return {width: parseFloat(s.outlineWidth),"
        " style: s.outlineStyle, colour: s.outlineColor}; }"
    )
    assert style["style"] != "none" and style["width"] >= 2, style
    assert _contrast(_rgb(style["colour"]), (255, 255, 255)) >= 3


def _assert_no_violations(page) -> None:
    results = Axe().run(page)
    assert results.violations_count == 0, results.generate_report()


def test_axe_finds_nothing_with_the_cards_closed_and_open_and_on_a_phone(page, release):
    # axe reads colours at one instant: the button just clicked, still under the pointer, is
    # in Bootstrap's 0.15 s hover fade, between its two states (each of which passes). With
    # reduced motion Bootstrap has no fade, so axe sees the hover state itself.
    page.emulate_media(reduced_motion="reduce")
    page.goto(CASE_A)
    _assert_no_violations(page)
    page.get_by_role("button", name="Expand all").click()
    _assert_no_violations(page)
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(CASE_B)
    _assert_no_violations(page)


def test_on_a_phone_a_change_offers_a_jump_to_the_notes(page, release):
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto(CASE_C)
    page.locator('#assess-form input[name="factors"][value="older_adult"]').check()
    jump = page.locator("#result-jump")
    expect(jump).to_be_visible()
    expect(jump).to_contain_text("Notes updated")
    jump.get_by_role("link", name="Jump to the notes").click()
    expect(page.locator("#bottom-line")).to_be_in_viewport()


def test_without_javascript_show_notes_lands_on_the_notes(page_without_js, release):
    page = page_without_js
    page.set_viewport_size({"width": 375, "height": 800})
    page.goto("/")
    page.select_option("#id_pain_type", "postherpetic_neuralgia")
    page.get_by_role("button", name="Show notes").click()
    expect(page).to_have_url(re.compile(r"#results-region$"))
    expect(page.locator("#bottom-line")).to_be_in_viewport()


def _save(page, case: str) -> None:
    page.goto(case)
    page.get_by_role("button", name="Save and print").click()
    page.wait_for_url(re.compile(r"/assessments/[0-9a-f-]{36}/$"))


def test_case_a_prints_on_four_pages_and_its_pdf_on_three(page, release):
    _save(page, CASE_A)
    printed = pdf_pages(page.pdf(format="A4"))
    assert len(printed) <= 4
    for text in printed:
        assert words(DISCLAIMER) in text
        assert "Evidence version" in text
    # Page one: the case, the bottom line, the overview and this patient's cautions.
    assert "Bottom line" in printed[0] or "BOTTOM LINE" in printed[0]
    assert "Cautions for this patient" in printed[0]
    response = page.request.get(page.url + "pdf/")
    assert response.ok
    pdf = pdf_pages(response.body())
    assert len(pdf) <= 3
    assert "Bottom line" in pdf[0] and "Cautions for this patient" in pdf[0]
    assert all(words(DISCLAIMER) in text for text in pdf)


def test_printing_the_form_page_prints_the_summary_not_the_form(page, release):
    page.goto(CASE_A)
    printed = pdf_pages(page.pdf(format="A4"))
    text = " ".join(printed)
    assert all(words(DISCLAIMER) in page_text for page_text in printed)
    assert "Cautions for this patient" in printed[0]
    assert "Tick each statement" not in text
    assert "Find a medicine" not in text
    assert len(printed) <= 4
