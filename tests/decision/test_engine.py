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
    assert memantine.certainty is None
    assert memantine.id == "memantine-complex_regional_pain_syndrome-no-direct-evidence"
    assert "No finding in the knowledge base is about memantine in complex" in memantine.text
    assert memantine.why[-1] == "No curated evidence on Memantine for this pain type"


def test_the_uncovered_note_cites_the_drugs_own_findings_never_the_class():
    notes = notes_for(p.release([]), CRPS)
    fallback = next(n for n in notes if n.drug == "memantine")
    assert [summary.key for summary in fallback.summaries] == ["memantine-phn"]
    assert [entry.key for entry in fallback.evidence] == ["cochrane-2025"]


def test_a_release_with_an_nmdar_antagonist_nothing_is_known_of_is_refused():
    findings = p.payload()["findings"]
    del findings["memantine-phn"]
    with pytest.raises(ReleaseError, match="no finding about Memantine is published"):
        p.release([], findings=findings)


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
    assert note.why == ("Applies to any use of ketamine, whatever the patient",)
    assert note.scope == "drug"
    assert not note.is_alert


def test_notes_are_ordered_patient_high_cautions_then_suitability_by_level_then_the_rest():
    sources = {"sources": ["trial-1"]}
    older = p.group(factors=["older_adult"])
    rules = [
        p.rule("z-context", "context", cites=sources),
        p.rule("combo", "combination", drug="ketamine", level="mixed", cites=sources),
        p.rule("low-caution", "caution", drug="ketamine", severity="low", any=older, cites=sources),
        p.rule("general-high", "caution", drug="ketamine", severity="high", cites=sources),
        p.rule(
            "mod-caution",
            "caution",
            drug="memantine",
            severity="moderate",
            any=older,
            cites=sources,
        ),
        p.rule(
            "high-caution", "caution", drug="memantine", severity="high", any=older, cites=sources
        ),
        p.rule("dm-fav", "suitability", drug="dextromethorphan", level="favourable", cites=sources),
        p.rule("ket-unfav", "suitability", drug="ketamine", level="unfavourable", cites=sources),
    ]
    notes = notes_for(p.release(rules), CRPS, factors=["older_adult"])
    assert [(n.id, n.scope) for n in notes] == [
        ("high-caution", "patient"),
        ("dm-fav", None),
        ("ket-unfav", None),
        ("memantine-complex_regional_pain_syndrome-no-direct-evidence", None),
        ("mod-caution", "patient"),
        ("low-caution", "patient"),
        ("combo", None),
        ("general-high", "drug"),
        ("z-context", None),
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


# --- Scope, interactions seen from both sides, certainty, what was screened -----------------

MEMANTINE_NMDA = p.rule(
    "memantine-other-nmda",
    "caution",
    drug="memantine",
    severity="moderate",
    any=p.group(drugs=["ketamine", "dextromethorphan"]),
    cites={"sources": ["trial-1"]},
)
DM_SEROTONERGIC = p.rule(
    "dm-serotonergic",
    "caution",
    drug="dextromethorphan",
    severity="high",
    any=p.group(properties=["serotonergic"]),
    cites={"sources": ["trial-1"]},
)


def cautions_on(notes, drug):
    return sorted(
        (n.id, n.severity, n.scope) for n in notes if n.kind == "caution" and n.drug == drug
    )


def test_a_caution_its_inputs_triggered_is_the_patients_and_says_which_input():
    notes = notes_for(p.release([DM_SEROTONIN]), CRPS, ["sertraline"])
    (caution,) = [n for n in notes if n.id == "dm-serotonin"]
    assert caution.scope == "patient" and caution.is_alert
    assert caution.why == ("Current medicine: Sertraline (raises serotonergic activity)",)


def test_an_interaction_shows_on_the_other_drugs_card_when_the_rules_drug_is_taken():
    release = p.release([MEMANTINE_NMDA])
    on_ketamine = notes_for(release, CRPS, ["ketamine"])
    assert cautions_on(on_ketamine, "memantine") == [
        ("memantine-other-nmda", "moderate", "patient")
    ]
    on_memantine = notes_for(release, CRPS, ["memantine"])
    assert cautions_on(on_memantine, "ketamine") == [
        ("memantine-other-nmda--ketamine", "moderate", "patient")
    ]
    assert cautions_on(on_memantine, "dextromethorphan") == [
        ("memantine-other-nmda--dextromethorphan", "moderate", "patient")
    ]
    mirrored = next(n for n in on_memantine if n.id == "memantine-other-nmda--ketamine")
    assert mirrored.why == ("Current medicine: Memantine",)
    assert mirrored.rule == "memantine-other-nmda"


def test_a_property_names_the_other_nmdar_antagonists_that_carry_it():
    release = p.release([DM_SEROTONERGIC])
    assert release.rules_by_key["dm-serotonergic"].partners == frozenset()  # none but itself
    with_memantine = p.payload([DM_SEROTONERGIC])
    memantine = next(d for d in with_memantine["vocabulary"]["drugs"] if d["slug"] == "memantine")
    memantine["properties"] = ["serotonergic"]
    release = CompiledRelease.from_payload(with_memantine, id=1, version="t")
    on_dm = notes_for(release, CRPS, ["dextromethorphan"])
    assert cautions_on(on_dm, "memantine") == [("dm-serotonergic--memantine", "high", "patient")]
    on_memantine = notes_for(release, CRPS, ["memantine"])
    assert cautions_on(on_memantine, "dextromethorphan") == [("dm-serotonergic", "high", "patient")]


def test_both_drugs_taken_show_the_interaction_on_both_cards_once_each():
    notes = notes_for(p.release([MEMANTINE_NMDA]), CRPS, ["ketamine", "memantine"])
    assert cautions_on(notes, "memantine") == [("memantine-other-nmda", "moderate", "patient")]
    assert cautions_on(notes, "ketamine") == [
        ("memantine-other-nmda--ketamine", "moderate", "patient")
    ]


def test_a_mirrored_note_is_stored_by_reference_and_restored_as_answered():
    release = p.release([MEMANTINE_NMDA])
    notes = notes_for(release, CRPS, ["memantine"])
    for note in notes:
        assert release.restore(note.stored()) == note
    mirrored = next(n for n in notes if n.id == "memantine-other-nmda--ketamine")
    assert mirrored.stored()["rule"] == "memantine-other-nmda"


def test_a_graded_note_carries_the_certainty_the_grading_rule_derives():
    notes = notes_for(p.release([KETAMINE_CRPS]), CRPS)
    ketamine = next(n for n in notes if n.id == "ketamine-crps")
    assert (ketamine.level, ketamine.certainty) == ("mixed", "low")


def test_a_curated_level_carries_its_reason():
    rule = {**KETAMINE_CRPS, "level": "favourable", "level_reason": "One trial outweighs."}
    note = next(n for n in notes_for(p.release([rule]), CRPS) if n.id == "ketamine-crps")
    assert (note.level, note.certainty, note.level_reason) == (
        "favourable",
        "low",
        "One trial outweighs.",
    )


def test_every_answer_says_which_medicines_were_screened():
    screened = p.release([]).screened
    assert set(screened.drugs) == set(p.DRUGS)
    assert "Morphine" in screened.statement
    assert screened.statement.endswith("Any other medicine the patient takes has not been checked.")
