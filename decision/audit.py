"""The knowledge-base audit: the clinical bar, measured over a fixed synthetic population.

`audit(release)` answers every patient of `POPULATION` (every pain type × common medicine lists ×
factor sets) and checks the release's rules, and reports:

- how many cautions each answer raises for the patient (high, moderate, low: min, median, max),
  how many general risks of the drugs it shows, and how many alerts fire for everyone;
- inputs that change no answer (a drug or factor the form offers that no note depends on);
- interactions seen from one side only (an NMDAR antagonist taken shows a note on another's card,
  but not the other way round);
- notes citing records that do not support them;
- levels that differ from the written grading rule without a recorded reason;
- instructions or dose figures in a note's title or text.

Publishing is refused while any finding of the last five kinds stands (`AuditReport.blocking`);
docs/audit.md explains each check and the population.
"""

from __future__ import annotations

import re
import statistics
from dataclasses import dataclass, field

from decision.engine import CompiledRelease, CompiledRule, Inputs, Note, evaluate
from evidence.scales import SEVERITIES

# Common current-medicine lists and factor sets; with every pain type, the audit's patients.
MEDICINE_LISTS = (
    (),
    ("morphine", "sertraline"),
    ("duloxetine", "pregabalin"),
    ("amitriptyline", "gabapentin"),
    ("oxycodone", "diazepam"),
    ("tramadol",),
    ("carbamazepine", "paracetamol"),
)
FACTOR_SETS = (
    (),
    ("older_adult",),
    ("renal_impairment_severe",),
    ("psychosis_history", "substance_use_disorder"),
)

# Dose figures: a number with a unit of amount (ranges and per-weight or per-time forms too).
DOSE = re.compile(
    r"\b\d+(?:[.,]\d+)?(?:\s*(?:-|–|to|/)\s*\d+(?:[.,]\d+)?)?\s*"
    r"(?:mg|g|µg|μg|mcg|micrograms?|milligrams?|mmol|mEq|mL|ml|IU|units?)\b",
    re.IGNORECASE,
)
# Words that tell a clinician what to do, or report that a label or guideline does.
DIRECTIVE = re.compile(
    r"\b(?:advis\w*|recommend\w*|should|must|avoid\w*|taper\w*|halv\w*|titrat\w*|"
    r"monitor\w*|requires?|required|reduce the dose|dose (?:reduction|adjustment)s?|"
    r"use (?:it )?with caution|caution is (?:needed|advised)|consider\w*|do not|never (?:give|use)|"
    r"at baseline)\b",
    re.IGNORECASE,
)

BLOCKING = ("one_way", "citation", "level", "wording", "inert")
KIND_LABELS = {
    "one_way": "Interaction seen from one side only",
    "citation": "Cites a record that does not support it",
    "level": "Level differs from the grading rule without a reason",
    "wording": "Instruction or dose figure in a note",
    "inert": "Input that changes no answer, not declared",
    "stale_reason": "Level reason recorded, but the level follows the rule",
    "inert_declared": "Screened, nothing known (declared)",
}


@dataclass(frozen=True)
class Finding:
    kind: str
    record: str  # the rule, drug or factor it is about
    message: str

    @property
    def blocking(self) -> bool:
        return self.kind in BLOCKING

    @property
    def label(self) -> str:
        return KIND_LABELS[self.kind]


@dataclass
class AuditReport:
    answers: int = 0
    # Per answer: how many cautions this patient's inputs raised, by severity; and general risks.
    patient_cautions: dict[str, tuple[int, float, int]] = field(default_factory=dict)
    drug_cautions: tuple[int, float, int] = (0, 0, 0)
    # The highest number of patient-scope high cautions with no medicines and no factors.
    high_with_nothing_entered: int = 0
    # Patient-scope cautions shown in every answer: alerts that in effect apply to everyone.
    everyone_alerts: tuple[str, ...] = ()
    everyone_share: float = 0.0
    findings: list[Finding] = field(default_factory=list)

    @property
    def blocking(self) -> list[Finding]:
        return [finding for finding in self.findings if finding.blocking]

    def of_kind(self, kind: str) -> list[Finding]:
        return [finding for finding in self.findings if finding.kind == kind]

    def figures(self) -> list[str]:
        """The measured figures, one line each: the changelog and the report carry them."""

        def spread(values) -> str:
            low, median, high = values
            return f"min {low}, median {median:g}, max {high}"

        lines = [f"Audit over {self.answers} synthetic patients (docs/audit.md)."]
        for severity in SEVERITIES:
            lines.append(
                f"Patient cautions per answer, {severity}: "
                f"{spread(self.patient_cautions.get(severity, (0, 0, 0)))}."
            )
        lines.append(f"General risks of the drugs per answer: {spread(self.drug_cautions)}.")
        lines.append(
            "High-severity patient cautions with no medicines and no factors: "
            f"{self.high_with_nothing_entered}."
        )
        lines.append(
            f"Patient cautions that fire for everyone: {len(self.everyone_alerts)} "
            f"({self.everyone_share:.0%} of the alerts shown)."
        )
        counts = {kind: len(self.of_kind(kind)) for kind in BLOCKING}
        lines.append(
            "Blocking findings: "
            + ", ".join(f"{KIND_LABELS[kind].lower()}: {count}" for kind, count in counts.items())
            + "."
        )
        return lines

    def describe(self) -> str:
        lines = self.figures()
        for finding in self.findings:
            mark = "BLOCKS" if finding.blocking else "note"
            lines.append(
                f"[{mark}] {KIND_LABELS[finding.kind]}: {finding.record}: {finding.message}"
            )
        return "\n".join(lines)


