"""Saving an assessment (`POST /assessments/`) and its print-ready page (`/assessments/<id>/`)."""

import logging
import re
import uuid

import pytest
from django.test import Client
from django.utils.http import http_date

from decision.api import IDENTIFIERS_REFUSED
from decision.deploy import deploy_key
from decision.models import Assessment
from decision.releases import publish_release
from decision.views import UNKNOWN_FORM_FIELD, UNKNOWN_QUERY_PARAMETER

CRPS = "complex_regional_pain_syndrome"
INPUTS = {
    "pain_type": CRPS,
    "analgesics": ["sertraline", "morphine"],
    "factors": ["psychosis_history"],
}

IDENTIFIERS = "patient_name=Jane+Doe&dob=1961-04-02"

pytestmark = pytest.mark.django_db


def _titles(html: str) -> list[str]:
    return re.findall(r'<span class="note-title-text">([^<]+)</span>', html)


def _save(client, data=INPUTS):
    return client.post("/assessments/", data)


def test_saving_stores_the_assessment_and_redirects_to_it_with_303(client, mini_release):
    response = _save(client)
    stored = Assessment.objects.get()
    assert response.status_code == 303
    assert response.headers["Location"] == f"/assessments/{stored.id}/"
    assert stored.release_id == mini_release.id
    assert stored.inputs == {
        "pain_type": CRPS,
        "analgesics": ["morphine", "sertraline"],
        "factors": ["psychosis_history"],
    }


def test_the_stored_page_shows_the_same_notes_as_the_form(client, mini_release):
    form_titles = _titles(client.get("/", INPUTS).content.decode())
    page = client.get(_save(client).headers["Location"])
    assert page.status_code == 200
    assert _titles(page.content.decode()) == form_titles
    assert len(form_titles) == len(Assessment.objects.get().notes)


def test_the_stored_page_is_a_snapshot_that_a_new_release_does_not_change(
    client, mini_kb, mini_release, django_capture_on_commit_callbacks
):
    location = _save(client).headers["Location"]
    rule = mini_kb.rules.ketamine_crps
    rule.title = "Ketamine for CRPS: retitled later"
    rule.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    html = client.get(location).content.decode()
    assert "Ketamine for CRPS: mixed evidence" in html
    assert "retitled later" not in html
    assert "retitled later" in client.get("/", INPUTS).content.decode()


def test_the_stored_page_is_print_ready(client, mini_release):
    response = client.get(_save(client).headers["Location"])
    html = response.content.decode()
    ids = set(re.findall(r'\bid="([^"]+)"', html))
    assert {"result", "references", "disclaimer", "pdf-link"} <= ids
    assert 'href="/static/css/print.css" media="print"' in html
    assert f"http://testserver{response.wsgi_request.path}" in html  # the page's address
    assert mini_release.version in html
    assert re.search(r"<time datetime=\"[^\"]+\">\d+ \w+ \d{4}, \d\d:\d\d UTC</time>", html)
    assert html.count("print-disclaimer") == 1


def test_the_stored_page_numbers_its_references_once_each(client, mini_release):
    html = client.get(_save(client).headers["Location"]).content.decode()
    references = html[html.index('id="references"') :]
    numbers = re.findall(r'<li id="ref-(\d+)">', references)
    assert numbers == [str(n) for n in range(1, len(numbers) + 1)]
    assert len(numbers) == len(set(re.findall(r"<li id=\"ref-\d+\">([^<]+)", references)))
    assert 'href="#ref-1"' in html


def test_the_stored_page_links_back_to_the_form_with_the_same_inputs(client, mini_release):
    html = client.get(_save(client).headers["Location"]).content.decode()
    assert (
        "/?pain_type=complex_regional_pain_syndrome&amp;analgesics=morphine"
        "&amp;analgesics=sertraline&amp;factors=psychosis_history"
    ) in html


def test_saving_invalid_inputs_stores_nothing_and_shows_the_form_errors(client, mini_release):
    response = _save(client, {"pain_type": CRPS, "factors": ["not_a_factor"]})
    assert response.status_code == 400
    assert 'id="result-errors"' in response.content.decode()
    assert Assessment.objects.count() == 0


def test_saving_without_a_pain_type_stores_nothing_and_prompts_for_one_as_the_form_does(
    client, mini_release
):
    data = {"pain_type": "", "factors": ["psychosis_history"]}
    saved = _save(client, data)
    form = client.get("/", data)
    html = saved.content.decode()
    assert saved.status_code == form.status_code == 200
    assert 'id="result-empty"' in html
    assert 'id="result-errors"' not in html
    assert Assessment.objects.count() == 0


