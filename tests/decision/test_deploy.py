"""The deploy key: the same for the same shipped code, another for any change a page could show."""

import pytest

from decision.deploy import deploy_key


@pytest.fixture
def shipped(settings, tmp_path):
    """A small copy of a deploy: pyproject, one template, one module, one stylesheet."""
    (tmp_path / "pyproject.toml").write_text('dependencies = ["Django==5.2.19"]\n')
    for name, text in {
        "templates/base.html": "<body>{% block content %}{% endblock %}</body>",
        "decision/views.py": "def assess(request): ...\n",
        "static/css/app.css": "body { color: #222; }\n",
    }.items():
        path = tmp_path / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    settings.BASE_DIR = tmp_path
    deploy_key.cache_clear()
    yield tmp_path
    deploy_key.cache_clear()


def key_after(change=None) -> str:
    if change:
        change()
    deploy_key.cache_clear()
    return deploy_key()


def test_the_same_code_gives_the_same_key(shipped):
    assert key_after() == key_after()


@pytest.mark.parametrize(
    "name",
    ["templates/base.html", "decision/views.py", "static/css/app.css", "pyproject.toml"],
)
def test_any_shipped_change_gives_another_key(shipped, name):
    before = key_after()
    assert key_after(lambda: (shipped / name).write_text("changed")) != before


def test_a_new_template_gives_another_key(shipped):
    before = key_after()
    assert key_after(lambda: (shipped / "templates" / "new.html").write_text("")) != before


def test_bytecode_and_other_folders_do_not_count(shipped):
    before = key_after()

    def compile_and_log():
        (shipped / "decision" / "__pycache__").mkdir()
        (shipped / "decision" / "__pycache__" / "views.cpython-311.pyc").write_bytes(b"\0")
        (shipped / "var").mkdir()
        (shipped / "var" / "db.sqlite3").write_bytes(b"\0")

    assert key_after(compile_and_log) == before


def test_hashed_static_urls_give_another_key(shipped, settings):
    before = key_after()
    hashed = "whitenoise.storage.CompressedManifestStaticFilesStorage"
    storages = {**settings.STORAGES, "staticfiles": {"BACKEND": hashed}}
    assert key_after(lambda: setattr(settings, "STORAGES", storages)) != before
