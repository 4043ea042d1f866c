"""The clinician form at `/`: plain requests and htmx requests, answered from the active release."""

import html as html_module
import logging
import re
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core.cache import cache
from django.test import Client
from django.urls import reverse

from decision.api import IDENTIFIERS_REFUSED
from decision.releases import publish_release
from decision.views import UNKNOWN_FORM_FIELD, UNKNOWN_QUERY_PARAMETER

URL = "/"
HTMX = {"HTTP_HX_REQUEST": "true"}
CRPS = "complex_regional_pain_syndrome"
PHN = "postherpetic_neuralgia"
IDENTIFIERS = {"patient_name": "Jane Doe", "dob": "1961-04-02"}

pytestmark = pytest.mark.django_db


def _ids(response) -> set[str]:
    return set(re.findall(r'\bid="([^"]+)"', response.content.decode()))


def _titles(response) -> list[str]:
    return re.findall(r'<span class="note-title-text">([^<]+)</span>', response.content.decode())


def _announcement(response) -> str:
    html = response.content.decode()
    return re.search(r'<div id="result-announcer"[^>]*>([^<]*)</div>', html).group(1).strip()


def _errors(response) -> list[str]:
    html = response.content.decode()
    listing = re.search(r'<div id="result-errors".*?</ul>', html, re.S).group(0)
    items = re.findall(r"<li>(.*?)</li>", listing)
    return [html_module.unescape(re.sub(r"<[^>]+>", "", item)).strip() for item in items]


def _checked(response, name: str) -> set[str]:
    html = response.content.decode()
    return {
        value
        for tag in re.findall(r"<input[^>]*>", html)
        if f'name="{name}"' in tag and " checked" in tag
        for value in re.findall(r'value="([^"]*)"', tag)
    }


def test_the_url_names_and_paths_are_the_contract():
    assert reverse("decision:assess") == "/"
    assert reverse("decision:save") == "/assessments/"


def test_it_shows_an_empty_form_with_api_field_names(client, mini_release):
    response = client.get(URL)
    html = response.content.decode()
    assert response.status_code == 200
    assert {"assess-form", "result", "result-empty", "disclaimer", "results-region"} <= _ids(
        response
    )
    assert 'name="pain_type"' in html
    assert 'name="analgesics" value="morphine"' in html
    assert 'name="factors" value="psychosis_history"' in html
    assert 'id="result-cards"' not in html


def test_the_form_is_sent_by_get_without_javascript_and_by_htmx_post_with_it(client, mini_release):
    html = client.get(URL).content.decode()
    form = re.search(r'<form id="assess-form"[^>]*>', html).group(0)
    assert 'method="get"' in form
    assert 'hx-post="/"' in form
    assert 'hx-target="#result"' in form
    assert "hx-trigger=" in form
    assert 'type="submit"' in html


def test_a_bookmarked_query_string_opens_filled_in_and_answered(client, mini_release):
    response = client.get(URL, {"pain_type": PHN, "factors": ["psychosis_history"]})
    html = response.content.decode()
    assert response.status_code == 200
    assert re.search(rf'<option value="{PHN}"[^>]*selected', html)
    assert _checked(response, "factors") == {"psychosis_history"}
    # Card by card: both drugs have no direct evidence, so the one with no caution for this
    # patient comes first; inside a card this patient's cautions lead. Then the class.
    assert _titles(response) == [
        "Dextromethorphan for postherpetic neuralgia: no direct evidence",
        "Ketamine with a history of psychosis",
        "Ketamine for postherpetic neuralgia: no direct evidence",
        "What reviews say about the class",
    ]
    assert "result-cards" in _ids(response)


def test_it_renders_one_card_per_nmdar_antagonist_with_its_level_in_words(client, mini_release):
    response = client.get(URL, {"pain_type": CRPS})
    ids = _ids(response)
    html = response.content.decode()
    assert {"card-ketamine", "card-dextromethorphan"} <= ids
    overview = html[html.index('<table id="overview"') : html.index("</table>")]
    assert '<span class="badge level level-mixed">Mixed</span>' in overview
    assert '<span class="badge level level-insufficient">Insufficient</span>' in overview
    # The words of the page: evidence for the pain type, not a verdict on the patient.
    assert "Suitability" not in html