def test_saving_without_a_release_is_unavailable(client, db):
    response = _save(client)
    assert response.status_code == 503
    assert Assessment.objects.count() == 0


def test_saving_rejects_get(client, mini_release):
    assert client.get("/assessments/").status_code == 405


def test_the_stored_page_rejects_post(client, mini_release):
    location = _save(client).headers["Location"]
    assert client.post(location).status_code == 405


def test_an_unknown_assessment_is_a_404_page(client, mini_release):
    response = client.get(f"/assessments/{uuid.uuid4()}/")
    assert response.status_code == 404
    assert 'id="disclaimer"' in response.content.decode()


def test_the_save_form_carries_the_answered_inputs_and_a_csrf_token(client, mini_release):
    html = client.get("/", INPUTS).content.decode()
    form = re.search(r'<form id="save-form".*?</form>', html, re.S).group(0)
    assert 'action="/assessments/"' in form
    assert 'name="csrfmiddlewaretoken"' in form
    assert '<input type="hidden" name="analgesics" value="morphine">' in form
    assert '<input type="hidden" name="factors" value="psychosis_history">' in form


def test_a_warm_stored_page_makes_one_query(client, mini_release, django_assert_num_queries):
    location = _save(client).headers["Location"]
    client.get(location)
    with django_assert_num_queries(1):  # the assessment; its release is in memory
        response = client.get(location)
    assert response.status_code == 200


def test_the_stored_page_names_the_inputs_as_its_release_did(
    client, mini_kb, mini_release, django_capture_on_commit_callbacks
):
    location = _save(client).headers["Location"]
    sertraline = mini_kb.drugs.sertraline
    sertraline.name = "Sertraline (renamed)"
    sertraline.save()
    with django_capture_on_commit_callbacks(execute=True):
        publish_release()
    stored = client.get(location).content.decode()
    assert "current medicines: Morphine, Sertraline;" in stored
    assert "renamed" not in stored
    assert (
        "current medicines: Morphine, Sertraline (renamed);"
        in client.get("/", INPUTS).content.decode()
    )


# --- Fields and parameters the pages do not take (issue 11, item 8) ------------------------


def test_saving_with_an_unknown_field_stores_nothing_and_names_the_field(client, mini_release):
    response = _save(client, {**INPUTS, "patient_name": "Jane Doe", "ward": "7B"})
    html = response.content.decode()
    assert response.status_code == 400
    assert f"patient_name: {IDENTIFIERS_REFUSED}" in html
    assert f"ward: {UNKNOWN_FORM_FIELD}".replace("'", "&#x27;") in html
    assert "Jane" not in html
    assert "7B" not in html
    assert not Assessment.objects.exists()


def test_saving_with_a_query_string_stores_nothing(client, mini_release):
    response = client.post(f"/assessments/?{IDENTIFIERS}", INPUTS)
    assert response.status_code == 400
    assert f"dob: {IDENTIFIERS_REFUSED}" in response.content.decode()
    assert not Assessment.objects.exists()


def test_saving_with_the_forms_own_csrf_token_still_saves(mini_release):
    client = Client(enforce_csrf_checks=True)
    html = client.get("/", INPUTS).content.decode()
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html).group(1)
    response = client.post("/assessments/", {**INPUTS, "csrfmiddlewaretoken": token})
    assert response.status_code == 303
    assert Assessment.objects.count() == 1


@pytest.mark.parametrize("suffix", ["", "pdf/"])
def test_a_stored_page_refuses_any_query_parameter_on_the_plain_400_page(
    client, mini_release, suffix
):
    location = _save(client).headers["Location"]
    response = client.get(f"{location}{suffix}?{IDENTIFIERS}")
    html = response.content.decode()
    reason = re.search(r'<p id="bad-request-reason">(.*?)</p>', html, re.S).group(1)
    assert response.status_code == 400
    assert "Bad request" in html
    assert "patient_name, dob" in reason
    assert IDENTIFIERS_REFUSED in reason
    for value in ("Jane", "Doe", "1961"):
        assert value not in html


def test_a_stored_page_names_other_parameters_without_the_identifier_wording(client, mini_release):
    location = _save(client).headers["Location"]
    response = client.get(f"{location}?print=1")
    html = response.content.decode()
    assert response.status_code == 400
    assert "takes no query parameters, and none was read: print." in html
    assert IDENTIFIERS_REFUSED not in html


def test_refused_parameters_never_reach_a_log(client, mini_release, caplog):
    location = _save(client).headers["Location"]
    caplog.set_level(logging.DEBUG)
    client.get(f"{location}?{IDENTIFIERS}")
    client.get(f"{location}pdf/?{IDENTIFIERS}")
    client.post(f"/assessments/?{IDENTIFIERS}", INPUTS)
    for text in ("Jane", "Doe", "1961", "patient_name", "dob"):
        assert text not in caplog.text


