"""The stored assessment as a PDF (`/assessments/<id>/pdf/`), made by WeasyPrint."""

import datetime
import io
import re
import uuid

import pytest
import time_machine
from pypdf import PdfReader

from decision import pdf
from decision.disclaimer import DISCLAIMER
from decision.models import Assessment
from tests.helpers import pdf_pages, words

INPUTS = {
    "pain_type": "complex_regional_pain_syndrome",
    "analgesics": ["sertraline", "morphine"],
    "factors": ["psychosis_history"],
}
# What the mini knowledge base (tests/conftest.py) answers to INPUTS.
TITLES = [
    "Dextromethorphan with serotonergic medicines: serotonin toxicity",
    "Ketamine with a history of psychosis",
    "Ketamine for CRPS: mixed evidence",
    "Dextromethorphan for complex regional pain syndrome (CRPS): no direct evidence",
    "Ketamine added to an opioid",
    "What reviews say about the class",
]

pytestmark = pytest.mark.django_db


@pytest.fixture
def saved(client, mini_release) -> Assessment:
    client.post("/assessments/", INPUTS)
    return Assessment.objects.get()


@pytest.fixture
def response(client, saved):
    return client.get(f"/assessments/{saved.id}/pdf/")


@pytest.fixture
def pages(response) -> list[str]:
    return pdf_pages(response.content)


@pytest.fixture
def fresh_stylesheet():
    # The parsed stylesheet is kept for the process: a test that changes it must not leave its
    # own behind for the next.
    pdf._stylesheet.cache_clear()
    yield
    pdf._stylesheet.cache_clear()


def test_it_returns_a_pdf(response):
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response.content.startswith(b"%PDF-")
    assert response["Content-Disposition"].startswith('attachment; filename="nmdar-notes-')


def test_every_page_carries_the_disclaimer_and_its_number(pages):
    assert len(pages) >= 1
    for number, text in enumerate(pages, start=1):
        # Page 1 carries it twice: once under the title, once in the footer.
        assert text.count(words(DISCLAIMER)) == (2 if number == 1 else 1)
        assert f"Page {number} of {len(pages)}" in text


def test_it_holds_every_note_title(pages):
    text = " ".join(pages)
    for title in TITLES:
        assert words(title) in text


def test_it_says_what_was_asked_and_counts_the_notes_as_the_page_does(pages):
    assert (
        "For Complex regional pain syndrome (CRPS); current medicines: Morphine, Sertraline; "
        "patient factors: Psychotic disorder or history of psychosis."
    ) in pages[0]
    assert "Bottom line." in pages[0]
    assert "2 high-severity cautions apply to this patient:" in pages[0]


def test_it_lists_the_references_with_their_links(saved, pages):
    text = " ".join(pages)
    assert "References" in text
    assert "PMID 19604642" in text
    assert "doi:10.1016/j.pain.2009.06.023" in text


def test_it_has_the_document_title_and_release(saved, mini_release, response, pages):
    reader = PdfReader(io.BytesIO(response.content))
    saved_on = saved.created_at.strftime("%-d %B %Y")
    assert reader.metadata.title == (
        f"Evidence notes: Complex regional pain syndrome (CRPS), {saved_on}"
    )
    assert "Evidence notes on NMDA-receptor antagonists: assessment summary" in pages[0]
    assert mini_release.version in pages[0]


def test_the_pdf_fetches_nothing(client, saved, monkeypatch, fresh_stylesheet):
    fetched = []
    original = pdf._NoFetching.fetch

    def spy(self, url, headers=None):
        fetched.append(url)
        return original(self, url, headers)

    monkeypatch.setattr(pdf._NoFetching, "fetch", spy)
    assert client.get(f"/assessments/{saved.id}/pdf/").status_code == 200
    assert fetched == []


def test_the_stylesheet_is_looked_up_and_parsed_once_per_process(
    client, saved, monkeypatch, fresh_stylesheet
):
    client.post("/assessments/", {"pain_type": "postherpetic_neuralgia"})
    other = Assessment.objects.exclude(pk=saved.pk).get()
    looked_up = []
    find = pdf.finders.find

    def spy(path, *args, **kwargs):
        looked_up.append(path)
        return find(path, *args, **kwargs)

    monkeypatch.setattr(pdf.finders, "find", spy)
    for assessment in (saved, other):
        assert client.get(f"/assessments/{assessment.id}/pdf/").status_code == 200
    assert looked_up == [pdf.STYLESHEET]


def test_without_the_source_tree_the_stylesheet_is_read_from_static_root(
    settings, monkeypatch, tmp_path, fresh_stylesheet
):
    collected = tmp_path / pdf.STYLESHEET
    collected.parent.mkdir(parents=True)
    collected.write_text("h1 { color: #a4202c; }")
    settings.STATIC_ROOT = str(tmp_path)
    monkeypatch.setattr(pdf.finders, "find", lambda path, *args, **kwargs: None)
    assert pdf._stylesheet().base_url == collected.as_uri()


def test_an_unknown_assessment_pdf_is_a_404_page(client, mini_release):
    response = client.get(f"/assessments/{uuid.uuid4()}/pdf/")
    assert response.status_code == 404
    assert re.search(r'id="disclaimer"', response.content.decode())


def test_the_pdf_rejects_post(client, saved):
    assert client.post(f"/assessments/{saved.id}/pdf/").status_code == 405


def test_a_cold_pdf_makes_one_query(client, saved, django_assert_num_queries):
    with django_assert_num_queries(1):  # the assessment; its release is already in memory
        response = client.get(f"/assessments/{saved.id}/pdf/")
    assert response.status_code == 200


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


def test_the_file_name_carries_the_saved_date_and_the_pain_type(client, mini_release):
    saved_at = datetime.datetime(2026, 12, 1, 23, 30, tzinfo=datetime.UTC)
    with time_machine.travel(saved_at, tick=False):
        location = client.post("/assessments/", INPUTS).headers["Location"]
    first = client.get(f"{location}pdf/")
    again = client.get(f"{location}pdf/")  # from the cache
    expected = 'attachment; filename="nmdar-notes-2026-12-01-complex-regional-pain-syndrome.pdf"'
    assert first["Content-Disposition"] == again["Content-Disposition"] == expected


def test_the_file_name_names_nothing_else_of_the_assessment(client, saved, response):
    disposition = response["Content-Disposition"]
    assert str(saved.id)[:8] not in disposition
    for slug in INPUTS["analgesics"] + INPUTS["factors"]:
        assert slug.replace("_", "-") not in disposition


def test_only_the_browser_may_keep_the_pdf(response):
    directives = {d.strip() for d in response["Cache-Control"].split(",")}
    assert directives == {"private", "max-age=300", "no-transform"}
