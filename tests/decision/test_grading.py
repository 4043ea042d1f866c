"""The written grading rule (docs/grading.md): from cited findings to a level and certainty."""

import re
from pathlib import Path

import pytest

from decision.engine import CompiledRelease
from decision.grading import grade

CRPS = "complex_regional_pain_syndrome"
OTHER = "other_neuropathic_pain"


def finding(direction, certainty, pain_type=CRPS, population="patients"):
    return {
        "direction": direction,
        "certainty": certainty,
        "pain_type": pain_type,
        "population": population,
    }


@pytest.mark.parametrize(
    ("findings", "expected"),
    [
        ([], ("insufficient", None)),
        ([finding("benefit", "very_low")], ("insufficient", "very_low")),
        ([finding("benefit", "low")], ("favourable", "low")),
        ([finding("benefit", "low"), finding("benefit", "moderate")], ("favourable", "moderate")),
        (
            [finding("benefit", "moderate"), finding("no_benefit", "low")],
            ("favourable", "moderate"),
        ),
        ([finding("benefit", "low"), finding("no_benefit", "low")], ("mixed", "low")),
        ([finding("benefit", "low"), finding("mixed", "low")], ("mixed", "low")),
        ([finding("benefit", "low"), finding("no_benefit", "moderate")], ("mixed", "moderate")),
        ([finding("no_benefit", "moderate")], ("unfavourable", "moderate")),
        ([finding("no_benefit", "low")], ("insufficient", "low")),
        (
            [finding("benefit", "very_low"), finding("no_benefit", "moderate")],
            ("unfavourable", "moderate"),
        ),
        ([finding("insufficient", "very_low")], ("insufficient", "very_low")),
    ],
)
def test_direct_findings_give_the_level_and_its_certainty(findings, expected):
    result = grade(findings, frozenset({CRPS}))
    assert (result.level, result.certainty) == expected


@pytest.mark.parametrize(
    "indirect",
    [
        finding("benefit", "moderate", population="animal"),
        finding("benefit", "moderate", population="other_patients"),
        finding("benefit", "moderate", pain_type=OTHER, population="mixed_neuropathic"),
        finding("benefit", "moderate", pain_type="postherpetic_neuralgia"),
    ],
)
def test_indirect_findings_never_count(indirect):
    assert grade([indirect], frozenset({CRPS})).level == "insufficient"


def test_mixed_neuropathic_populations_are_direct_for_other_neuropathic_pain():
    mixed = finding("benefit", "low", pain_type=OTHER, population="mixed_neuropathic")
    assert grade([mixed], frozenset({OTHER})).level == "favourable"


def test_a_combination_records_direction_counts_but_its_certainty_is_not_graded():
    assert grade([], frozenset(), [{"direction": "mixed"}]).level == "mixed"
    assert grade([], frozenset(), [{"direction": "benefit"}]).level == "insufficient"
    trial = finding("benefit", "moderate")
    assert grade([trial], frozenset(), [{"direction": "benefit"}]).level == "favourable"
    # A record against it, of unknown certainty, keeps the level from favourable.
    assert grade([trial], frozenset(), [{"direction": "no_benefit"}]).level == "mixed"


# --- The levels table of docs/grading.md --------------------------------------------------------

DOCS = Path(__file__).resolve().parents[2] / "docs" / "grading.md"


def documented_levels() -> dict[str, tuple[str, str, bool]]:
    """The table under "Levels in the shipped knowledge base": note -> (level, certainty, whether
    a reason is given)."""
    section = DOCS.read_text().split("## Levels in the shipped knowledge base", 1)[1]
    section = section.split("\n### ", 1)[0]
    rows = {}
    for line in section.splitlines():
        match = re.match(r"\| `([^`]+)` \| (\w+) \| ([\w ]+) \| (.*) \|$", line)
        if match:
            key, level, certainty, reason = match.groups()
            rows[key] = (level, certainty, bool(reason.strip()))
    return rows


def test_the_levels_table_in_the_docs_is_the_shipped_knowledge_base(shipped_payload):
    release = CompiledRelease.from_payload(shipped_payload)
    shipped = {
        rule.key: (
            rule.level,
            (rule.grade.certainty or "none graded").replace("_", " "),
            rule.level != rule.grade.level,
        )
        for rule in release.rules_by_key.values()
        if rule.grade is not None
    }
    assert documented_levels() == shipped
