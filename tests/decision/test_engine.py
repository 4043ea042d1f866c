"""The engine on hand-built releases: no database, no HTTP."""

import pytest

from decision.engine import CompiledRelease, EvidenceSummary, Inputs, ReleaseError, evaluate
from tests.decision import payloads as p

CRPS = "complex_regional_pain_syndrome"
PHN = "postherpetic_neuralgia"
CPSP = "central_post_stroke_pain"
NMDAR = ("dextromethorphan", "ketamine", "memantine")

KETAMINE_CRPS = p.rule(
    "ketamine-crps",
    "suitability",
    drug="ketamine",
    level="mixed",
    pain_types=[CRPS],
    cites={"findings": ["ketamine-crps"]},
)
DM_SEROTONIN = p.rule(
    "dm-serotonin",
    "caution",
    drug="dextromethorphan",
    severity="high",
    any=p.group(properties=["serotonergic"], drugs=["morphine"], factors=["older_adult"]),
    cites={"sources": ["trial-1"]},
)


def notes_for(release, pain_type=CRPS, analgesics=(), factors=()):
    return evaluate(release, Inputs.build(pain_type, analgesics, factors))


def ids(notes):
    return [note.id for note in notes]


@pytest.mark.parametrize("pain_type", [CRPS, PHN, CPSP])
def test_it_gives_exactly_one_suitability_note_per_nmdar_antagonist(pain_type):
    notes = notes_for(p.release([KETAMINE_CRPS]), pain_type)
    drugs = sorted(note.drug for note in notes if note.kind == "suitability")
    assert drugs == sorted(NMDAR)


def test_it_uses_the_matching_rule_for_a_covered_drug():
    notes = notes_for(p.release([KETAMINE_CRPS]), CRPS)
    ketamine = next(n for n in notes if n.kind == "suitability" and n.drug == "ketamine")
    assert (ketamine.id, ketamine.level) == ("ketamine-crps", "mixed")
    assert [entry.key for entry in ketamine.evidence] == ["trial-1"]
    assert ketamine.evidence[0].pmid == "123"
    assert ketamine.evidence[0].certainty == "low"


def test_it_says_explicitly_when_no_rule_covers_a_drug():
    notes = notes_for(p.release([KETAMINE_CRPS]), CRPS)
    memantine = next(n for n in notes if n.kind == "suitability" and n.drug == "memantine")
    assert memantine.level == "insufficient"
    assert memantine.id == "memantine-complex_regional_pain_syndrome-no-direct-evidence"
    assert "no study of memantine" in memantine.text
    assert memantine.why[-1] == "No curated evidence on Memantine for this pain type"


def test_the_uncovered_note_cites_class_findings_for_that_pain_type():
    notes = notes_for(p.release([]), PHN)
    fallback = next(n for n in notes if n.drug == "ketamine")
    assert [entry.key for entry in fallback.evidence] == ["cochrane-2025"]
    assert fallback.summaries[0].key == "class-cochrane"


def test_the_uncovered_note_falls_back_to_all_class_findings_then_the_founding_review():
    with_class = notes_for(p.release([]), CPSP)
    assert [e.key for e in with_class[0].evidence] == ["cochrane-2025"]
    no_class = notes_for(p.release([], findings={}), CPSP)
    assert [e.key for e in no_class[0].evidence] == ["review-2011"]


def test_a_release_with_nothing_to_cite_for_uncovered_drugs_is_refused():
    with pytest.raises(ReleaseError, match="no class-level finding"):
        p.release([], findings={}, sources={"trial-1": p.source("trial-1")})


def test_the_highest_priority_suitability_rule_wins():
    low = p.rule(
        "ketamine-low",
        "suitability",
        drug="ketamine",
        level="favourable",
        priority=1,
        cites={"sources": ["trial-1"]},
    )
    high = {**KETAMINE_CRPS, "priority": 5}
    notes = notes_for(p.release([low, high]), CRPS)
    suitability = [n for n in notes if n.kind == "suitability" and n.drug == "ketamine"]
    assert ids(suitability) == ["ketamine-crps"]


@pytest.mark.parametrize(
    ("analgesics", "factors", "expected_why"),
    [
        (["sertraline"], [], "Current medicine: Sertraline (raises serotonergic activity)"),
        (["morphine"], [], "Current medicine: Morphine"),
        ([], ["older_adult"], "Patient factor: Aged 65 or over"),
    ],
)
def test_any_of_matches_a_medicine_or_a_factor_and_says_which(analgesics, factors, expected_why):
    notes = notes_for(p.release([DM_SEROTONIN]), CRPS, analgesics, factors)
    caution = next(n for n in notes if n.id == "dm-serotonin")
    assert caution.why == (expected_why,)


def test_any_of_does_not_match_without_a_listed_item():
    notes = notes_for(p.release([DM_SEROTONIN]), CRPS, ["ketamine"], ["psychosis_history"])
    assert "dm-serotonin" not in ids(notes)


def test_all_of_needs_every_listed_item():
    rule = p.rule(
        "both",
        "caution",
        drug="ketamine",
        severity="moderate",
        all=p.group(classes=["opioid"], factors=["older_adult"]),
        cites={"sources": ["trial-1"]},
    )
    release = p.release([rule])
    assert "both" not in ids(notes_for(release, CRPS, ["morphine"]))
    assert "both" not in ids(notes_for(release, CRPS, [], ["older_adult"]))
    assert "both" in ids(notes_for(release, CRPS, ["morphine"], ["older_adult"]))


