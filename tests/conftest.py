"""Shared fixtures: a small curated knowledge base, its release, and the shipped one; and how
the session sets up its databases."""

import dataclasses
import io
from types import SimpleNamespace

import psycopg
import pytest
from django.contrib.auth.models import Group
from django.core.management import call_command
from django.core.servers.basehttp import WSGIRequestHandler
from django.db import connection, connections, transaction
from django.db.backends.base.creation import TEST_DATABASE_PREFIX
from django.db.backends.postgresql.operations import DatabaseOperations
from django.test import Client
from django.utils import timezone

from decision.knowledge_base import DEFAULT_PATH, dump, export_data, load_data, read_file
from decision.models import Activation, ActivationReason, Condition, Release, Rule
from decision.releases import (
    build_payload,
    content_hash,
    forget_active_release,
    payload_from,
    publish_release,
)
from evidence.models import Direction, Finding, Severity, Source
from tests import factories as f

# --- The session's databases ------------------------------------------------------------------


@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(items):
    """Groups of tests that pytest-xdist (`--dist loadgroup`) runs on one worker each, in order,
    while the other workers share the rest. (xdist reads the groups after this hook.)

    - `server`: the tests that start gunicorn, nginx, PostgreSQL clusters and wrk, and bound how
      fast they are answered, run one after another;
    - `shipped_load`: the tests of the knowledge base's round trip share one load of it.

    Both build on the test database (its copy, the load) without a test transaction of their
    own, and pytest-django creates the test database only when a selected test asks for it: the
    django_db mark asks, so that running these tests alone does too.
    """
    for item in items:
        if item.get_closest_marker("server"):
            _join_xdist_group(item, "server")
        elif "shipped_load" in item.fixturenames:
            _join_xdist_group(item, "shipped_load")
        else:
            continue
        if not item.get_closest_marker("django_db"):
            item.add_marker(pytest.mark.django_db)


def _join_xdist_group(item: pytest.Item, group: str) -> None:
    item.add_marker(pytest.mark.xdist_group(group))
    # pytest-xdist 3.8 tells its scheduler an item's group by a suffix on the item's node id,
    # written to `item._nodeid`; pytest 9.2 reads the id from `item._id`, so the group is lost
    # and the tests scattered (pytest-xdist issue 1386). Until xdist writes it there itself,
    # this does, on the id's string form only.
    node_id = getattr(item, "_id", None)
    if not getattr(item.config.option, "loadgroup", False) or node_id is None:
        return
    if "@" not in str(node_id).rpartition("]")[2]:
        suffixed = dataclasses.replace(node_id)
        object.__setattr__(suffixed, "_str_cache", f"{node_id}@{group}")
        item._id = suffixed


@pytest.fixture(scope="session")
def django_db_setup(django_db_setup, django_db_blocker):
    """pytest-django's test database; on PostgreSQL also a copy of it as migrated, made before
    any test writes to it, whose name this fixture gives (`migrated_database`)."""
    name = connection.settings_dict["NAME"]
    # Without a test database (no selected test asked for one), the database named is the real
    # one: nothing to copy.
    if connection.vendor != "postgresql" or not name.startswith(TEST_DATABASE_PREFIX):
        yield None
        return
    copy = f"{name}_migrated"
    with django_db_blocker.unblock():
        # A database is copied only while no one is connected to it.
        connections.close_all()
        with _maintenance() as admin:
            admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
            admin.execute(f'CREATE DATABASE "{copy}" TEMPLATE "{name}"')
    yield copy
    with django_db_blocker.unblock():
        connections.close_all()
    with _maintenance() as admin:
        admin.execute(f'DROP DATABASE IF EXISTS "{copy}" WITH (FORCE)')
        # A connection some test's thread left open would make pytest-django's DROP DATABASE
        # wait 5 s, fail and leave the test database behind.
        admin.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = %s", [name]
        )


def _maintenance() -> psycopg.Connection:
    """A connection to the server's maintenance database, for CREATE and DROP DATABASE."""
    db = connection.settings_dict
    return psycopg.connect(
        host=db["HOST"] or "127.0.0.1",
        port=db["PORT"] or 5432,
        user=db["USER"] or None,
        password=db["PASSWORD"] or None,
        dbname="postgres",
        autocommit=True,
    )


