"""Save and print: the stored page, the browser's print rendering and the PDF download."""

import re

import pytest
from playwright.sync_api import expect

from decision.disclaimer import DISCLAIMER
from decision.models import Assessment
from tests.helpers import pdf_pages, words

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CRPS = "complex_regional_pain_syndrome"
STATE = f"/?pain_type={CRPS}&analgesics=morphine&analgesics=sertraline&factors=psychosis_history"


def _save(page) -> list[str]:
    page.goto(STATE)
    titles = page.locator("#result .note-title-text").all_inner_texts()
    assert titles
    page.get_by_role("button", name="Save and print").click()
    page.wait_for_url(re.compile(r"/assessments/[0-9a-f-]{36}/$"))
    return titles


def test_save_and_print_opens_the_stored_page_with_the_same_notes(page, release):
    titles = _save(page)
    assert page.locator("#result .note-title-text").all_inner_texts() == titles
    assert len(Assessment.objects.get().notes) == len(titles)
    expect(page.locator(".page-url")).to_have_text(page.url)
    expect(page.locator("#print-button")).to_be_visible()


@pytest.mark.parametrize("paper", ["A4", "Letter"])
def test_the_printed_summary_has_the_disclaimer_on_every_page_and_no_buttons(page, release, paper):
    titles = _save(page)
    pages = pdf_pages(page.pdf(format=paper))
    text = " ".join(pages)
    for number, page_text in enumerate(pages, start=1):
        assert words(DISCLAIMER) in page_text, f"page {number} of {len(pages)} lacks it"
    for title in titles:
        assert words(title) in text
    assert "References" in text
    assert "Download PDF" not in text
    assert "Save and print" not in text
    assert "Show notes" not in text


def test_the_pdf_downloads_with_the_disclaimer_and_every_note_title(page, release):
    titles = _save(page)
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download PDF").click()
    download = download_info.value
    data = download.path().read_bytes()
    assert data.startswith(b"%PDF-")
    assert download.suggested_filename.endswith(".pdf")
    pages = pdf_pages(data)
    text = " ".join(pages)
    assert all(words(DISCLAIMER) in page_text for page_text in pages)
    for title in titles:
        assert words(title) in text
