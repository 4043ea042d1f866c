"""The operators' and curators' screens, and registering a client from the command line."""

import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from cdshooks.models import EhrClient
from evidence.models import CodePairing, ObservationCriterion, PainType
from tests.admin_helpers import errors_of, post_change


def test_register_cds_client_creates_then_updates_a_client(db, tmp_path, signing_key, capsys):
    path = tmp_path / "jwks.json"
    path.write_text(json.dumps({"keys": [signing_key.jwk]}))
    call_command(
        "register_cds_client", "https://ehr.example.org/", "--jwks", str(path), "--name", "EHR"
    )
    assert "Registered https://ehr.example.org/ with key(s) ehr-key-1." in capsys.readouterr().out
    call_command("register_cds_client", "https://ehr.example.org/", "--jwks", str(path))
    assert "Updated" in capsys.readouterr().out
    client = EhrClient.objects.get()
    assert (client.name, client.kids, client.active) == (
        "https://ehr.example.org/",
        ["ehr-key-1"],
        True,
    )


@pytest.mark.parametrize(
    ("content", "message"),
    [
        ("not json", "is not JSON"),
        ('{"keys": [{"kty": "oct", "kid": "a", "k": "c2VjcmV0"}]}', "private or symmetric"),
        ('{"keys": []}', "at least one key"),
    ],
)
def test_register_cds_client_refuses_a_bad_key_set(db, tmp_path, content, message):
    path = tmp_path / "jwks.json"
    path.write_text(content)
    with pytest.raises(CommandError, match=message):
        call_command("register_cds_client", "https://ehr.example.org/", "--jwks", str(path))
    assert not EhrClient.objects.exists()


def test_register_cds_client_refuses_a_missing_file(db, tmp_path):
    with pytest.raises(CommandError, match="Cannot read"):
        call_command("register_cds_client", "x", "--jwks", str(tmp_path / "none.json"))


def test_the_admin_refuses_a_private_key_for_a_client(admin_client, signing_key):
    jwks = {"keys": [{**signing_key.jwk, "d": "private"}]}
    response = admin_client.post(
        "/admin/cdshooks/ehrclient/add/",
        {
            "name": "EHR",
            "issuer": "https://ehr.example.org/",
            "jwks": json.dumps(jwks),
            "active": "on",
        },
    )
    assert response.status_code == 200
    assert "private or symmetric key material" in errors_of(response)
    assert not EhrClient.objects.exists()


@pytest.mark.parametrize(
    "url",
    [
        "/admin/cdshooks/ehrclient/",
        "/admin/cdshooks/overridereason/",
        "/admin/cdshooks/cardfeedback/",
        "/admin/evidence/codepairing/",
        "/admin/evidence/medicinalproduct/",
        "/admin/evidence/observationcriterion/",
    ],
)
def test_the_admin_lists_open(admin_client, url):
    assert admin_client.get(url).status_code == 200


def test_a_curator_types_pairing_codes_as_a_list(curator_client):
    pain = PainType.objects.create(slug="hiv_neuropathy", name="HIV-associated neuropathy")
    pairing = CodePairing.objects.create(key="hiv", pain_type=pain, codes=["B20"])
    response = post_change(curator_client, pairing, codes="B20, B20.1", partner_codes="G63")
    assert response.status_code == 302, errors_of(response)
    pairing.refresh_from_db()
    assert (pairing.codes, pairing.partner_codes) == (["B20", "B20.1"], ["G63"])


def test_a_criterion_cannot_be_verified_incomplete(curator_client):
    from evidence.models import PatientFactor

    factor = PatientFactor.objects.create(slug="renal_impairment_severe", name="Severe")
    criterion = ObservationCriterion.objects.create(
        key="egfr", factor=factor, measurement="eGFR", below=30
    )
    response = post_change(curator_client, criterion, verified="on")
    assert "needs codes, a unit and a look-back" in errors_of(response)
    response = post_change(
        curator_client,
        criterion,
        verified="on",
        codes="X-1",
        unit="u",
        max_age_days="90",
        at_most="20",
    )
    assert "one upper bound" in errors_of(response)
