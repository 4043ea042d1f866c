"""The knowledge-base audit on hand-built releases: each kind of finding, and a clean release."""

from decision.audit import audit
from tests.decision import payloads as p

CRPS = "complex_regional_pain_syndrome"
SOURCES = {"sources": ["trial-1"]}


def kinds(report) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for finding in report.findings:
        found.setdefault(finding.kind, []).append(finding.record)
    return found


def clean_payload(rules=()):
    payload = p.payload(rules)
    payload["safety"] = {
        "dm-serotonin": {
            "title": "DM serotonin",
            "drug": "dextromethorphan",
            "severity": "high",
            "summary": "…",
            "sources": ["trial-1"],
        }
    }
    # Inputs no note of this small release depends on are declared.
    for term in payload["vocabulary"]["drugs"] + payload["vocabulary"]["patient_factors"]:
        term["nothing_known"] = term["slug"] not in {"sertraline", "fluoxetine"}
    return payload


DM_SEROTONIN = p.rule(
    "dm-serotonin",
    "caution",
    drug="dextromethorphan",
    severity="high",
    any=p.group(properties=["serotonergic"]),
    cites={"safety": ["dm-serotonin"]},
)


def release(payload):
    from decision.engine import CompiledRelease

    return CompiledRelease.from_payload(payload, id=1, version="audit")


def test_a_release_that_meets_the_bar_has_no_blocking_finding():
    report = audit(release(clean_payload([DM_SEROTONIN])))
    assert report.blocking == []
    assert report.high_with_nothing_entered == 0
    assert report.everyone_alerts == ()


def test_it_counts_the_cautions_each_answer_raises_for_the_patient():
    report = audit(release(clean_payload([DM_SEROTONIN])))
    # Three pain types; of the medicine lists and factor sets, those this vocabulary has.
    assert report.answers == 3 * 2 * 3
    low, median, high = report.patient_cautions["high"]
    assert (low, high) == (0, 1)  # sertraline is in one of the medicine lists


def test_a_caution_for_everyone_is_a_general_risk_and_no_alert():
    general = p.rule("ketamine-general", "caution", drug="ketamine", severity="high", cites=SOURCES)
    report = audit(release(clean_payload([DM_SEROTONIN, general])))
    assert report.high_with_nothing_entered == 0
    assert report.drug_cautions == (1, 1, 1)


def test_it_names_inputs_that_change_no_answer_unless_declared():
    payload = clean_payload([DM_SEROTONIN])
    for term in payload["vocabulary"]["patient_factors"]:
        term["nothing_known"] = False
    morphine = next(d for d in payload["vocabulary"]["drugs"] if d["slug"] == "morphine")
    morphine["nothing_known"] = False
    sertraline = next(d for d in payload["vocabulary"]["drugs"] if d["slug"] == "sertraline")
    sertraline["nothing_known"] = True
    found = kinds(audit(release(payload)))
    assert sorted(found["inert"]) == sorted([*p.FACTORS, "morphine", "sertraline"])


def test_it_names_a_level_that_differs_from_the_grading_rule_without_a_reason():
    # The shared payload's ketamine finding: a benefit at low certainty, so "favourable".
    mixed = p.rule(
        "ketamine-crps",
        "suitability",
        drug="ketamine",
        level="mixed",
        pain_types=[CRPS],
        cites={"findings": ["ketamine-crps"]},
    )
    assert kinds(audit(release(clean_payload([mixed]))))["level"] == ["ketamine-crps"]
    explained = {**mixed, "level_reason": "The trials were short."}
    assert "level" not in kinds(audit(release(clean_payload([explained]))))


def test_it_names_citations_that_do_not_support_the_note():
    payload = clean_payload(
        [
            p.rule(
                "ketamine-crps",
                "suitability",
                drug="ketamine",
                level="favourable",
                pain_types=[CRPS],
                cites={"findings": ["ketamine-crps", "dm-phn"], "sources": ["cochrane-2025"]},
            )
        ]
    )
    problems = [f.message for f in audit(release(payload)).findings if f.kind == "citation"]
    assert problems == [
        "cites source cochrane-2025 directly, not through a record of its own",
        "cites finding dm-phn, which is about dextromethorphan",
    ]


def test_it_names_instructions_and_dose_figures_in_a_note():
    wordy = {
        **DM_SEROTONIN,
        "title": "Dextromethorphan 30 mg with SSRIs",
        "text": "Labelling advises avoiding the combination.",
    }
    messages = [f.message for f in audit(release(clean_payload([wordy]))).findings]
    assert "dose figure in its title: '30 mg'" in messages
    assert "instruction in its text: 'advises'" in messages
    assert "instruction in its text: 'avoiding'" in messages


def _with_inputs_in_use(payload, slugs):
    payload["vocabulary"]["drugs"] = [
        {**d, "nothing_known": False} if d["slug"] in slugs else d
        for d in payload["vocabulary"]["drugs"]
    ]
    return payload


def test_an_interaction_the_engine_mirrors_is_never_one_way():
    memantine = p.rule(
        "memantine-nmda",
        "caution",
        drug="memantine",
        severity="moderate",
        any=p.group(drugs=["ketamine"]),
        cites=SOURCES,
    )
    payload = _with_inputs_in_use(clean_payload([memantine]), {"ketamine", "memantine"})
    assert "one_way" not in kinds(audit(release(payload)))


def test_it_names_an_interaction_seen_from_one_side_only():
    # A rule that needs all of its medicines is about that set, so the engine does not mirror it.
    both = p.rule(
        "memantine-with-ketamine-and-morphine",
        "caution",
        drug="memantine",
        severity="moderate",
        all=p.group(drugs=["ketamine", "morphine"]),
        any=p.group(drugs=["ketamine"]),
        cites=SOURCES,
    )
    payload = _with_inputs_in_use(clean_payload([both]), {"ketamine", "memantine", "morphine"})
    one_way = [f for f in audit(release(payload)).findings if f.kind == "one_way"]
    assert [finding.record for finding in one_way] == []
    alone = {**both, "when": {**both["when"], "all": p.group(drugs=["ketamine"])}}
    payload = _with_inputs_in_use(clean_payload([alone]), {"ketamine", "memantine"})
    one_way = [f for f in audit(release(payload)).findings if f.kind == "one_way"]
    assert [finding.record for finding in one_way] == ["ketamine and memantine"]
    assert "memantine-with-ketamine-and-morphine" in one_way[0].message