def test_it_shows_the_release_and_its_publication_date(client, mini_release):
    html = client.get(URL, {"pain_type": CRPS}).content.decode()
    published = mini_release.published_at.strftime("%-d %B %Y")
    assert f"<strong>{mini_release.version}</strong>, published {published}" in html


def test_it_links_cited_sources_to_pubmed_and_doi(client, mini_release):
    html = client.get(URL, {"pain_type": CRPS}).content.decode()
    assert 'href="https://pubmed.ncbi.nlm.nih.gov/19604642/"' in html
    assert 'href="https://doi.org/10.1016/j.pain.2009.06.023"' in html
    assert '<details class="evidence' in html


def test_context_notes_get_their_own_section(client, mini_release):
    response = client.get(URL, {"pain_type": PHN})
    html = response.content.decode()
    assert "result-context" in _ids(response)
    context = html[html.index('id="result-context"') :]
    assert "What reviews say about the class" in context


def test_the_summary_counts_high_severity_cautions_first(client, mini_release):
    response = client.get(URL, {"pain_type": CRPS, "analgesics": ["sertraline"]})
    summary = re.search(r'<p id="result-summary".*?</p>', response.content.decode(), re.S).group(0)
    assert "<strong>1 high-severity caution applies to this patient:</strong>" in summary
    assert "serotonin toxicity (dextromethorphan with sertraline)" in summary


def test_a_high_severity_caution_comes_first_in_its_card(client, mini_release):
    html = client.get(URL, {"pain_type": CRPS, "factors": ["psychosis_history"]}).content.decode()
    card = html[html.index('id="card-ketamine"') :]
    assert card.index("Ketamine with a history of psychosis") < card.index(
        "Ketamine for CRPS: mixed evidence"
    )
    assert '<span class="badge severity severity-high">High</span>' in card


