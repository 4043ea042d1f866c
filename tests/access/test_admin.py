"""API keys in the admin: the list, creating one (shown once), revoking, never deleting."""

import json
import re

import pytest
from django.contrib.sessions.models import Session
from django.urls import reverse

from access.keys import create_api_key, digest
from access.models import ApiKey
from tests import factories as f

pytestmark = pytest.mark.django_db

LIST_URL = reverse("admin:access_apikey_changelist")
ADD_URL = reverse("admin:access_apikey_add")
ASSESSMENTS = "/api/v1/assessments"


@pytest.fixture
def admin_client(client):
    client.force_login(f.UserFactory(username="operator", is_superuser=True))
    return client


def shown_key(response) -> str:
    match = re.search(r'<code id="new-api-key">([^<]+)</code>', response.text)
    assert match, response.text
    return match.group(1)


def assess(client, key: str):
    body = json.dumps({"pain_type": "postherpetic_neuralgia"})
    return client.post(
        ASSESSMENTS,
        body,
        content_type="application/json",
        headers={"Authorization": f"Bearer {key}"},
    )


def test_the_list_shows_name_created_last_used_and_revoked(admin_client):
    create_api_key("ehr-production")
    response = admin_client.get(LIST_URL)
    assert response.status_code == 200
    headers = re.findall(r'<th scope="col" class="[^"]*column-(\w+)', response.text)
    assert headers == ["name", "shown_as", "created_at", "last_used_at", "revoked", "revoked_at"]
    assert "ehr-production" in response.text


def test_the_add_form_asks_only_for_a_name(admin_client):
    form = admin_client.get(ADD_URL).context["adminform"].form
    assert list(form.fields) == ["name"]


def test_creating_a_key_shows_it_once_and_stores_its_digest(admin_client):
    response = admin_client.post(ADD_URL, {"name": "ehr-production"})
    assert response.status_code == 200
    key = shown_key(response)
    stored = ApiKey.objects.get()
    assert (stored.name, stored.hashed_key) == ("ehr-production", digest(key))
    assert "no-store" in response["Cache-Control"]
    # Nowhere else: not on the list, the key's page, or in the session (no message carries it).
    for url in (LIST_URL, reverse("admin:access_apikey_change", args=[stored.pk])):
        assert key not in admin_client.get(url).text
    assert all(key not in str(s.get_decoded()) for s in Session.objects.all())
    assert key not in response.cookies.output()


def test_a_key_created_in_the_admin_works_on_the_api(admin_client, mini_release, settings):
    settings.API_KEYS_REQUIRED = True
    key = shown_key(admin_client.post(ADD_URL, {"name": "ehr-production"}))
    assert assess(admin_client, key).status_code == 201


def test_the_revoke_action_shuts_the_key_out_at_once(admin_client, mini_release, settings):
    settings.API_KEYS_REQUIRED = True
    api_key, key = create_api_key("ehr-production")
    _, other = create_api_key("ehr-staging")
    assert assess(admin_client, key).status_code == 201
    response = admin_client.post(
        LIST_URL, {"action": "revoke", "_selected_action": [api_key.pk]}, follow=True
    )
    assert "Revoked 1 API key(s)." in response.text
    api_key.refresh_from_db()
    assert api_key.revoked and api_key.revoked_at is not None
    assert (assess(admin_client, key).status_code, assess(admin_client, other).status_code) == (
        401,
        201,
    )


def test_keys_cannot_be_deleted(admin_client):
    api_key, _ = create_api_key("ehr-production")
    response = admin_client.post(reverse("admin:access_apikey_delete", args=[api_key.pk]))
    assert response.status_code == 403
    assert ApiKey.objects.exists()


def test_revoked_cannot_be_undone_on_the_change_form(admin_client):
    api_key, _ = create_api_key("ehr-production")
    form = admin_client.get(reverse("admin:access_apikey_change", args=[api_key.pk]))
    assert list(form.context["adminform"].form.fields) == ["name"]


def test_curators_cannot_see_api_keys(curator_client):
    assert curator_client.get(LIST_URL).status_code == 403
