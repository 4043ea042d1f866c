import pytest
from django.db import DatabaseError

from decision.releases import activate_release


@pytest.mark.django_db
def test_livez_answers_ok_without_touching_the_database(client, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = client.get("/livez")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_livez_rejects_post(client):
    assert client.post("/livez").status_code == 405


@pytest.mark.django_db
def test_healthz_is_unavailable_until_a_release_is_published(client):
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json() == {"status": "failing", "database": "ok", "knowledge_base": "none"}


def test_healthz_names_the_active_release(client, mini_release):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {
        "status": "ok",
        "database": "ok",
        "knowledge_base": mini_release.version,
    }


def test_healthz_follows_a_rollback(client, mini_release, mini_kb):
    from decision.releases import publish_release

    mini_kb.rules.class_context.title = "What reviews now say about the class"
    mini_kb.rules.class_context.save()
    newer = publish_release()
    assert client.get("/healthz").json()["knowledge_base"] == newer.version
    activate_release(mini_release)
    assert client.get("/healthz").json()["knowledge_base"] == mini_release.version


@pytest.mark.django_db
def test_healthz_reports_an_unreachable_database(client, monkeypatch):
    # Simulates the server losing its database: every cursor fails as psycopg would.
    from django.db.backends.utils import CursorWrapper

    def refuse(*args, **kwargs):
        raise DatabaseError("connection refused")

    monkeypatch.setattr(CursorWrapper, "execute", refuse)
    response = client.get("/healthz")
    assert response.status_code == 503
    assert response.json()["database"] == "unreachable"
