"""The admin is hard to break into: lockout, logged failures, long passwords, idle sessions."""

from __future__ import annotations

import datetime
import logging

import pytest
import time_machine
from django.contrib.auth import get_user_model
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.urls import reverse

pytestmark = pytest.mark.django_db

PASSWORD = "correct horse battery staple"
WRONG = "Tr0ub4dor&3-guessed"
LOGIN = "/admin/login/"


@pytest.fixture
def curator(db):
    return get_user_model().objects.create_user("curator", password=PASSWORD, is_staff=True)


def sign_in(client, username: str, password: str, **extra):
    return client.post(LOGIN, {"username": username, "password": password}, **extra)


def test_it_locks_a_user_name_out_after_five_failures_even_with_the_right_password(client, curator):
    statuses = [sign_in(client, "curator", WRONG).status_code for _ in range(4)]
    locked = sign_in(client, "curator", WRONG)
    assert statuses == [200] * 4  # the form again, saying the password is wrong
    assert locked.status_code == 429
    assert 'id="locked-out"' in locked.content.decode()
    assert sign_in(client, "curator", PASSWORD).status_code == 429
    # Another address does not help: the user name itself is locked.
    assert sign_in(client, "curator", PASSWORD, REMOTE_ADDR="198.51.100.7").status_code == 429


def test_the_lockout_ends_after_the_cool_off(client, curator, settings):
    for _ in range(5):
        sign_in(client, "curator", WRONG)
    later = datetime.datetime.now(datetime.UTC) + settings.AXES_COOLOFF_TIME
    with time_machine.travel(later + datetime.timedelta(minutes=1)):
        answer = sign_in(client, "curator", PASSWORD)
    assert answer.status_code == 302


def test_it_locks_an_address_out_that_tries_many_user_names(client, curator):
    for number in range(5):
        sign_in(client, f"guess{number}", WRONG, REMOTE_ADDR="198.51.100.7")
    answer = sign_in(client, "curator", PASSWORD, REMOTE_ADDR="198.51.100.7")
    assert answer.status_code == 429


def test_a_failure_is_logged_with_the_user_name_and_address_but_not_the_password(
    client, curator, caplog
):
    with caplog.at_level(logging.INFO, logger="axes"):
        sign_in(client, "curator", WRONG, REMOTE_ADDR="198.51.100.7")
    failures = [r.getMessage() for r in caplog.records if "login failure" in r.getMessage()]
    assert len(failures) == 1
    assert 'username: "curator"' in failures[0]
    assert 'ip_address: "198.51.100.7"' in failures[0]
    assert all(WRONG not in record.getMessage() for record in caplog.records)


@pytest.mark.parametrize(("password", "accepted"), [("shortish-pw", False), ("twelve-chars", True)])
def test_a_password_needs_at_least_twelve_characters(password, accepted):
    if accepted:
        validate_password(password)
    else:
        with pytest.raises(ValidationError, match="at least 12 characters"):
            validate_password(password)


def test_a_staff_session_ends_after_thirty_idle_minutes_and_each_request_renews_it(
    client, curator, settings
):
    assert settings.SESSION_COOKIE_AGE == 30 * 60
    index = reverse("admin:index")
    start = datetime.datetime.now(datetime.UTC)
    with time_machine.travel(start, tick=False) as clock:
        client.force_login(curator)
        assert client.get(index).status_code == 200
        clock.shift(datetime.timedelta(minutes=29))
        assert client.get(index).status_code == 200
        clock.shift(datetime.timedelta(minutes=29))  # 58 minutes in, 29 since the last request
        assert client.get(index).status_code == 200
        clock.shift(datetime.timedelta(minutes=31))
        answer = client.get(index)
    assert answer.status_code == 302
    assert answer.url.startswith(LOGIN)
