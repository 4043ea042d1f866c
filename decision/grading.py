"""The written grading rule: from the findings a note cites to its level and certainty.

One function, `grade`, used by the compiler (every suitability and combination note shows the
derived certainty beside its level) and by the knowledge-base audit (a curated level that
differs from the derived one needs a recorded reason). docs/grading.md states the same rule in
words, with every level of the shipped knowledge base.

1. Only direct evidence counts: findings in patients with the note's pain type. Findings in
   animals or in other populations never count; findings in mixed or unspecified neuropathic
   populations count only for "other neuropathic pain". A combination note that applies to
   every pain type counts findings in patients with any neuropathic pain, and the combination
   records it cites, whose direction is curated but whose certainty is not graded.
2. Findings of very low certainty count only when nothing direct is more certain; when they
   are all there is, the evidence is insufficient.
3. Favourable: benefit at low certainty or better, and nothing direct against it (no benefit,
   or mixed results) at equal, higher or ungraded certainty.
4. Unfavourable: no benefit at moderate certainty or better, and nothing for it.
5. Mixed: direct findings or syntheses that disagree (or a synthesis that is itself mixed).
6. Otherwise insufficient.
"""

from __future__ import annotations

from dataclasses import dataclass

from evidence.scales import CERTAINTY_RANK

OTHER_NEUROPATHIC_PAIN = "other_neuropathic_pain"
# Populations whose findings are direct evidence: for the pain type they are filed under, and,
# for "other neuropathic pain" only, mixed neuropathic populations too.
DIRECT = {"patients"}
DIRECT_FOR_OTHER = {"patients", "mixed_neuropathic"}
UNGRADED = None  # a combination record's direction without a graded certainty


@dataclass(frozen=True, slots=True)
class Grade:
    level: str
    certainty: str | None  # of the evidence the level rests on; None: no graded evidence
    direct: int  # how many direct findings (and combination records) it was derived from


@dataclass(frozen=True, slots=True)
class Evidence:
    """One piece of evidence as the rule weighs it."""

    direction: str
    certainty: str | None


def is_direct(finding: dict, pain_types: frozenset[str]) -> bool:
    """Whether a finding is direct evidence for a note limited to `pain_types` (empty: every
    pain type, as for most combination notes)."""
    population = finding["population"]
    if not pain_types:
        return population in DIRECT_FOR_OTHER
    if finding["pain_type"] not in pain_types:
        return False
    allowed = DIRECT_FOR_OTHER if finding["pain_type"] == OTHER_NEUROPATHIC_PAIN else DIRECT
    return population in allowed


def grade(findings: list[dict], pain_types: frozenset[str], combinations: list[dict] = ()) -> Grade:
    """The level and certainty the cited `findings` (and `combinations`) support."""
    evidence = [
        Evidence(finding["direction"], finding["certainty"])
        for finding in findings
        if is_direct(finding, pain_types)
    ] + [Evidence(combination["direction"], UNGRADED) for combination in combinations]
    count = len(evidence)
    if not evidence:
        return Grade("insufficient", None, 0)
    graded = [item for item in evidence if item.certainty is not UNGRADED]
    if any(CERTAINTY_RANK[item.certainty] <= CERTAINTY_RANK["low"] for item in graded):
        evidence = [item for item in evidence if item.certainty != "very_low"]
    elif all(item.certainty == "very_low" for item in evidence):
        return Grade("insufficient", "very_low", count)
    for_ = [item for item in evidence if item.direction == "benefit"]
    against = [item for item in evidence if item.direction in ("no_benefit", "mixed")]
    best_for = _best(for_)
    # Against it counts when as certain or more, or of unknown certainty.
    if (
        best_for is not None
        and CERTAINTY_RANK[best_for] <= CERTAINTY_RANK["low"]
        and all(_rank(item) > CERTAINTY_RANK[best_for] for item in against)
    ):
        return Grade("favourable", best_for, count)
    no_benefit = _best(item for item in evidence if item.direction == "no_benefit")
    mixed_results = any(item.direction == "mixed" for item in evidence)
    if (
        not for_
        and not mixed_results
        and no_benefit is not None
        and CERTAINTY_RANK[no_benefit] <= CERTAINTY_RANK["moderate"]
    ):
        return Grade("unfavourable", no_benefit, count)
    if (for_ and against) or mixed_results:
        return Grade("mixed", _best(for_ + against), count)
    return Grade("insufficient", _best(evidence), count)


def _rank(item: Evidence) -> float:
    """Lower is more certain; ungraded evidence is ranked as certain as anything (unknown)."""
    return -1 if item.certainty is UNGRADED else CERTAINTY_RANK[item.certainty]


def _best(items) -> str | None:
    """The highest graded certainty among `items`, None when none is graded."""
    graded = [item.certainty for item in items if item.certainty is not UNGRADED]
    return min(graded, key=CERTAINTY_RANK.__getitem__) if graded else None
