"""The stored assessment as a PDF (`/assessments/<id>/pdf/`), made by WeasyPrint."""

import io
import re
import unicodedata
import uuid
from pathlib import Path

import pytest
from pypdf import PdfReader

from decision import pdf
from decision.assessments import stored_notes
from decision.disclaimer import DISCLAIMER
from decision.models import Assessment

INPUTS = {
    "pain_type": "complex_regional_pain_syndrome",
    "analgesics": ["sertraline", "morphine"],
    "factors": ["psychosis_history"],
}

pytestmark = pytest.mark.django_db


def _words(text: str) -> str:
    # Text out of a PDF breaks lines anywhere; compare word sequences.
    return re.sub(r"-\s+", "-", " ".join(unicodedata.normalize("NFKC", text).split()))


@pytest.fixture
def saved(client, mini_release) -> Assessment:
    client.post("/assessments/", INPUTS)
    return Assessment.objects.get()


@pytest.fixture
def response(client, saved):
    return client.get(f"/assessments/{saved.id}/pdf/")


@pytest.fixture
def pages(response) -> list[str]:
    return [_words(page.extract_text()) for page in PdfReader(io.BytesIO(response.content)).pages]


def test_it_returns_a_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith('attachment; filename="nmdar-assessment-')


def test_every_page_carries_the_disclaimer_and_its_number(pages):
    assert len(pages) >= 1
    for number, text in enumerate(pages, start=1):
        # Page 1 carries it twice: once under the title, once in the footer.
        assert text.count(_words(DISCLAIMER)) == (2 if number == 1 else 1)
        assert f"Page {number} of {len(pages)}" in text


def test_it_holds_every_stored_note_title(saved, pages):
    text = " ".join(pages)
    notes = stored_notes(saved)
    assert notes
    for note in notes:
        assert _words(note["title"]) in text


def test_it_lists_the_references_with_their_links(saved, pages):
    text = " ".join(pages)
    assert "References" in text
    assert "PMID 19604642" in text
    assert "doi:10.1016/j.pain.2009.06.023" in text


def test_it_has_the_document_title_and_release(saved, mini_release, response, pages):
    reader = PdfReader(io.BytesIO(response.content))
    assert reader.metadata.title == f"Evidence notes: assessment summary {saved.id}"
    assert "Evidence notes on NMDA-receptor antagonists: assessment summary" in pages[0]
    assert mini_release.version in pages[0]


def test_the_pdf_fetches_nothing(client, saved, monkeypatch):
    fetched = []
    original = pdf._NoFetching.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf._NoFetching, "fetch", spy)
    pdf._parsed_stylesheet.cache_clear()
    assert client.get(f"/assessments/{saved.id}/pdf/").status_code == 200
    assert fetched == []


def test_the_pdf_stylesheet_is_the_small_one_read_from_disk():
    path = Path(pdf._stylesheet_path())
    assert path.name == "pdf.css"
    assert path.is_file()


def test_an_unknown_assessment_pdf_is_a_404_page(client, mini_release):
    response = client.get(f"/assessments/{uuid.uuid4()}/pdf/")
    assert response.status_code == 404
    assert re.search(r'id="disclaimer"', response.content.decode())


def test_the_pdf_rejects_post(client, saved):
    assert client.post(f"/assessments/{saved.id}/pdf/").status_code == 405


def test_a_second_download_is_the_same_pdf_without_rendering_again(
    client, saved, monkeypatch, django_assert_num_queries
):
    first = client.get(f"/assessments/{saved.id}/pdf/").content

    def render_again(*args, **kwargs):
        raise AssertionError("a stored assessment's PDF was rendered twice")

    monkeypatch.setattr(pdf, "render_pdf", render_again)
    with django_assert_num_queries(1):  # only: does the assessment still exist?
        second = client.get(f"/assessments/{saved.id}/pdf/")
    assert second.status_code == 200
    assert second.content == first


def test_a_purged_assessment_has_no_pdf_even_if_one_was_rendered(client, saved):
    assert client.get(f"/assessments/{saved.id}/pdf/").status_code == 200
    Assessment.objects.filter(pk=saved.pk).delete()
    assert client.get(f"/assessments/{saved.id}/pdf/").status_code == 404