def test_none_of_excludes_and_explains():
    rule = p.rule(
        "no-opioid",
        "context",
        pain_types=[CRPS],
        none=p.group(classes=["opioid"], factors=["renal_impairment_severe"]),
    )
    release = p.release([rule])
    assert "no-opioid" not in ids(notes_for(release, CRPS, ["morphine"]))
    assert "no-opioid" not in ids(notes_for(release, CRPS, [], ["renal_impairment_severe"]))
    note = next(n for n in notes_for(release, CRPS) if n.id == "no-opioid")
    assert note.why == (
        "Pain type: Complex regional pain syndrome (CRPS)",
        "Not among current medicines: opioid",
        "Not recorded: Severe renal impairment (eGFR below 30)",
    )


def test_a_rule_limited_to_a_pain_type_stays_out_of_others():
    release = p.release([KETAMINE_CRPS])
    assert "ketamine-crps" not in ids(notes_for(release, PHN))


def test_a_rule_without_conditions_applies_to_every_assessment():
    general = p.rule(
        "ketamine-general",
        "caution",
        drug="ketamine",
        severity="high",
        cites={"sources": ["trial-1"]},
    )
    note = next(n for n in notes_for(p.release([general]), PHN) if n.id == "ketamine-general")
    assert note.why == ("Applies to any use of Ketamine",)


def test_notes_are_ordered_high_cautions_then_suitability_by_level_then_the_rest():
    sources = {"sources": ["trial-1"]}
    rules = [
        p.rule("z-context", "context", cites=sources),
        p.rule("combo", "combination", drug="ketamine", level="mixed", cites=sources),
        p.rule("low-caution", "caution", drug="ketamine", severity="low", cites=sources),
        p.rule("mod-caution", "caution", drug="memantine", severity="moderate", cites=sources),
        p.rule("high-caution", "caution", drug="memantine", severity="high", cites=sources),
        p.rule("dm-fav", "suitability", drug="dextromethorphan", level="favourable", cites=sources),
        p.rule("ket-unfav", "suitability", drug="ketamine", level="unfavourable", cites=sources),
    ]
    notes = notes_for(p.release(rules), CRPS)
    assert [(n.kind, n.level or n.severity) for n in notes] == [
        ("caution", "high"),
        ("suitability", "favourable"),
        ("suitability", "unfavourable"),
        ("suitability", "insufficient"),
        ("caution", "moderate"),
        ("caution", "low"),
        ("combination", "mixed"),
        ("context", None),
    ]


def test_the_answer_ignores_duplicates_and_input_order():
    release = p.release([DM_SEROTONIN, KETAMINE_CRPS])
    first = notes_for(release, CRPS, ["sertraline", "morphine", "sertraline"], ["older_adult"])
    second = notes_for(release, CRPS, ["morphine", "sertraline"], ["older_adult", "older_adult"])
    assert first == second


def test_inputs_are_canonical():
    inputs = Inputs.build(CRPS, ["sertraline", "morphine", "sertraline"], ["older_adult"] * 2)
    assert inputs.as_dict() == {
        "pain_type": CRPS,
        "analgesics": ["morphine", "sertraline"],
        "factors": ["older_adult"],
    }


def test_a_note_carries_evidence_summaries_of_what_it_cites():
    notes = notes_for(p.release([KETAMINE_CRPS]), CRPS)
    note = next(n for n in notes if n.id == "ketamine-crps")
    assert note.summaries == (
        EvidenceSummary(
            kind="finding",
            key="ketamine-crps",
            title=f"ketamine in {CRPS}",
            summary=f"What is known of ketamine in {CRPS}.",
            direction="benefit",
            certainty="low",
            certainty_reason="Small trials.",
            condition_scope="",
        ),
    )


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        (
            p.rule("r", "caution", drug="ketamine", severity="high", cites={"findings": ["nope"]}),
            "rule r: cites unknown or unpublished finding 'nope'",
        ),
        (
            p.rule(
                "r", "caution", drug="morphine", severity="high", cites={"sources": ["trial-1"]}
            ),
            "rule r: 'morphine' is not an NMDAR antagonist",
        ),
        (
            p.rule("r", "caution", drug="ketamine", severity="high"),
            "rule r: a caution note must cite at least one source",
        ),
    ],
)
def test_a_payload_that_cannot_be_served_is_refused_naming_the_rule(rule, message):
    with pytest.raises(ReleaseError) as error:
        p.release([rule])
    assert str(error.value) == message


def test_a_context_note_may_cite_nothing():
    note = next(n for n in notes_for(p.release([p.rule("c", "context")]), CRPS) if n.id == "c")
    assert note.evidence == ()
    assert note.why == ("Applies to every assessment",)


def test_it_scales_to_ten_thousand_rules():
    rules = [
        p.rule(
            f"rule-{n}",
            "caution",
            drug="ketamine",
            severity="low",
            pain_types=[list(p.PAIN_TYPES)[n % 3]],
            any=p.group(factors=["older_adult"]) if n % 2 else p.group(classes=["opioid"]),
            cites={"sources": ["trial-1"]},
        )
        for n in range(10_000)
    ]
    release = CompiledRelease.from_payload(p.payload(rules))
    notes = notes_for(release, CRPS, ["morphine"], [])
    # Rules 0, 6, 12, ... are CRPS with the opioid condition: a third of the even half.
    assert sum(1 for n in notes if n.id.startswith("rule-")) == len(range(0, 10_000, 6))


def test_a_drug_does_not_trigger_its_own_interaction_note():
    # Dextromethorphan is itself serotonergic; alone it is not "with a serotonergic medicine".
    release = p.release([DM_SEROTONIN])
    assert "dm-serotonin" not in ids(notes_for(release, CRPS, ["dextromethorphan"]))
    with_sertraline = notes_for(release, CRPS, ["dextromethorphan", "sertraline"])
    caution = next(n for n in with_sertraline if n.id == "dm-serotonin")
    assert caution.why == ("Current medicine: Sertraline (raises serotonergic activity)",)