def test_htmx_gets_only_the_result_fragment_without_the_page_chrome(client, mini_release):
    response = client.post(URL, {"pain_type": CRPS, "analgesics": ["morphine"]}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 200
    assert html.lstrip().startswith('<div id="result"')
    assert "<html" not in html
    assert 'id="assess-form"' not in html
    assert "Ketamine added to an opioid" in html
    assert 'hx-swap-oob="true"' in html  # the live region's announcement


def test_htmx_answers_put_the_inputs_in_the_address_bar(client, mini_release):
    response = client.post(
        URL,
        {
            "pain_type": CRPS,
            "analgesics": ["sertraline", "morphine"],
            "factors": ["psychosis_history"],
        },
        **HTMX,
    )
    url = urlsplit(response.headers["HX-Replace-Url"])
    assert url.path == "/"
    assert parse_qs(url.query) == {
        "pain_type": [CRPS],
        "analgesics": ["morphine", "sertraline"],
        "factors": ["psychosis_history"],
    }


def test_a_plain_post_renders_the_whole_page(client, mini_release):
    response = client.post(URL, {"pain_type": CRPS})
    assert response.status_code == 200
    assert {"assess-form", "result", "result-cards", "disclaimer"} <= _ids(response)
    assert "HX-Replace-Url" not in response.headers


def test_the_live_result_numbers_its_references_as_the_stored_summary_does(client, mini_release):
    data = {"pain_type": CRPS, "analgesics": ["sertraline"]}
    live = client.get(URL, data).content.decode()
    stored = client.get(client.post(reverse("decision:save"), data)["Location"]).content.decode()

    def references(html):
        return re.findall(r'<li id="ref-(\d+)"[^>]*>([^<]+)', html)

    assert references(live) and references(live) == references(stored)


def test_the_same_question_in_another_order_is_answered_and_announced_the_same(
    client, mini_release
):
    data = {"pain_type": CRPS, "analgesics": ["sertraline", "morphine"]}
    first = client.post(URL, data, **HTMX)
    # The same question: order and duplicates do not matter.
    again = client.post(URL, {**data, "analgesics": ["morphine", "sertraline", "morphine"]}, **HTMX)
    other = client.post(URL, {"pain_type": CRPS}, **HTMX)
    announced = "Notes updated: 1 high-severity caution, 0 other cautions, 1 combination note."
    assert _announcement(first) == _announcement(again) == announced
    assert _titles(again) == _titles(first)
    assert _announcement(other) == (
        "Notes updated: 0 high-severity cautions, 0 other cautions, 0 combination notes."
    )


def test_the_page_and_the_fragment_vary_on_the_htmx_header(client, mini_release):
    response = client.get(URL, {"pain_type": CRPS})
    assert "HX-Request" in response.headers["Vary"]


@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_it_rejects_other_methods(client, mini_release, method):
    assert getattr(client, method)(URL).status_code == 405


def test_a_tampered_slug_gives_a_form_error_and_keeps_the_input(client, mini_release):
    response = client.get(
        URL,
        {
            "pain_type": CRPS,
            "analgesics": ["morphine", "unobtainium"],
            "factors": ["psychosis_history"],
        },
    )
    html = response.content.decode()
    assert response.status_code == 400
    assert "result-errors" in _ids(response)
    assert "unobtainium" in html
    assert 'id="result-cards"' not in html
    assert _checked(response, "analgesics") == {"morphine"}
    assert _checked(response, "factors") == {"psychosis_history"}
    assert re.search(rf'<option value="{CRPS}"[^>]*selected', html)


def test_a_tampered_slug_over_htmx_gives_the_error_fragment(client, mini_release):
    response = client.post(URL, {"pain_type": "toothache"}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<div id="result"')
    assert 'id="result-errors"' in html
    assert "toothache" in html


def test_factors_without_a_pain_type_wait_for_one_without_an_error(client, mini_release):
    response = client.get(URL, {"pain_type": "", "factors": ["psychosis_history"]})
    assert response.status_code == 200
    assert "result-empty" in _ids(response)
    assert "result-errors" not in _ids(response)
    assert _checked(response, "factors") == {"psychosis_history"}


def test_medicines_are_grouped_by_class_with_dual_class_drugs_under_their_other_class(
    client, mini_release
):
    html = client.get(URL).content.decode()
    groups = dict(
        re.findall(r'<legend class="med-group-title">([^<]+)</legend>(.*?)</fieldset>', html, re.S)
    )
    assert 'value="morphine"' in groups["Opioid"]
    assert 'value="sertraline"' in groups["Selective serotonin reuptake inhibitor"]
    assert 'value="ketamine"' in groups["NMDA-receptor antagonist"]


def test_each_factor_has_its_description_as_a_hint(client, mini_kb):
    mini_kb.factors.psychosis.description = "Any past episode of psychosis."
    mini_kb.factors.psychosis.save()
    publish_release()
    html = client.get(URL).content.decode()
    hint_id = re.search(r'value="psychosis_history"[^>]*aria-describedby="([^"]+)"', html).group(1)
    assert re.search(rf'id="{hint_id}"[^>]*>Any past episode of psychosis.<', html)


def test_without_a_release_the_form_says_it_cannot_answer(client, db):
    response = client.get(URL)
    assert response.status_code == 503
    assert "result-unavailable" in _ids(response)
    assert "disclaimer" in _ids(response)


def test_without_a_release_htmx_gets_the_message_as_a_fragment(client, db):
    response = client.post(URL, {"pain_type": CRPS}, **HTMX)
    assert response.status_code == 503
    assert response.content.decode().lstrip().startswith('<div id="result"')


def test_a_warm_form_page_makes_no_queries(client, mini_release, django_assert_num_queries):
    client.get(URL)
    with django_assert_num_queries(0):
        response = client.get(URL)
    assert response.status_code == 200


def test_a_warm_results_request_makes_no_queries(client, mini_release, django_assert_num_queries):
    data = {"pain_type": CRPS, "analgesics": ["sertraline"], "factors": ["psychosis_history"]}
    client.post(URL, data, **HTMX)
    with django_assert_num_queries(0):
        fragment = client.post(URL, data, **HTMX)
        page = client.get(URL, data)
    assert fragment.status_code == page.status_code == 200


# --- Fields the form does not take (issue 11, item 8) ---------------------------------------


def test_an_unknown_query_parameter_is_refused_with_a_400_naming_it(client, mini_release):
    response = client.get(URL, {"pain_type": PHN, "format": "json"})
    assert response.status_code == 400
    assert _errors(response) == [f"format: {UNKNOWN_FORM_FIELD}"]
    assert 'id="result-cards"' not in response.content.decode()
    # The fields it does take stay filled in.
    assert re.search(rf'<option value="{PHN}"[^>]*selected', response.content.decode())


def test_identifier_like_fields_get_the_apis_wording_and_their_values_are_not_echoed(
    client, mini_release
):
    response = client.get(URL, {"pain_type": PHN, **IDENTIFIERS})
    html = response.content.decode()
    assert response.status_code == 400
    assert _errors(response) == [
        f"patient_name: {IDENTIFIERS_REFUSED}",
        f"dob: {IDENTIFIERS_REFUSED}",
    ]
    for value in ("Jane", "Doe", "1961"):
        assert value not in html


def test_unknown_fields_alone_are_refused_without_also_asking_for_a_pain_type(client, mini_release):
    response = client.get(URL, {"mrn": "123456"})
    assert response.status_code == 400
    assert _errors(response) == [f"mrn: {IDENTIFIERS_REFUSED}"]


def test_htmx_gets_the_refusal_as_the_result_fragment(client, mini_release):
    response = client.post(URL, {"pain_type": CRPS, **IDENTIFIERS}, **HTMX)
    html = response.content.decode()
    assert response.status_code == 400
    assert html.lstrip().startswith('<div id="result"')
    assert 'data-state="invalid"' in html
    assert f"patient_name: {IDENTIFIERS_REFUSED}" in html
    assert "Jane" not in html
    assert "HX-Replace-Url" not in response.headers


def test_a_query_string_on_the_htmx_post_is_refused(client, mini_release):
    response = client.post(f"{URL}?pain_type={PHN}", {"pain_type": CRPS}, **HTMX)
    assert response.status_code == 400
    assert _errors(response) == [f"pain_type: {UNKNOWN_QUERY_PARAMETER}"]


def test_the_csrf_field_is_taken_on_a_post_only(client, mini_release):
    posted = client.post(URL, {"pain_type": CRPS, "csrfmiddlewaretoken": "token"}, **HTMX)
    sent_by_get = client.get(URL, {"pain_type": CRPS, "csrfmiddlewaretoken": "token"})
    assert posted.status_code == 200
    assert sent_by_get.status_code == 400


def test_refused_fields_never_reach_a_log(client, mini_release, caplog):
    caplog.set_level(logging.DEBUG)
    client.get(URL, {"pain_type": PHN, **IDENTIFIERS})
    client.post(URL, {"pain_type": PHN, **IDENTIFIERS}, **HTMX)
    for text in ("Jane", "Doe", "1961", "patient_name", "dob"):
        assert text not in caplog.text


def test_only_the_first_twenty_unknown_fields_are_named_and_names_are_shortened(
    client, mini_release
):
    fields = {f"extra{n}": "1" for n in range(25)} | {"y" * 5000: "1"}
    response = client.get(URL, {"pain_type": PHN, **fields})
    errors = _errors(response)
    assert response.status_code == 400
    assert len(errors) == 21
    assert errors[-1] == "6 more unknown fields are not named here; none was read."
    assert "y" * 61 not in response.content.decode()


# --- The address bar (issue 11, item 9) ----------------------------------------------------


def test_an_invalid_answer_leaves_the_address_bar_alone(client, mini_release):
    response = client.post(URL, {"pain_type": "toothache", "factors": ["older_adult"]}, **HTMX)
    assert response.status_code == 400
    assert "HX-Replace-Url" not in response.headers


@pytest.mark.parametrize("method", ["get", "post"])
def test_a_megabyte_pain_type_is_echoed_into_no_header(client, mini_release, method):
    huge = "x" * 1_000_000
    response = getattr(client, method)(URL, {"pain_type": huge}, **HTMX)
    assert response.status_code == 400
    assert "HX-Replace-Url" not in response.headers
    assert max(len(value) for value in response.headers.values()) < 1000
    assert len(response.content) < 100_000  # the value is not echoed in the page either


def test_while_awaiting_a_pain_type_the_address_carries_only_validated_inputs(client, mini_release):
    data = {
        "pain_type": "",
        "analgesics": ["sertraline", "morphine", "morphine"],
        "factors": ["psychosis_history"],
    }
    response = client.post(URL, data, **HTMX)
    url = urlsplit(response.headers["HX-Replace-Url"])
    assert response.status_code == 200
    assert url.path == "/"
    assert url.query == (
        "pain_type=&analgesics=morphine&analgesics=sertraline&factors=psychosis_history"
    )


def test_an_htmx_request_with_no_inputs_puts_the_bare_form_in_the_address_bar(client, mini_release):
    response = client.post(URL, {}, **HTMX)
    assert response.status_code == 200
    assert response.headers["HX-Replace-Url"] == "/"


# --- The blank form, kept per release ------------------------------------------------------


def _form_section(response) -> str:
    return re.search(r'<form id="assess-form".*?</form>', response.content.decode(), re.S).group(0)


def test_the_blank_forms_fields_are_rendered_once_and_kept(client, mini_release):
    cache.clear()  # an earlier test may have kept this very form (same release content)
    first = client.get(URL)
    again = client.get(URL)
    assert "decision/fields/analgesics.html" in [t.name for t in first.templates]
    assert "decision/fields/analgesics.html" not in [t.name for t in again.templates]
    assert _form_section(again) == _form_section(first)


def test_the_kept_form_holds_nothing_of_one_visitor(mini_release):
    first, second = Client().get(URL), Client().get(URL)
    tokens = [
        re.search(r'"X-CSRFToken": "([^"]+)"', r.content.decode()).group(1) for r in (first, second)
    ]
    assert tokens[0] != tokens[1]  # each page still has its own visitor's token
    assert _form_section(first) == _form_section(second)
    assert "csrfmiddlewaretoken" not in _form_section(first)


def test_a_new_release_shows_its_own_form_at_once(
    client, mini_kb, mini_release, django_capture_on_commit_callbacks
):
    client.get(URL)
    morphine = mini_kb.drugs.morphine
    morphine.name = "Morphine sulfate"
    morphine.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    assert "Morphine sulfate" in _form_section(client.get(URL))


def _notes_section(response) -> str:
    html = response.content.decode()
    start = html.index('<p id="result-inputs"')
    return html[start : html.index("</ol>", html.index('id="references"'))]


def test_the_same_questions_notes_are_rendered_once_and_kept(client, mini_release):
    cache.clear()
    data = {"pain_type": CRPS, "analgesics": ["sertraline"]}
    first = client.post(URL, data, **HTMX)
    again = client.post(
        URL, {"pain_type": CRPS, "analgesics": ["sertraline", "sertraline"]}, **HTMX
    )
    assert "decision/_note.html" in [t.name for t in first.templates]
    assert "decision/_note.html" not in [t.name for t in again.templates]
    assert _notes_section(again) == _notes_section(first)
    # Another question is its own rendering.
    other = client.post(URL, {"pain_type": CRPS}, **HTMX)
    assert "decision/_note.html" in [t.name for t in other.templates]
    assert "serotonin toxicity" not in _notes_section(other)


def test_the_kept_notes_hold_nothing_of_one_visitor(mini_release):
    cache.clear()
    data = {"pain_type": CRPS, "analgesics": ["sertraline"]}
    first, second = Client().get(URL, data), Client().get(URL, data)
    assert _notes_section(first) == _notes_section(second)
    assert "csrfmiddlewaretoken" not in _notes_section(first)
    # The save form, outside the kept notes, carries each visitor's own token.
    tokens = [
        re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', r.content.decode()).group(1)
        for r in (first, second)
    ]
    assert tokens[0] != tokens[1]


def test_a_new_release_answers_with_its_own_notes_at_once(
    client, mini_kb, mini_release, django_capture_on_commit_callbacks
):
    data = {"pain_type": CRPS, "analgesics": ["morphine"]}
    client.get(URL, data)
    morphine = mini_kb.drugs.morphine
    morphine.name = "Morphine sulfate"
    morphine.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    assert "Morphine sulfate" in _notes_section(client.get(URL, data))