def audit(release: CompiledRelease) -> AuditReport:
    report = AuditReport()
    _measure_population(release, report)
    report.findings += _inert_inputs(release)
    report.findings += _one_way_interactions(release)
    for rule in release.rules_by_key.values():
        report.findings += _citations(release, rule)
        report.findings += _level(rule)
        report.findings += _wording(rule.key, rule.title, rule.text)
    report.findings.sort(key=lambda finding: (BLOCKING + tuple(KIND_LABELS)).index(finding.kind))
    return report


def _answer(release: CompiledRelease, pain_type: str, drugs=(), factors=()) -> list[Note]:
    return evaluate(release, Inputs.build(pain_type, drugs, factors))


def _population(release: CompiledRelease):
    vocabulary = release.vocabulary
    for pain_type in vocabulary.pain_types:
        for drugs in MEDICINE_LISTS:
            if not all(slug in vocabulary.drugs for slug in drugs):
                continue
            for factors in FACTOR_SETS:
                if all(slug in vocabulary.patient_factors for slug in factors):
                    yield pain_type, drugs, factors


def _spread(values: list[int]) -> tuple[int, float, int]:
    return (min(values), statistics.median(values), max(values)) if values else (0, 0, 0)


def _measure_population(release: CompiledRelease, report: AuditReport) -> None:
    per_severity: dict[str, list[int]] = {severity: [] for severity in SEVERITIES}
    general: list[int] = []
    shown_in: dict[str, int] = {}
    alerts_shown = 0
    for pain_type, drugs, factors in _population(release):
        notes = _answer(release, pain_type, drugs, factors)
        report.answers += 1
        alerts = [note for note in notes if note.is_alert]
        for severity in SEVERITIES:
            per_severity[severity].append(sum(1 for n in alerts if n.severity == severity))
        general.append(sum(1 for note in notes if note.kind == "caution" and not note.is_alert))
        for key in {note.id for note in alerts}:
            shown_in[key] = shown_in.get(key, 0) + 1
        alerts_shown += len(alerts)
        if not drugs and not factors:
            high = sum(1 for note in alerts if note.severity == "high")
            report.high_with_nothing_entered = max(report.high_with_nothing_entered, high)
    report.patient_cautions = {
        severity: _spread(values) for severity, values in per_severity.items()
    }
    report.drug_cautions = _spread(general)
    everyone = sorted(key for key, count in shown_in.items() if count == report.answers)
    report.everyone_alerts = tuple(everyone)
    if alerts_shown:
        report.everyone_share = sum(shown_in[key] for key in everyone) / alerts_shown


def _fingerprint(notes: list[Note]) -> set[tuple]:
    return {(note.id, note.level, note.severity) for note in notes}


def _inert_inputs(release: CompiledRelease) -> list[Finding]:
    """Every drug and factor the form offers must change some answer, or be declared."""
    vocabulary = release.vocabulary
    baseline = {pt: _fingerprint(_answer(release, pt)) for pt in vocabulary.pain_types}
    findings = []
    inputs = [(slug, term, "drug") for slug, term in vocabulary.drugs.items()]
    inputs += [(slug, term, "factor") for slug, term in vocabulary.patient_factors.items()]
    for slug, term, what in inputs:
        changes = any(
            _fingerprint(
                _answer(
                    release,
                    pt,
                    (slug,) if what == "drug" else (),
                    (slug,) if what == "factor" else (),
                )
            )
            != baseline[pt]
            for pt in vocabulary.pain_types
        )
        if not changes and not term.nothing_known:
            message = (
                f"the {what} changes no answer for any pain type; declare it screened with "
                "nothing known, or add the evidence that concerns it"
            )
            findings.append(Finding("inert", slug, message))
        elif changes and term.nothing_known:
            message = f"declared screened with nothing known, but the {what} changes answers"
            findings.append(Finding("inert", slug, message))
        elif not changes:
            findings.append(Finding("inert_declared", slug, f"{term.name}: no note depends on it"))
    return findings


