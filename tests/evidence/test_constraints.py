"""Integrity lives in the database: each constraint rejects bad data whatever code writes it."""

import pytest
from django.db import IntegrityError, connection, transaction

from decision.models import Rule
from evidence.models import ClinicalCode, Finding, PainType, Source
from tests import factories as f

pytestmark = pytest.mark.django_db


def rejects(create) -> bool:
    try:
        with transaction.atomic():
            create()
            if connection.vendor == "postgresql":
                # Deferred constraint triggers fire at commit; make them fire now.
                with connection.cursor() as cursor:
                    cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
    except IntegrityError:
        return True
    return False


@pytest.mark.parametrize(
    "fields",
    [
        {"pmid": "PMC123"},
        {"pmid": "1234 5"},
        {"doi": "doi:10.1000/x"},
        {"doi": "https://doi.org/10.1/x"},
        {"year": 1850},
        {"year": 2150},
        {"study_type": "anecdote"},
        {"status": "approved"},
        {"key": "Bad Key"},
    ],
)
def test_a_source_with_a_malformed_field_is_rejected(fields):
    base = {"key": "ok-key", "title": "T", "study_type": "rct"}
    assert rejects(lambda: Source.objects.create(**{**base, **fields}))


def test_a_well_formed_source_is_accepted():
    assert not rejects(
        lambda: Source.objects.create(
            key="zhou-2011", title="T", study_type="review", pmid="21686074", doi="10.1586/x"
        )
    )


@pytest.mark.parametrize("field", ["pmid", "doi"])
def test_two_sources_cannot_share_a_pmid_or_doi(field):
    value = "123" if field == "pmid" else "10.1/abc"
    f.SourceFactory(**{field: value})
    assert rejects(lambda: f.SourceFactory(**{field: value}))


def test_many_sources_may_lack_a_pmid_and_doi():
    f.SourceFactory(pmid="", doi="")
    assert not rejects(lambda: f.SourceFactory(pmid="", doi=""))


def test_slugs_are_unique_and_well_formed():
    PainType.objects.create(slug="trigeminal_neuralgia", name="Trigeminal neuralgia")
    assert rejects(lambda: PainType.objects.create(slug="trigeminal_neuralgia", name="Again"))
    assert rejects(lambda: PainType.objects.create(slug="Trigeminal Neuralgia", name="Caps"))


def test_a_code_is_unique_within_its_system_only():
    ClinicalCode.objects.create(system="icd10cm", code="G50.0", display="Trigeminal neuralgia")
    assert rejects(lambda: ClinicalCode.objects.create(system="icd10cm", code="G50.0", display="x"))
    assert not rejects(
        lambda: ClinicalCode.objects.create(system="snomed_ct", code="G50.0", display="x")
    )
    assert rejects(lambda: ClinicalCode.objects.create(system="read_v2", code="X1", display="x"))


@pytest.mark.parametrize(
    "fields",
    [{"direction": "great"}, {"certainty": "certain"}, {"population": "mice"}],
)
def test_a_finding_outside_its_scales_is_rejected(fields):
    pain = f.PainTypeFactory()
    base = {"key": "k", "pain_type": pain, "direction": "benefit", "certainty": "low"}
    assert rejects(lambda: Finding.objects.create(**{**base, **fields}))


@pytest.mark.parametrize(
    "fields",
    [
        {"kind": "suitability", "level": "", "severity": ""},
        {"kind": "suitability", "level": "mixed", "severity": "high"},
        {"kind": "caution", "level": "mixed", "severity": "high"},
        {"kind": "caution", "level": "", "severity": ""},
        {"kind": "context", "level": "mixed", "severity": ""},
        {"kind": "caution", "level": "", "severity": "catastrophic"},
        {"kind": "advice", "level": "", "severity": ""},
    ],
)
def test_a_rule_whose_scale_does_not_fit_its_kind_is_rejected(fields):
    drug = f.DrugFactory()
    assert rejects(lambda: Rule.objects.create(key="r", title="t", text="t", drug=drug, **fields))


def test_only_a_context_rule_may_leave_the_drug_empty():
    assert rejects(
        lambda: Rule.objects.create(key="r", title="t", text="t", kind="caution", severity="low")
    )
    assert not rejects(lambda: Rule.objects.create(key="c", title="t", text="t", kind="context"))


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
@pytest.mark.parametrize(
    "make",
    [
        lambda: f.FindingFactory(pain_type=f.PainTypeFactory()),
        lambda: f.SafetyConcernFactory(drug=f.DrugFactory()),
        lambda: f.CombinationFactory(nmdar_drug=f.DrugFactory()),
        lambda: f.ConflictFactory(),
    ],
)
def test_a_published_record_without_a_source_is_rejected_at_commit(make):
    assert rejects(make)


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_removing_the_last_source_of_a_published_finding_is_rejected():
    source = f.SourceFactory()
    finding = f.FindingFactory(pain_type=f.PainTypeFactory(), sources=[source])
    assert rejects(lambda: finding.sources.clear())
    assert rejects(lambda: source.delete())


@pytest.mark.skipif(connection.vendor != "postgresql", reason="a PostgreSQL trigger")
def test_a_draft_may_wait_for_its_sources():
    assert not rejects(lambda: f.FindingFactory(pain_type=f.PainTypeFactory(), status="draft"))
