"""API keys as production has them: required (the default with DEBUG off), and one key."""

import pytest

from access.keys import create_api_key


@pytest.fixture
def keys_required(settings):
    settings.API_KEYS_REQUIRED = True


@pytest.fixture
def api_key(db, keys_required) -> str:
    """A live key, as its client holds it."""
    return create_api_key("ehr-test")[1]