def _one_way_interactions(release: CompiledRelease) -> list[Finding]:
    """For every two NMDAR antagonists A and B: the notes a patient taking A gets on B's card,
    because of A, must be the notes a patient taking B gets on A's card, because of B."""
    vocabulary = release.vocabulary
    findings = []
    nmdar = vocabulary.nmdar_antagonists
    for pain_type in vocabulary.pain_types:
        untouched = _answer(release, pain_type)
        for index, first in enumerate(nmdar):
            for second in nmdar[index + 1 :]:
                forwards = _because_of(release, pain_type, untouched, first, second)
                backwards = _because_of(release, pain_type, untouched, second, first)
                if forwards != backwards:
                    only = sorted(str(key) for key, _ in forwards ^ backwards)
                    message = (
                        f"in {pain_type}: {first} taken shows {sorted(k for k, _ in forwards)} on "
                        f"{second}'s card; {second} taken shows {sorted(k for k, _ in backwards)} "
                        f"on {first}'s card (one side only: {', '.join(only)})"
                    )
                    findings.append(Finding("one_way", f"{first} and {second}", message))
    unique = {(finding.record, finding.message.split(": ", 1)[1]): finding for finding in findings}
    return list(unique.values())


def _because_of(release, pain_type: str, untouched: list[Note], taken: str, card: str) -> set:
    """The cautions and combinations on `card`'s card that taking `taken` adds."""

    def on_card(notes):
        return {
            (note.rule, note.severity or note.level)
            for note in notes
            if note.drug == card and note.kind in ("caution", "combination")
        }

    return on_card(_answer(release, pain_type, (taken,))) - on_card(untouched)


def _citations(release: CompiledRelease, rule: CompiledRule) -> list[Finding]:
    """A note cites only what supports it: its own records about its own drug (a combination
    note: its combination records and the safety items linked to them)."""
    if rule.kind == "context":
        return []
    library = release.library
    cites = {summary.kind: [] for summary in rule.summaries}
    for summary in rule.summaries:
        cites[summary.kind].append(summary.key)
    problems = []
    for key in cites.get("conflict", []):
        problems.append(f"cites conflict {key}: a conflict is a context note of its own")
    record_sources = set()
    for kind, keys in cites.items():
        for key in keys:
            record_sources.update(library.records[kind][key]["sources"])
    for entry in rule.evidence:
        if entry.key not in record_sources:
            problems.append(f"cites source {entry.key} directly, not through a record of its own")
    for key in cites.get("finding", []):
        finding = library.findings[key]
        if finding["drug"] != rule.drug:
            about = finding["drug"] or "the class as a whole"
            problems.append(f"cites finding {key}, which is about {about}")
    for key in cites.get("combination", []):
        if rule.kind != "combination":
            problems.append(f"cites combination {key}; only combination notes rest on those")
        elif library.combinations[key]["drug"] != rule.drug:
            problems.append(f"cites combination {key}, which is about another drug")
    linked = {
        safety
        for key in cites.get("combination", [])
        for safety in library.combinations[key].get("related_safety", ())
    }
    for key in cites.get("safety", []):
        concern = library.records["safety"][key]
        if rule.kind == "combination" and key not in linked:
            problems.append(
                f"cites safety concern {key}, which its combination records do not link"
            )
        elif rule.kind != "combination" and concern["drug"] != rule.drug:
            problems.append(f"cites safety concern {key}, which is about {concern['drug']}")
        elif rule.kind == "suitability":
            problems.append(f"cites safety concern {key}; a note on the evidence cites findings")
    return [Finding("citation", rule.key, problem) for problem in problems]


def _level(rule: CompiledRule) -> list[Finding]:
    if rule.grade is None:
        return []
    derived = rule.grade
    certainty = derived.certainty.replace("_", " ") if derived.certainty else "no graded evidence"
    if rule.level != derived.level and not rule.level_reason.strip():
        message = (
            f"level {rule.level}; the grading rule gives {derived.level} ({certainty}) and no "
            "reason is recorded"
        )
        return [Finding("level", rule.key, message)]
    if rule.level == derived.level and rule.level_reason.strip():
        return [Finding("stale_reason", rule.key, f"level {rule.level} follows the rule")]
    return []


def _wording(owner: str, title: str, text: str) -> list[Finding]:
    findings = []
    for where, words in (("title", title), ("text", text)):
        for match in DOSE.finditer(words):
            findings.append(Finding("wording", owner, f"dose figure in its {where}: {match[0]!r}"))
        for match in DIRECTIVE.finditer(words):
            findings.append(Finding("wording", owner, f"instruction in its {where}: {match[0]!r}"))
    return findings
