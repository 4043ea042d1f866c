"""The shipped knowledge base file: its content, the byte-identical round trip, idempotent loads,
a file checked whole before anything is written, and the curator test cases it ships."""

import copy
import re
from pathlib import Path

import pytest
import yaml
from django.core.management import call_command
from django.core.management.base import CommandError

from decision.audit import audit
from decision.engine import CompiledRelease
from decision.knowledge_base import (
    DEFAULT_PATH,
    KnowledgeBaseError,
    check_data,
    dump,
)
from decision.models import Release, Rule
from evidence.models import Source

VOCABULARY = yaml.safe_load((Path(__file__).parent.parent / "data" / "vocabulary.yaml").read_text())


def slugs(data, section):
    return {item["slug"] for item in data[section]}


@pytest.mark.parametrize(
    "section", ["pain_types", "drug_classes", "drug_properties", "patient_factors", "drugs"]
)
def test_the_shipped_file_holds_every_slug_of_the_vocabulary(shipped_data, section):
    assert set(VOCABULARY[section]) <= slugs(shipped_data, section)


def test_every_nmdar_antagonist_of_the_vocabulary_is_one_in_the_shipped_file(shipped_data):
    drugs = shipped_data["drugs"]
    nmdar = {drug["slug"] for drug in drugs if "nmdar_antagonist" in drug["classes"]}
    assert nmdar == set(VOCABULARY["nmdar_antagonists"])


def test_shipped_drugs_carry_the_classes_and_properties_of_the_vocabulary(shipped_data):
    shipped = {d["slug"]: set(d["classes"]) | set(d["properties"]) for d in shipped_data["drugs"]}
    for slug, terms in VOCABULARY["drugs"].items():
        assert shipped[slug] == set(terms), slug


def test_the_founding_review_is_marked_and_cited_as_in_the_brief(shipped_data):
    (founding,) = [s for s in shipped_data["sources"] if s["is_founding_review"]]
    assert (founding["key"], founding["pmid"], founding["doi"]) == (
        "zhou-2011",
        "21686074",
        "10.1586/ecp.11.17",
    )


def test_the_shipped_curator_cases_touch_every_part_of_the_vocabulary(shipped_data):
    cases = shipped_data["test_cases"]
    drugs = {d["slug"]: d for d in shipped_data["drugs"]}
    taken = [drugs[slug] for case in cases for slug in case["analgesics"]]
    assert len(cases) >= 25
    assert {case["pain_type"] for case in cases} == set(VOCABULARY["pain_types"])
    assert {f for case in cases for f in case["factors"]} == set(VOCABULARY["patient_factors"])
    assert {c for drug in taken for c in drug["classes"]} == set(VOCABULARY["drug_classes"])
    assert {p for drug in taken for p in drug["properties"]} == set(VOCABULARY["drug_properties"])
    expected_drugs = {e["drug"] for case in cases for e in case["expect"]}
    assert set(VOCABULARY["nmdar_antagonists"]) <= expected_drugs


def documented_as_nothing_known() -> set[str]:
    """The slugs listed under "Screened, nothing known" in docs/knowledge-base.md."""
    docs = Path(__file__).resolve().parents[2] / "docs" / "knowledge-base.md"
    section = docs.read_text().split("\n## Screened, nothing known\n", 1)[1].split("\n## ", 1)[0]
    return set(re.findall(r"^- `([a-z0-9_]+)`", section, flags=re.MULTILINE))


def test_the_docs_list_what_the_shipped_file_declares_screened_with_nothing_known(shipped_data):
    declared = {
        item["slug"]
        for section in ("drugs", "patient_factors")
        for item in shipped_data[section]
        if item["nothing_known"]
    }
    assert documented_as_nothing_known() == declared


def test_the_shipped_curator_cases_pass_against_the_file():
    call_command("check_knowledge_base", file=DEFAULT_PATH)


# --- Into the database and back ---------------------------------------------------------------


def test_the_load_command_publishes_a_release_that_answers(shipped_load, shipped_data):
    assert re.search(rf"^rules: {len(shipped_data['rules'])} new,", shipped_load.loaded, re.M)
    (version,) = shipped_load.versions
    assert f"Published release {version}." in shipped_load.loaded
    assert shipped_load.health["knowledge_base"] == version
    assert f"All {len(shipped_data['test_cases'])} curator test cases passed" in shipped_load.cases


def test_loading_into_an_empty_database_and_exporting_gives_the_file_back_byte_for_byte(
    shipped_load,
):
    assert shipped_load.exported == DEFAULT_PATH.read_text()


