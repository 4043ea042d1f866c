"""Storing an assessment: one insert, and what the database keeps."""

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from decision.assessments import (
    answer,
    parse_inputs,
    store_assessment,
    stored_notes,
    without_waiting_for_disk,
)
from decision.models import Assessment
from decision.releases import active_release

CRPS = "complex_regional_pain_syndrome"


def test_storing_is_one_insert_and_reads_back_exactly_as_answered(mini_release):
    release = active_release()
    inputs = parse_inputs(release, CRPS, ["sertraline"])
    notes = answer(release, inputs)
    with CaptureQueriesContext(connection) as queries:
        stored = store_assessment(release, inputs, notes)
    # One round trip: no BEGIN, SET or COMMIT of its own around the INSERT.
    assert [q["sql"].split()[0] for q in queries] == ["INSERT"]
    fresh = Assessment.objects.get(pk=stored.pk)
    assert fresh.inputs == inputs.as_dict()
    assert stored_notes(fresh) == list(notes)


def test_a_stored_note_keeps_its_scale_and_why_but_cites_the_release_by_reference(mini_release):
    release = active_release()
    inputs = parse_inputs(release, CRPS, ["sertraline"])
    stored = store_assessment(release, inputs, answer(release, inputs))
    caution = next(n for n in stored.notes if n["id"] == "caution-dm-serotonin-syndrome")
    assert caution == {
        "id": "caution-dm-serotonin-syndrome",
        "kind": "caution",
        "drug": "dextromethorphan",
        "level": None,
        "severity": "high",
        "why": [
            "Current medicine: Sertraline (selective serotonin reuptake inhibitor; raises "
            "serotonergic activity)"
        ],
    }
    unstudied = next(n for n in stored.notes if n["id"].endswith("-no-direct-evidence"))
    assert unstudied["title"].startswith("Dextromethorphan for complex regional pain syndrome")
    assert unstudied["evidence"] == [["ferraro-2025", "low"]]


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.parametrize(("enabled", "expected"), [(True, "off"), (False, "on")])
def test_on_postgresql_the_insert_need_not_wait_for_the_disk(
    mini_release, settings, enabled, expected
):
    settings.ASSESSMENT_ASYNC_COMMIT = enabled
    release = active_release()
    inputs = parse_inputs(release, CRPS)
    stored = store_assessment(release, inputs, answer(release, inputs))
    with connection.cursor() as cursor:
        # The setting is local to the insert's transaction (here the test's own).
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == expected
    assert Assessment.objects.filter(pk=stored.pk).exists()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
@pytest.mark.django_db(transaction=True)
def test_outside_a_transaction_the_setting_lasts_for_the_write_alone(settings):
    settings.ASSESSMENT_ASYNC_COMMIT = True
    # In autocommit, as in production: the write and its SET LOCAL are one implicit
    # transaction; the connection's next statements wait for the disk again, and an insert's
    # RETURNING rows still reach the caller.
    with connection.cursor() as cursor:
        cursor.execute("CREATE TEMPORARY TABLE written (id serial PRIMARY KEY, value int)")
        with without_waiting_for_disk():
            cursor.execute("INSERT INTO written (value) VALUES (%s), (%s) RETURNING id", [7, 8])
            assert [row[0] for row in cursor.fetchall()] == [1, 2]
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == "on"
        cursor.execute("SELECT count(*) FROM written")
        assert cursor.fetchone()[0] == 2


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL setting")
def test_on_postgresql_stored_notes_are_compressed_with_lz4(db):
    # Cheaper for the server to write than pglz, the default (migration 0009).
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT 'lz4' = ANY(enumvals) FROM pg_settings WHERE name = 'default_toast_compression'"
        )
        if not cursor.fetchone()[0]:
            pytest.skip("this PostgreSQL was built without lz4; the migration leaves pglz")
        cursor.execute(
            "SELECT attcompression FROM pg_attribute"
            " WHERE attrelid = 'decision_assessment'::regclass AND attname = 'notes'"
        )
        assert cursor.fetchone()[0] == "l"
