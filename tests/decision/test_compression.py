"""HTML (and JSON) answers are gzip-compressed for clients that accept it (GZipMiddleware)."""

import gzip
import json
import re

import pytest

pytestmark = pytest.mark.django_db

GZIP = {"Accept-Encoding": "gzip, deflate, br"}
INPUTS = {"pain_type": "complex_regional_pain_syndrome", "analgesics": ["morphine"]}


@pytest.fixture
def location(client, mini_release) -> str:
    return client.post("/assessments/", INPUTS).headers["Location"]


def _vary(response) -> set[str]:
    return {part.strip() for part in response.get("Vary", "").split(",") if part.strip()}


def test_a_stored_page_comes_gzipped_and_decodes_to_the_same_html(client, location):
    plain = client.get(location)
    compressed = client.get(location, headers=GZIP)
    assert "Content-Encoding" not in plain
    assert compressed["Content-Encoding"] == "gzip"
    assert gzip.decompress(compressed.content) == plain.content
    assert len(compressed.content) < len(plain.content) / 2
    assert "Accept-Encoding" in _vary(plain)
    assert "Accept-Encoding" in _vary(compressed)


def test_the_form_page_and_its_htmx_fragment_come_gzipped(client, mini_release):
    page = client.get("/", INPUTS, headers=GZIP)
    fragment = client.post("/", INPUTS, headers={**GZIP, "HX-Request": "true"})
    for response in (page, fragment):
        assert response.status_code == 200
        assert response["Content-Encoding"] == "gzip"
        assert {"Accept-Encoding", "HX-Request"} <= _vary(response)
    assert 'id="assess-form"' in gzip.decompress(page.content).decode()
    assert gzip.decompress(fragment.content).decode().lstrip().startswith('<div id="result"')


def test_a_refusal_comes_gzipped_too(client, mini_release):
    response = client.get("/", {"patient_name": "x"}, headers=GZIP)
    assert response.status_code == 400
    assert 'id="result-errors"' in gzip.decompress(response.content).decode()


def test_the_api_answers_gzipped_json(client, mini_release):
    response = client.post(
        "/api/v1/assessments", INPUTS, content_type="application/json", headers=GZIP
    )
    assert response.status_code == 201
    assert response["Content-Encoding"] == "gzip"
    assert (
        json.loads(gzip.decompress(response.content))["inputs"]["pain_type"]
        == (INPUTS["pain_type"])
    )


def test_a_gzipped_page_revalidates_with_its_weakened_etag(client, location):
    compressed = client.get(location, headers=GZIP)
    # The compressed bytes are not the page's: RFC 9110 wants the ETag weak, and a weak match
    # is enough for If-None-Match.
    assert compressed["ETag"].startswith('W/"')
    again = client.get(location, headers={**GZIP, "If-None-Match": compressed["ETag"]})
    assert again.status_code == 304


def test_compressed_lengths_vary_from_one_response_to_the_next(client, location):
    # Django's Heal-the-Breach padding: up to 100 random bytes per compressed response, so a
    # length no longer tells exactly what compressed well.
    lengths = {len(client.get(location, headers=GZIP).content) for _ in range(20)}
    assert len(lengths) > 1


def test_the_form_pages_csrf_token_is_masked_afresh_in_every_response(client, mini_release):
    # BREACH reads a secret repeated byte for byte across many responses; Django's masked
    # token is never the same twice (docs/deploy.md, Compression).
    tokens = set()
    for _ in range(3):
        html = gzip.decompress(client.get("/", INPUTS, headers=GZIP).content).decode()
        tokens.update(re.findall(r'name="csrfmiddlewaretoken" value="([^"]+)"', html))
    assert len(tokens) == 3


def test_a_short_answer_is_not_compressed(client):
    assert "Content-Encoding" not in client.get("/livez", headers=GZIP)