def test_loading_twice_changes_nothing_the_second_time(shipped_load, shipped_data):
    assert not shipped_load.second.changed
    assert shipped_load.second.unchanged["rules"] == len(shipped_data["rules"])
    assert shipped_load.history_added == 0


def test_a_release_built_from_the_database_equals_one_built_from_the_file(
    shipped_load, shipped_payload
):
    assert shipped_load.payload == shipped_payload


# --- A bad file is refused whole, before anything is written ----------------------------------


def broken(shipped_data, change) -> dict:
    data = copy.deepcopy(shipped_data)
    change(data)
    return data


@pytest.mark.parametrize(
    ("change", "message"),
    [
        (lambda d: d["rules"][5].update(drug="ketamin"), r"rules\[5\] \S+: unknown drug 'ketamin'"),
        (lambda d: d["sources"][0].update(pmid="PMC1"), r"sources\[0\] .*pmid"),
        (lambda d: d["findings"][0].update(certainty="sure"), r"findings\[0\] .*certainty"),
        (lambda d: d["rules"][0].pop("title"), r"rules\[0\] .*missing field\(s\) title"),
        (lambda d: d["rules"][0].update(colour="red"), r"rules\[0\] .*unknown field\(s\) colour"),
        (lambda d: d["rules"][0]["when"]["none"].update(classes=["opiod"]), r"unknown drug class"),
        (lambda d: d["rules"][0]["cites"].update(findings=["nope"]), r"unknown finding 'nope'"),
        (lambda d: d["test_cases"][0]["expect"][0].update(kind="hunch"), r"expect\[\d+\]: kind"),
        (lambda d: d.pop("rules"), r"missing sections \['rules'\]"),
        (lambda d: d["sources"].append(dict(d["sources"][0])), r"appears twice in sources"),
        (lambda d: d.update(format=2), r"unsupported format 2"),
    ],
)
def test_each_kind_of_bad_file_is_refused_with_its_reason(shipped_data, change, message):
    with pytest.raises(KnowledgeBaseError, match=message):
        check_data(broken(shipped_data, change))


@pytest.mark.django_db
def test_the_load_command_refuses_a_bad_file_and_writes_nothing(tmp_path, shipped_data):
    path = tmp_path / "broken.yaml"
    path.write_text(dump(broken(shipped_data, lambda d: d["rules"][5].update(drug="ketamin"))))
    with pytest.raises(CommandError, match=r"Nothing was loaded\..*unknown drug 'ketamin'"):
        call_command("load_knowledge_base", str(path))
    assert not Source.objects.exists()
    assert not Release.objects.exists()


@pytest.mark.django_db
def test_a_file_that_is_not_yaml_is_refused(tmp_path):
    path = tmp_path / "bad.yaml"
    path.write_text("rules: [unclosed")
    with pytest.raises(CommandError, match="is not valid YAML"):
        call_command("load_knowledge_base", str(path))


@pytest.mark.django_db
def test_a_failing_shipped_case_refuses_the_whole_load(tmp_path, shipped_data):
    def expect_the_impossible(data):
        data["test_cases"][0]["expect"][0].update(outcome="present", kind="caution", note_id="x")

    path = tmp_path / "failing.yaml"
    path.write_text(dump(broken(shipped_data, expect_the_impossible)))
    with pytest.raises(CommandError, match="curator test case"):
        call_command("load_knowledge_base", str(path))
    assert not Release.objects.exists()
    assert not Rule.objects.exists()


@pytest.mark.django_db
def test_check_knowledge_base_fails_when_a_case_fails(mini_kb):
    mini_kb.rules.ketamine_crps.level = "favourable"
    mini_kb.rules.ketamine_crps.save()
    with pytest.raises(CommandError, match="1 of 1 curator test cases failed"):
        call_command("check_knowledge_base")


@pytest.mark.django_db
def test_the_audit_command_passes_a_sound_base_and_fails_a_blocked_one(mini_kb, capsys):
    call_command("audit_knowledge_base")
    assert "No blocking findings." in capsys.readouterr().out
    mini_kb.rules.ketamine_psychosis.text = "Give 0.5 mg/kg."
    mini_kb.rules.ketamine_psychosis.save()
    with pytest.raises(CommandError, match="1 blocking finding"):
        call_command("audit_knowledge_base")
    assert "dose figure in its text: '0.5 mg'" in capsys.readouterr().out


def test_the_shipped_file_passes_the_audit():
    call_command("audit_knowledge_base", file=DEFAULT_PATH)


def test_the_shipped_file_raises_no_alert_with_nothing_entered_and_none_for_everyone(
    shipped_payload,
):
    report = audit(CompiledRelease.from_payload(shipped_payload))
    assert (report.high_with_nothing_entered, report.everyone_alerts) == (0, ())