@pytest.fixture(scope="session")
def migrated_database(django_db_setup) -> str | None:
    """A copy of the test database as the migrations left it, on PostgreSQL (else None): the
    server tests load it and serve from it (tests/ops/conftest.py) instead of migrating a
    database of their own. Copying a database takes well under a second; migrating, 20 s."""
    return django_db_setup


@pytest.fixture(scope="session", autouse=True)
def _flush_only_what_holds_rows():
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(DatabaseOperations, "sql_flush", _empty_what_holds_rows)
        yield


@pytest.fixture(scope="session", autouse=True)
def _live_server_without_delayed_answers():
    """The live server (browser tests, schemathesis) writes a response's headers and its body
    in separate sends; with Nagle's algorithm the body then waits for the client's delayed
    acknowledgement of the headers, 40 ms an answer. TCP_NODELAY sends it at once, as gunicorn
    does."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(WSGIRequestHandler, "disable_nagle_algorithm", True)
        yield


_truncate_all = DatabaseOperations.sql_flush


def _empty_what_holds_rows(self, style, tables, *, reset_sequences=False, allow_cascade=False):
    """After each transactional test (the browser and live-server tests), Django empties the
    database with one TRUNCATE of all its 116 tables. On PostgreSQL that replaces some 760 files
    and takes 1 to 4 s a test; emptying only the few tables that hold rows, with DELETE, leaves
    the same empty database in milliseconds. Foreign keys are checked at the commit, as are the
    evidence triggers, by when every row referring to a deleted one is gone too."""
    if reset_sequences or allow_cascade or not tables:
        return _truncate_all(
            self, style, tables, reset_sequences=reset_sequences, allow_cascade=allow_cascade
        )
    # The names are Django's own tables, quoted.
    quoted = [self.quote_name(table) for table in tables]
    query = " UNION ALL ".join(
        f"SELECT {index} WHERE EXISTS (SELECT 1 FROM {name})"  # noqa: S608
        for index, name in enumerate(quoted)
    )
    with self.connection.cursor() as cursor:
        cursor.execute(query)
        holding = [quoted[index] for (index,) in cursor.fetchall()]
    return [f"{style.SQL_KEYWORD('DELETE FROM')} {style.SQL_FIELD(name)};" for name in holding]


@pytest.fixture(autouse=True)
def _fresh_release_memory():
    # The active release lives in process memory; a test must not see the previous test's.
    forget_active_release()
    yield
    forget_active_release()


@pytest.fixture(autouse=True)
def _fast_passwords(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _open_api(settings):
    # Most tests are about the assessment, not the key: the API is open to them, as it is with
    # DEBUG on. The tests in tests/access (and the schemathesis run) require keys, the default
    # with DEBUG off, and prove them.
    settings.API_KEYS_REQUIRED = False


def _member(group: str, username: str):
    user = f.UserFactory(username=username, is_staff=True)
    user.groups.add(Group.objects.get(name=group))
    return user


@pytest.fixture
def curator(db):
    return _member("Curator", "curator")


@pytest.fixture
def reviewer(db):
    return _member("Reviewer", "reviewer")


@pytest.fixture
def curator_client(client, curator):
    client.force_login(curator)
    return client


@pytest.fixture
def reviewer_client(client, reviewer):
    client.force_login(reviewer)
    return client


@pytest.fixture
def mini_kb(db, settings):
    """A small but complete knowledge base: two pain types, two NMDAR antagonists, rules of
    every kind, and one curator test case. Everything is published.

    Built without history rows (most of its cost); changes a test makes are recorded as usual.
    """
    settings.SIMPLE_HISTORY_ENABLED = False
    kb = _build_mini_kb()
    settings.SIMPLE_HISTORY_ENABLED = True
    return kb


def _build_mini_kb():
    crps = f.PainTypeFactory(
        slug="complex_regional_pain_syndrome", name="Complex regional pain syndrome (CRPS)"
    )
    phn = f.PainTypeFactory(slug="postherpetic_neuralgia", name="Postherpetic neuralgia")
    nmdar = f.DrugClassFactory(slug="nmdar_antagonist", name="NMDA-receptor antagonist")
    opioid = f.DrugClassFactory(slug="opioid", name="Opioid")
    ssri = f.DrugClassFactory(slug="ssri", name="Selective serotonin reuptake inhibitor")
    serotonergic = f.DrugPropertyFactory(slug="serotonergic", name="Raises serotonergic activity")
    cns = f.DrugPropertyFactory(slug="cns_depressant", name="Central nervous system depressant")
    psychosis = f.PatientFactorFactory(
        slug="psychosis_history", name="Psychotic disorder or history of psychosis"
    )
    # No note of this small base depends on these inputs: declared, so the audit accepts them.
    renal = f.PatientFactorFactory(
        slug="renal_impairment_severe",
        name="Severe renal impairment (eGFR below 30)",
        nothing_known=True,
    )
    ketamine = f.DrugFactory(slug="ketamine", name="Ketamine", classes=[nmdar], nothing_known=True)
    dextromethorphan = f.DrugFactory(
        slug="dextromethorphan",
        name="Dextromethorphan",
        classes=[nmdar],
        properties=[serotonergic],
        nothing_known=True,
    )
    morphine = f.DrugFactory(slug="morphine", name="Morphine", classes=[opioid], properties=[cns])
    sertraline = f.DrugFactory(
        slug="sertraline", name="Sertraline", classes=[ssri], properties=[serotonergic]
    )
    sigtermans = f.SourceFactory(
        key="sigtermans-2009",
        authors="Sigtermans MJ, van Hilten JJ, Bauer MCR, Arbous MS, Marinus J, Sarton EY, Dahan A",
        title="Ketamine produces effective and long-term pain relief in patients with Complex "
        "Regional Pain Syndrome Type 1",
        journal="Pain",
        year=2009,
        volume="145",
        issue="3",
        pages="304-311",
        pmid="19604642",
        doi="10.1016/j.pain.2009.06.023",
    )
    zhou = f.SourceFactory(
        key="zhou-2011",
        authors="Zhou HY, Chen SR, Pan HL",
        title="Targeting N-methyl-D-aspartate receptors for treatment of neuropathic pain",
        journal="Expert Review of Clinical Pharmacology",
        year=2011,
        volume="4",
        issue="3",
        pages="379-388",
        pmid="21686074",
        doi="10.1586/ecp.11.17",
        study_type="review",
        is_founding_review=True,
    )
    label = f.SourceFactory(
        key="label-nuedexta",
        authors="",
        title="NUEDEXTA label",
        journal="",
        year=None,
        study_type="label",
    )
    cochrane = f.SourceFactory(key="ferraro-2025", study_type="systematic_review", year=2025)
    ketamine_crps = f.FindingFactory(
        key="ketamine-iv-crps-rcts",
        drug=ketamine,
        pain_type=crps,
        direction=Direction.MIXED,
        sources=[sigtermans],
    )
    f.FindingFactory(
        key="dm-phn",
        drug=dextromethorphan,
        pain_type=phn,
        direction=Direction.NO_BENEFIT,
        sources=[cochrane],
    )
    class_finding = f.FindingFactory(
        key="nmda-class-cochrane",
        drug=None,
        pain_type=phn,
        direction=Direction.NO_BENEFIT,
        summary="No clear benefit for the class.",
        sources=[cochrane],
    )
    dm_serotonin = f.SafetyConcernFactory(
        key="dm-serotonin-syndrome",
        drug=dextromethorphan,
        concern="serotonin toxicity",
        severity=Severity.HIGH,
        trigger_classes=[ssri],
        trigger_properties=[serotonergic],
        sources=[label],
    )
    ketamine_psychosis = f.SafetyConcernFactory(
        key="ketamine-psychosis-history",
        drug=ketamine,
        concern="worsening of psychiatric illness",
        severity=Severity.HIGH,
        trigger_factors=[psychosis],
        sources=[zhou],
    )
    ketamine_opioid = f.CombinationFactory(
        key="ketamine-opioid-cancer",
        nmdar_drug=ketamine,
        partner="opioid",
        direction=Direction.INSUFFICIENT,
        partner_classes=[opioid],
        sources=[zhou],
    )
    rules = SimpleNamespace(
        ketamine_crps=f.RuleFactory(
            key="ketamine-crps-suitability",
            kind="suitability",
            drug=ketamine,
            level="mixed",
            title="Ketamine for CRPS: mixed evidence",
            pain_types=[crps],
            cited_findings=[ketamine_crps],
        ),
        dm_serotonin=f.RuleFactory(
            key="caution-dm-serotonin-syndrome",
            kind="caution",
            drug=dextromethorphan,
            severity="high",
            title="Dextromethorphan with serotonergic medicines: serotonin toxicity",
            any_properties=[serotonergic],
            any_classes=[ssri],
            cited_safety=[dm_serotonin],
        ),
        ketamine_psychosis=f.RuleFactory(
            key="caution-ketamine-psychosis-history",
            kind="caution",
            drug=ketamine,
            severity="high",
            title="Ketamine with a history of psychosis",
            any_factors=[psychosis],
            cited_safety=[ketamine_psychosis],
        ),
        ketamine_opioid=f.RuleFactory(
            key="combination-ketamine-opioid",
            kind="combination",
            drug=ketamine,
            level="insufficient",
            title="Ketamine added to an opioid",
            any_classes=[opioid],
            cited_combinations=[ketamine_opioid],
        ),
        class_context=f.RuleFactory(
            key="context-class-evidence",
            kind="context",
            title="What reviews say about the class",
            cited_findings=[class_finding],
        ),
    )
    case = f.CuratorCaseFactory(
        key="crps-on-sertraline",
        title="CRPS on sertraline",
        pain_type=crps,
        analgesics=[sertraline],
    )
    f.ExpectationFactory(case=case, kind="suitability", drug=ketamine, level="mixed")
    f.ExpectationFactory(case=case, kind="caution", drug=dextromethorphan, severity="high")
    f.ExpectationFactory(case=case, outcome="absent", kind="caution", drug=ketamine)
    return SimpleNamespace(
        pain_types=SimpleNamespace(crps=crps, phn=phn),
        drugs=SimpleNamespace(
            ketamine=ketamine,
            dextromethorphan=dextromethorphan,
            morphine=morphine,
            sertraline=sertraline,
        ),
        factors=SimpleNamespace(psychosis=psychosis, renal=renal),
        rules=rules,
        case=case,
    )


@pytest.fixture
def mini_release(mini_kb) -> Release:
    """The mini knowledge base published as the active release."""
    return publish_release()


@pytest.fixture(scope="session")
def shipped_data() -> dict:
    """The shipped knowledge-base file, read and checked once per test session."""
    return read_file(DEFAULT_PATH)


@pytest.fixture(scope="session")
def shipped_load(django_db_setup, django_db_blocker, shipped_data):
    """The one full round trip of the shipped file, done once per session: `load_knowledge_base`
    into an empty database (what it printed, the release it published and /healthz then), the
    curator test cases run against the database, the file exported back, what a second load
    changes and the payload built from the database. The database is left as it was."""
    with django_db_blocker.unblock(), transaction.atomic():
        loaded = io.StringIO()
        call_command("load_knowledge_base", stdout=loaded)
        versions = list(Release.objects.values_list("version", flat=True))
        health = Client().get("/healthz").json()
        cases = io.StringIO()
        call_command("check_knowledge_base", stdout=cases, stderr=cases)
        exported = dump(export_data())
        history = {model: model.history.count() for model in (Finding, Rule, Source, Condition)}
        second = load_data(shipped_data)
        payload = build_payload()
        history_after = {model: model.history.count() for model in history}
        transaction.set_rollback(True)
    # The release published above is gone with the transaction: so must its memory be.
    forget_active_release()
    return SimpleNamespace(
        loaded=loaded.getvalue(),
        versions=versions,
        health=health,
        cases=cases.getvalue(),
        second=second,
        exported=exported,
        payload=payload,
        history_added=sum(history_after.values()) - sum(history.values()),
    )


@pytest.fixture(scope="session")
def shipped_payload(shipped_data) -> dict:
    """The release payload of the shipped file, built without the database."""
    return payload_from(shipped_data)


@pytest.fixture
def shipped_release(db, shipped_payload) -> Release:
    """The shipped knowledge base as the active release (stored directly from its payload)."""
    release = Release.objects.create(
        version="2026.11.27-1",
        published_at=timezone.now(),
        content_hash=content_hash(shipped_payload),
        changelog="First release.",
        payload=shipped_payload,
    )
    Activation.objects.create(release=release, reason=ActivationReason.PUBLISH)
    return release
