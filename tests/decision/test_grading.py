"""The written grading rule (docs/grading.md): from cited findings to a level and certainty."""

import pytest

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
