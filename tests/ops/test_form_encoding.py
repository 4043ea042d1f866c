"""Form data that cannot be decoded is a 400 naming the problem, never a 500."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db

FORM = "application/x-www-form-urlencoded"
PAGES = ["/", "/assessments/", "/admin/login/"]


def post(client, path: str, body: bytes, content_type: str):
    client.raise_request_exception = False
    return client.generic("POST", path, body, content_type=content_type)


def reason(response) -> str:
    html = response.content.decode()
    start = html.index('id="bad-request-reason">') + len('id="bad-request-reason">')
    return html[start : html.index("</p>", start)]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("charset", ["utf-16", "UTF-32", "latin-1", "no-such-charset"])
def test_a_form_in_another_charset_is_a_400_saying_so(client, path, charset):
    body = "pain_type=postherpetic_neuralgia".encode("utf-16" if charset == "utf-16" else "ascii")
    response = post(client, path, body, f"{FORM}; charset={charset}")
    assert response.status_code == 400
    assert reason(response).startswith("Form data must be sent in UTF-8")


@pytest.mark.parametrize("body", [b"pain_type=%ff%fe", b"pain_type=\xff\xfe", b"factors=%C3%28"])
def test_form_bytes_that_are_not_utf8_are_a_400_saying_so(client, body):
    response = post(client, "/", body, FORM)
    assert response.status_code == 400
    assert reason(response) == "The form data is not valid UTF-8."


def test_a_multipart_form_in_another_charset_is_a_400(client):
    body = b'--xx\r\nContent-Disposition: form-data; name="pain_type"\r\n\r\nabc\r\n--xx--\r\n'
    response = post(client, "/", body, "multipart/form-data; boundary=xx; charset=utf-16")
    assert response.status_code == 400


def test_the_api_refuses_a_form_body_as_its_contract_says(client):
    response = post(client, "/api/v1/assessments", b"a=%ff", f"{FORM}; charset=utf-16")
    assert response.status_code == 415
    assert list(response.json()["errors"]) == ["content_type"]


@pytest.mark.parametrize(
    ("body", "content_type"),
    [
        ("pain_type=névralgie".encode(), FORM),
        (b"pain_type=postherpetic_neuralgia", f"{FORM}; charset=UTF-8"),
        (b"pain_type=postherpetic_neuralgia", f"{FORM}; charset=utf8"),
    ],
)
def test_utf8_form_data_reaches_the_view(client, body, content_type):
    response = post(client, "/", body, content_type)
    assert 'id="bad-request-reason"' not in response.content.decode()
    assert response.status_code != 500  # no release is published here: the form says so