def test_the_query_refusal_message_is_the_form_one_on_a_post(client, mini_release):
    response = client.post("/assessments/?print=1", INPUTS)
    assert f"print: {UNKNOWN_QUERY_PARAMETER}" in response.content.decode()


# --- Rendered once, revalidated by browsers (issue 10, item 7) ------------------------------


@pytest.fixture
def location(client, mini_release) -> str:
    return _save(client).headers["Location"]


@pytest.fixture
def another_deploy(settings, tmp_path):
    """The same app with one template changed, as the next deploy would serve it."""
    (tmp_path / "templates").mkdir()
    (tmp_path / "templates" / "changed.html").write_text("changed")

    def deploy():
        settings.BASE_DIR = tmp_path
        deploy_key.cache_clear()

    deploy_key.cache_clear()
    yield deploy
    deploy_key.cache_clear()


def test_the_stored_page_is_rendered_once_then_served_as_kept(client, location):
    first = client.get(location)
    again = client.get(location)
    assert first.status_code == again.status_code == 200
    assert "decision/assessment.html" in [t.name for t in first.templates]
    assert again.templates == []  # nothing rendered the second time
    assert again.content == first.content


def test_the_kept_page_carries_no_csrf_token_and_sets_no_cookie(location, mini_release):
    # Two browsers: the page one of them made is what the other gets.
    first, second = Client().get(location), Client().get(location)
    html = first.content.decode()
    assert second.content == first.content
    assert "csrfmiddlewaretoken" not in html
    assert all(token == "" for token in re.findall(r'"X-CSRFToken": "([^"]*)"', html))
    for response in (first, second):
        assert "csrftoken" not in response.cookies
        assert "Cookie" not in response.headers.get("Vary", "")


def test_the_stored_page_has_a_strong_etag_and_its_saved_time_as_last_modified(client, location):
    response = client.get(location)
    stored = Assessment.objects.get()
    assert re.fullmatch(r'"[0-9a-f]{32}"', response["ETag"])
    assert response["Last-Modified"] == http_date(int(stored.created_at.timestamp()))


def test_only_the_browser_may_keep_the_stored_page_and_for_five_minutes(client, location):
    directives = {d.strip() for d in client.get(location)["Cache-Control"].split(",")}
    assert directives == {"private", "max-age=300", "must-revalidate", "no-transform"}


def test_a_matching_etag_is_answered_304_without_rendering(
    client, location, django_assert_num_queries
):
    first = client.get(location)
    with django_assert_num_queries(1):  # does the assessment still exist?
        response = client.get(location, headers={"If-None-Match": first["ETag"]})
    assert response.status_code == 304
    assert response.content == b""
    assert response.templates == []
    for header in ("ETag", "Last-Modified", "Cache-Control"):
        assert response[header] == first[header]


def test_an_unchanged_saved_time_is_answered_304(client, location):
    first = client.get(location)
    response = client.get(location, headers={"If-Modified-Since": first["Last-Modified"]})
    assert response.status_code == 304


def test_another_etag_gets_the_page(client, location):
    response = client.get(location, headers={"If-None-Match": '"something-else"'})
    assert response.status_code == 200
    assert 'id="result"' in response.content.decode()


def test_each_origin_gets_its_own_page_and_etag(client, location, settings):
    settings.ALLOWED_HOSTS = ["testserver", "nmdar.example.org"]
    plain = client.get(location)
    other_host = client.get(location, HTTP_HOST="nmdar.example.org")
    secure = client.get(location, secure=True)
    assert f"http://testserver{location}" in plain.content.decode()
    assert f"http://nmdar.example.org{location}" in other_host.content.decode()
    assert f"https://testserver{location}" in secure.content.decode()
    assert len({plain["ETag"], other_host["ETag"], secure["ETag"]}) == 3


def test_a_deploy_renders_the_page_again_under_a_new_etag(client, location, another_deploy):
    before = client.get(location)
    another_deploy()
    after = client.get(location)
    revalidated = client.get(location, headers={"If-None-Match": before["ETag"]})
    assert after["ETag"] != before["ETag"]
    assert "decision/assessment.html" in [t.name for t in after.templates]
    assert revalidated.status_code == 200


def test_a_purged_assessment_is_a_404_even_when_its_page_is_kept(client, location):
    etag = client.get(location)["ETag"]
    Assessment.objects.all().delete()
    assert client.get(location).status_code == 404
    assert client.get(location, headers={"If-None-Match": etag}).status_code == 404
