"""`create_api_key NAME` and `revoke_api_key NAME`."""

import io
import json

import pytest
from django.core.management import CommandError, call_command

from access.keys import digest
from access.models import ApiKey

pytestmark = pytest.mark.django_db

ASSESSMENTS = "/api/v1/assessments"


def create(name: str) -> list[str]:
    out = io.StringIO()
    call_command("create_api_key", name, stdout=out)
    return out.getvalue().splitlines()


def post(client, key: str):
    body = json.dumps({"pain_type": "postherpetic_neuralgia"})
    return client.post(
        ASSESSMENTS, body, content_type="application/json", headers={"X-API-Key": key}
    )


def test_it_prints_the_key_alone_on_the_last_line(db):
    lines = create("ehr-production")
    key = lines[-1]
    assert key.startswith("nmdar_") and " " not in key
    assert ApiKey.objects.get().hashed_key == digest(key)
    assert key not in "\n".join(lines[:-1])


def test_the_printed_key_works_on_the_api(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = True
    assert post(client, create("ehr-production")[-1]).status_code == 201


def test_it_names_the_key(db):
    create("  ehr-staging  ")
    assert ApiKey.objects.get().name == "ehr-staging"


@pytest.mark.parametrize("name", ["", "   ", "x" * 101])
def test_it_refuses_an_empty_or_overlong_name(db, name):
    with pytest.raises(CommandError):
        create(name)
    assert not ApiKey.objects.exists()


def test_revoking_by_name_shuts_the_key_out(client, mini_release, settings):
    settings.API_KEYS_REQUIRED = True
    key = create("ehr-production")[-1]
    kept = create("ehr-staging")[-1]
    out = io.StringIO()
    call_command("revoke_api_key", "ehr-production", stdout=out)
    assert "Revoked 1 API key(s)" in out.getvalue()
    assert (post(client, key).status_code, post(client, kept).status_code) == (401, 201)
    assert ApiKey.objects.get(name="ehr-production").revoked_at is not None


def test_revoking_an_unknown_name_is_an_error(db):
    with pytest.raises(CommandError, match="No API key is named 'nobody'"):
        call_command("revoke_api_key", "nobody", stdout=io.StringIO())
