"""Storing an assessment: one insert, the answer shared, and what the database keeps."""

import pytest
from django.db import connection

from decision.assessments import answer_for, parse_inputs, store_assessment, stored_notes
from decision.models import Assessment
from decision.releases import active_release

CRPS = "complex_regional_pain_syndrome"


def test_the_same_question_under_the_same_release_is_answered_once(mini_release):
    release = active_release()
    first = answer_for(release, parse_inputs(release, CRPS, ["sertraline", "morphine"]))
    again = answer_for(release, parse_inputs(release, CRPS, ["morphine", "sertraline"]))
    other = answer_for(release, parse_inputs(release, CRPS, ["morphine"]))
    assert again is first
    assert other is not first
    assert [note.id for note in first.notes] != [note.id for note in other.notes]


def test_storing_makes_exactly_one_query(mini_release, django_assert_num_queries):
    release = active_release()
    inputs = parse_inputs(release, CRPS, ["sertraline"])
    result = answer_for(release, inputs)
    with django_assert_num_queries(1):
        stored = store_assessment(release, inputs, result)
    fresh = Assessment.objects.get(pk=stored.pk)
    assert fresh.inputs == inputs.as_dict()
    assert stored_notes(fresh) == [note.as_dict() for note in result.notes]


def test_a_stored_note_keeps_its_scale_and_why_but_cites_the_release_by_reference(mini_release):
    release = active_release()
    inputs = parse_inputs(release, CRPS, ["sertraline"])
    stored = store_assessment(release, inputs, answer_for(release, inputs))
    caution = next(n for n in stored.notes if n["id"] == "caution-dm-serotonin-syndrome")
    assert caution == {
        "id": "caution-dm-serotonin-syndrome",
        "kind": "caution",
        "drug": "dextromethorphan",
        "level": None,
        "severity": "high",
        "why": [
            "Current medicine: Sertraline (selective serotonin reuptake inhibitor)",
            "Current medicine: Sertraline (raises serotonergic activity)",
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
    stored = store_assessment(release, inputs, answer_for(release, inputs))
    with connection.cursor() as cursor:
        # The setting is local to the insert's transaction (here the test's own).
        cursor.execute("SHOW synchronous_commit")
        assert cursor.fetchone()[0] == expected
    assert Assessment.objects.filter(pk=stored.pk).exists()
