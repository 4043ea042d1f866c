"""Publishing, rollback, immutability and how processes learn of a new release."""

import datetime

import pytest
import time_machine
from django.db import IntegrityError, connection, transaction

from decision.assessments import answer, parse_inputs, store_assessment, stored_notes
from decision.models import Activation, Assessment, Release
from decision.releases import (
    AlreadyActive,
    NothingChanged,
    PublishRefused,
    activate_release,
    active_release,
    publish_release,
)
from evidence.models import Status
from tests import factories as f

CRPS = "complex_regional_pain_syndrome"


@time_machine.travel(datetime.datetime(2026, 11, 27, 10, 0, tzinfo=datetime.UTC))
def test_publishing_numbers_releases_by_day(mini_kb):
    first = publish_release()
    mini_kb.rules.class_context.text = "Reviews disagree."
    mini_kb.rules.class_context.save()
    second = publish_release()
    assert (first.version, second.version) == ("2026.11.27-1", "2026.11.27-2")
    assert Activation.objects.first().release == second


def test_a_release_records_who_published_it_and_a_content_hash(mini_kb):
    reviewer = f.UserFactory()
    release = publish_release(user=reviewer)
    assert release.published_by == reviewer
    assert len(release.content_hash) == 64
    assert release.changelog.startswith("First release.")


def test_the_changelog_names_what_changed_since_the_previous_release(mini_release, mini_kb):
    mini_kb.rules.ketamine_crps.text = "Two small trials and disagreeing syntheses."
    mini_kb.rules.ketamine_crps.save()
    mini_kb.rules.class_context.status = Status.DRAFT
    mini_kb.rules.class_context.save()
    release = publish_release()
    assert "Rules changed (1): ketamine-crps-suitability." in release.changelog
    assert "Rules removed (1): context-class-evidence." in release.changelog


def test_publishing_unchanged_content_is_refused(mini_release):
    with pytest.raises(NothingChanged, match=mini_release.version):
        publish_release()
    assert Release.objects.count() == 1


def test_a_failing_curator_case_refuses_the_publish_and_changes_nothing(mini_release, mini_kb):
    mini_kb.rules.ketamine_crps.level = "favourable"
    mini_kb.rules.ketamine_crps.save()
    with pytest.raises(PublishRefused) as refused:
        publish_release()
    (result,) = refused.value.failures
    assert result.key == "crps-on-sertraline"
    assert str(result.failures[0]) == (
        "expected a suitability note on ketamine at level mixed must appear; "
        "got: suitability ketamine favourable [ketamine-crps-suitability]"
    )
    assert list(Release.objects.all()) == [mini_release]
    assert active_release().id == mini_release.id


def test_draft_cases_do_not_gate_publishing(mini_release, mini_kb):
    mini_kb.case.status = Status.DRAFT
    mini_kb.case.save()
    mini_kb.rules.ketamine_crps.level = "favourable"
    mini_kb.rules.ketamine_crps.level_reason = "The curators weigh the trials above the syntheses."
    mini_kb.rules.ketamine_crps.save()
    assert publish_release().version != mini_release.version


def test_a_published_record_citing_a_draft_source_is_refused(mini_release, mini_kb):
    source = mini_kb.rules.ketamine_crps.cited_findings.get().sources.get()
    source.status = Status.DRAFT
    source.save()
    with pytest.raises(PublishRefused, match="cites source 'sigtermans-2009', which is not"):
        publish_release()
    assert Release.objects.count() == 1


def test_drafts_never_reach_the_live_answer(mini_release, mini_kb):
    mini_kb.rules.ketamine_crps.text = "An edited draft text"
    mini_kb.rules.ketamine_crps.status = Status.DRAFT
    mini_kb.rules.ketamine_crps.save()
    release = active_release()
    notes = answer(release, parse_inputs(release, CRPS))
    assert all(note.text != "An edited draft text" for note in notes)


def test_rollback_makes_an_earlier_release_active_again(
    mini_release, mini_kb, django_capture_on_commit_callbacks
):
    mini_kb.rules.ketamine_crps.title = "Ketamine for CRPS: changed title"
    mini_kb.rules.ketamine_crps.save()
    with django_capture_on_commit_callbacks(execute=True):
        newer = publish_release()
    assert active_release().id == newer.id
    with django_capture_on_commit_callbacks(execute=True):
        activate_release(mini_release)
    assert active_release().id == mini_release.id
    assert [a.reason for a in Activation.objects.all()] == ["rollback", "publish", "publish"]


