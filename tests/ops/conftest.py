"""Databases of their own for the tests that run real servers and processes.

The test database of pytest-django lives inside one transaction per test, which no other process
can see. These tests get a real database instead: the session's copy of the freshly migrated
test database (`migrated_database`, tests/conftest.py) is loaded with the shipped knowledge base
once per session, and each test gets a copy of it (a PostgreSQL template copy: well under a
second). The copy holds one API key, for the API's POSTs (`api_headers`): production requires
one.
"""

from __future__ import annotations

import contextlib
import os
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor

import psycopg
import pytest
from django.conf import settings

from tests.ops.servers import manage, production_env


def _server() -> dict:
    db = settings.DATABASES["default"]
    if db["ENGINE"] != "ops.postgresql":
        message = "server tests need PostgreSQL (set DATABASE_URL=postgres://…)"
        if os.environ.get("CI"):
            pytest.fail(message)
        pytest.skip(message)
    return {"host": db["HOST"] or "127.0.0.1", "port": db["PORT"] or "5432", "user": db["USER"]}


def database_url(name: str) -> str:
    server = _server()
    return f"postgres://{server['user']}@{server['host']}:{server['port']}/{name}"


def admin_connection() -> psycopg.Connection:
    return psycopg.connect(**_server(), dbname="postgres", autocommit=True)


@pytest.fixture(scope="session")
def _template(request) -> tuple[str, str]:
    """The template database's name, and the API key stored in it."""
    _server()
    name = request.getfixturevalue("migrated_database")
    assert name, "the server tests' database is a copy of the test database (tests/conftest.py)"
    # Maintenance, run as docs/deploy.md says: with the serving bounds lifted. The key is made
    # while the knowledge base loads (they share no table), so one start-up less is waited for.
    env = production_env(
        database_url(name), DATABASE_STATEMENT_TIMEOUT="0", DATABASE_CLIENT_TIMEOUT="0"
    )
    with ThreadPoolExecutor(max_workers=2) as pool:
        loading = pool.submit(manage, env, "load_knowledge_base")
        creating = pool.submit(manage, env, "create_api_key", "ops tests")
        loading.result()
        key = creating.result().splitlines()[-1]
    return name, key


@pytest.fixture(scope="session")
def template_database(_template) -> str:
    return _template[0]


@pytest.fixture(scope="session")
def api_headers(_template) -> dict[str, str]:
    """What a client of the API's POST sends: JSON, and the key every copy of the database has."""
    return {"Content-Type": "application/json", "Authorization": f"Bearer {_template[1]}"}


@contextlib.contextmanager
def database_copy(template: str) -> Iterator[str]:
    """A fresh copy of the loaded database for as long as the block lasts: its URL."""
    name = f"nmdar_ops_{uuid.uuid4().hex[:12]}"
    with admin_connection() as connection:
        connection.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    try:
        yield database_url(name)
    finally:
        with admin_connection() as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def app_database(template_database):
    """A fresh copy of the loaded database: its URL."""
    with database_copy(template_database) as url:
        yield url
