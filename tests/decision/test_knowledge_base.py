"""The shipped knowledge base file: its content, idempotent loads, the byte-identical round trip,
all-or-nothing failure, and the curator test cases it ships."""

from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from decision.knowledge_base import DEFAULT_PATH, dump, export_data, load_data, read_file
from decision.models import CuratorCase, Expectation, Release, Rule
from evidence.models import (
    ClinicalCode,
    Combination,
    Conflict,
    Drug,
    DrugClass,
    DrugProperty,
    Finding,
    PainType,
    PatientFactor,
    SafetyConcern,
    Source,
)

VOCABULARY = yaml.safe_load((Path(__file__).parent.parent / "data" / "vocabulary.yaml").read_text())
SHIPPED = yaml.safe_load(DEFAULT_PATH.read_text())


def slugs(section):
    return {item["slug"] for item in SHIPPED[section]}


@pytest.mark.parametrize(
    ("contract", "shipped"),
    [
        ("pain_types", "pain_types"),
        ("drug_classes", "drug_classes"),
        ("drug_properties", "drug_properties"),
        ("patient_factors", "patient_factors"),
        ("drugs", "drugs"),
    ],
)
def test_the_shipped_file_holds_every_slug_of_the_vocabulary(contract, shipped):
    assert set(VOCABULARY[contract]) <= slugs(shipped)


def test_every_nmdar_antagonist_of_the_vocabulary_is_one_in_the_shipped_file():
    nmdar = {drug["slug"] for drug in SHIPPED["drugs"] if "nmdar_antagonist" in drug["classes"]}
    assert nmdar == set(VOCABULARY["nmdar_antagonists"])


def test_shipped_drugs_carry_the_classes_and_properties_of_the_vocabulary():
    shipped = {d["slug"]: set(d["classes"]) | set(d["properties"]) for d in SHIPPED["drugs"]}
    for slug, terms in VOCABULARY["drugs"].items():
        assert shipped[slug] == set(terms), slug


def test_the_founding_review_is_marked_and_cited_as_in_the_brief():
    (founding,) = [s for s in SHIPPED["sources"] if s["is_founding_review"]]
    assert (founding["key"], founding["pmid"], founding["doi"]) == (
        "zhou-2011",
        "21686074",
        "10.1586/ecp.11.17",
    )


def test_the_shipped_curator_cases_touch_every_part_of_the_vocabulary():
    cases = SHIPPED["test_cases"]
    drugs = {d["slug"]: d for d in SHIPPED["drugs"]}
    taken = [drugs[slug] for case in cases for slug in case["analgesics"]]
    assert len(cases) >= 25
    assert {case["pain_type"] for case in cases} == set(VOCABULARY["pain_types"])
    assert {f for case in cases for f in case["factors"]} == set(VOCABULARY["patient_factors"])
    assert {c for drug in taken for c in drug["classes"]} == set(VOCABULARY["drug_classes"])
    assert {p for drug in taken for p in drug["properties"]} == set(VOCABULARY["drug_properties"])
    expected_drugs = {e["drug"] for case in cases for e in case["expect"]}
    assert set(VOCABULARY["nmdar_antagonists"]) <= expected_drugs


@pytest.mark.django_db
def test_loading_twice_changes_nothing_the_second_time():
    call_command("load_knowledge_base")
    histories = Finding.history.count() + Rule.history.count() + Source.history.count()
    data = read_file(DEFAULT_PATH)
    summary = load_data(data)
    assert not summary.changed
    assert summary.unchanged["rules"] == len(SHIPPED["rules"])
    assert Finding.history.count() + Rule.history.count() + Source.history.count() == histories
    call_command("load_knowledge_base")
    assert Release.objects.count() == 1


@pytest.mark.django_db
def test_export_load_into_an_empty_database_and_export_again_is_byte_identical(tmp_path):
    load_data(read_file(DEFAULT_PATH))
    first = dump(export_data())
    assert first == DEFAULT_PATH.read_text(), "the shipped file is not in canonical form"
    for model in (Rule, Finding, Source):
        assert model.objects.exists()
    _empty_the_knowledge_base()
    assert not Rule.objects.exists()
    exported = tmp_path / "exported.yaml"
    exported.write_text(first)
    load_data(read_file(exported))
    assert dump(export_data()) == first


def _empty_the_knowledge_base():
    for model in (
        Expectation,
        CuratorCase,
        Rule,
        Combination,
        SafetyConcern,
        Finding,
        Conflict,
        Source,
        ClinicalCode,
        Drug,
        DrugClass,
        DrugProperty,
        PatientFactor,
        PainType,
    ):
        model.objects.all().delete()


@pytest.mark.django_db
def test_loading_publishes_a_release_that_answers(client):
    call_command("load_knowledge_base")
    assert client.get("/healthz").json()["knowledge_base"] == Release.objects.get().version


@pytest.mark.django_db
def test_the_shipped_curator_cases_pass():
    call_command("load_knowledge_base")
    call_command("check_knowledge_base")


def _broken_copy(tmp_path, change) -> Path:
    data = yaml.safe_load(DEFAULT_PATH.read_text())
    change(data)
    path = tmp_path / "broken.yaml"
    path.write_text(dump(data))
    return path


@pytest.mark.django_db
def test_a_bad_record_stops_the_load_names_itself_and_changes_nothing(tmp_path):
    def misspell_a_drug(data):
        data["rules"][5]["drug"] = "ketamin"

    path = _broken_copy(tmp_path, misspell_a_drug)
    key = SHIPPED["rules"][5]["key"]
    with pytest.raises(CommandError, match=rf"rules\[5\] {key}: unknown drug 'ketamin'"):
        call_command("load_knowledge_base", str(path))
    assert not Source.objects.exists()
    assert not Release.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["sources"][0].update(pmid="PMC1"), r"sources\[0\] .*pmid"),
        (lambda d: d["findings"][0].update(certainty="sure"), r"findings\[0\] .*certainty"),
        (lambda d: d["rules"][0].pop("title"), r"rules\[0\] .*missing field\(s\) title"),
        (lambda d: d.pop("rules"), r"missing sections \['rules'\]"),
        (lambda d: d["sources"].append(dict(d["sources"][0])), r"appears twice in sources"),
    ],
)
def test_each_kind_of_bad_file_is_refused_with_its_reason(tmp_path, change, message):
    with pytest.raises(CommandError, match=message):
        call_command("load_knowledge_base", str(_broken_copy(tmp_path, change)))
    assert not Source.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [unclosed")
    with pytest.raises(CommandError, match="is not valid YAML"):
        call_command("load_knowledge_base", str(path))


@pytest.mark.django_db
def test_a_failing_shipped_case_refuses_the_whole_load(tmp_path):
    def expect_the_impossible(data):
        data["test_cases"][0]["expect"][0].update(outcome="present", kind="caution", note_id="x")

    with pytest.raises(CommandError, match="curator test case"):
        call_command("load_knowledge_base", str(_broken_copy(tmp_path, expect_the_impossible)))
    assert not Release.objects.exists()
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_check_knowledge_base_fails_when_a_case_fails(mini_kb):
    mini_kb.rules.ketamine_crps.level = "favourable"
    mini_kb.rules.ketamine_crps.save()
    with pytest.raises(CommandError, match="1 of 1 curator test cases failed"):
        call_command("check_knowledge_base")