def test_making_the_active_release_active_again_is_refused(mini_release):
    with pytest.raises(AlreadyActive, match=mini_release.version):
        activate_release(mini_release)
    assert Activation.objects.count() == 1


def test_a_stored_assessment_is_unchanged_after_a_republish(mini_release, mini_kb):
    release = active_release()
    inputs = parse_inputs(release, CRPS, ["sertraline"])
    notes = answer(release, inputs)
    stored = store_assessment(release, inputs, notes)
    before = stored_notes(Assessment.objects.get(pk=stored.pk))
    assert before == list(notes)
    mini_kb.rules.ketamine_crps.title = "A new title"
    mini_kb.rules.ketamine_crps.save()
    source = mini_kb.rules.ketamine_crps.cited_findings.get().sources.get()
    source.title = "A retitled trial"
    source.save()
    publish_release()
    after = Assessment.objects.get(pk=stored.pk)
    assert after.release_id == mini_release.id
    assert stored_notes(after) == before
    assert "A new title" not in str(stored_notes(after))


def test_releases_cannot_be_edited(mini_release):
    mini_release.changelog = "rewritten"
    with pytest.raises(ValueError, match="immutable"):
        mini_release.save()


@pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL guard")
def test_the_database_refuses_to_update_a_release_or_an_assessment(mini_release):
    release = active_release()
    inputs = parse_inputs(release, CRPS)
    stored = store_assessment(release, inputs, answer(release, inputs))
    with pytest.raises(IntegrityError), transaction.atomic():
        Release.objects.filter(pk=mini_release.pk).update(changelog="rewritten")
    with pytest.raises(IntegrityError), transaction.atomic():
        Assessment.objects.filter(pk=stored.pk).update(notes=[])


def test_a_warm_process_answers_from_memory_without_queries(
    mini_release, django_assert_num_queries
):
    active_release()
    with django_assert_num_queries(0):
        assert active_release().id == mini_release.id


def test_a_publish_is_announced_to_every_process_through_the_shared_cache(
    mini_release, mini_kb, django_capture_on_commit_callbacks
):
    active_release()
    mini_kb.rules.ketamine_crps.title = "Newer title"
    mini_kb.rules.ketamine_crps.save()
    with django_capture_on_commit_callbacks(execute=True):
        newer = publish_release()
    assert active_release().id == newer.id


def test_without_an_announcement_a_process_rechecks_once_its_interval_passes(
    mini_release, mini_kb, settings
):
    from django.core.cache import cache

    from decision.releases import CACHE_KEY

    active_release()
    mini_kb.rules.ketamine_crps.title = "Newer title"
    mini_kb.rules.ketamine_crps.save()
    # Published elsewhere: the commit hook that announces it does not run in this process.
    newer = publish_release()
    assert active_release().id == mini_release.id
    # The interval passes: this process's cache entry expires and it asks the database.
    cache.delete(CACHE_KEY)
    settings.RELEASE_CHECK_SECONDS = 0
    assert active_release().id == newer.id


def test_there_is_no_active_release_before_the_first_publish(db):
    assert active_release() is None


def test_a_release_the_audit_blocks_is_refused_naming_the_record(mini_release, mini_kb):
    rule = mini_kb.rules.ketamine_psychosis
    rule.text = "Labelling advises avoiding ketamine in psychosis."
    rule.save()
    with pytest.raises(PublishRefused, match="caution-ketamine-psychosis-history: instruction"):
        publish_release()
    assert list(Release.objects.all()) == [mini_release]


def test_the_changelog_carries_the_audit_figures_and_every_level_change(mini_release, mini_kb):
    rule = mini_kb.rules.ketamine_crps
    rule.level = "favourable"
    rule.level_reason = "The curators weigh the trials above the syntheses."
    rule.save()
    mini_kb.case.status = Status.DRAFT  # the shipped case expects "mixed"
    mini_kb.case.save()
    changelog = publish_release().changelog
    assert (
        "Level of ketamine-crps-suitability: mixed → favourable (The curators weigh the trials "
        "above the syntheses.)" in changelog
    )
    assert "Patient cautions per answer, high: min 0" in changelog
    assert "Blocking findings: interaction seen from one side only: 0" in changelog
