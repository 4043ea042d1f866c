"""The rules engine: `evaluate(release, inputs) -> notes`, a pure function over a compiled release.

No database, no HTTP, no templates: a `CompiledRelease` is built once per process from a release's
JSON payload (see `decision.releases`) and every assessment is answered from memory. Matching
semantics are described in docs/engine.md and docs/knowledge-base.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from evidence.scales import (
    CERTAINTIES,
    DIRECTIONS,
    LEVEL_RANK,
    LEVELS,
    NMDAR_CLASS,
    SEVERITIES,
    STUDY_TYPES,
)

# What a note shows of each cited record in its evidence panel.
CARD_FIELDS = {
    "finding": (
        "title",
        "summary",
        "direction",
        "certainty",
        "certainty_reason",
        "condition_scope",
    ),
    "safety": ("title", "summary", "severity"),
    "combination": ("title", "summary", "direction"),
    "conflict": ("title", "summary"),
}


@dataclass(frozen=True, slots=True)
class Inputs:
    """One validated question: a pain type, current medicines and ticked patient factors."""

    pain_type: str
    analgesics: tuple[str, ...] = ()
    factors: tuple[str, ...] = ()

    @classmethod
    def build(cls, pain_type: str, analgesics=(), factors=()) -> Inputs:
        # Duplicates are ignored and order does not matter: one patient, one canonical question.
        return cls(pain_type, tuple(sorted(set(analgesics))), tuple(sorted(set(factors))))

    def as_dict(self) -> dict[str, Any]:
        return {
            "pain_type": self.pain_type,
            "analgesics": list(self.analgesics),
            "factors": list(self.factors),
        }


@dataclass(frozen=True, slots=True)
class Term:
    slug: str
    name: str
    description: str


@dataclass(frozen=True, slots=True)
class DrugTerm:
    slug: str
    name: str
    description: str
    classes: frozenset[str]
    properties: frozenset[str]

    @property
    def is_nmdar_antagonist(self) -> bool:
        return NMDAR_CLASS in self.classes


@dataclass(frozen=True, slots=True)
class Vocabulary:
    pain_types: dict[str, Term]
    drug_classes: dict[str, Term]
    drug_properties: dict[str, Term]
    patient_factors: dict[str, Term]
    drugs: dict[str, DrugTerm]
    nmdar_antagonists: tuple[str, ...]

    @classmethod
    def from_payload(cls, data: dict) -> Vocabulary:
        def terms(items):
            ordered = sorted(items, key=lambda item: (item["name"].lower(), item["slug"]))
            return {
                item["slug"]: Term(item["slug"], item["name"], item["description"])
                for item in ordered
            }

        drugs = {
            item["slug"]: DrugTerm(
                item["slug"],
                item["name"],
                item["description"],
                frozenset(item["classes"]),
                frozenset(item["properties"]),
            )
            for item in sorted(data["drugs"], key=lambda item: (item["name"].lower(), item["slug"]))
        }
        return cls(
            pain_types=terms(data["pain_types"]),
            drug_classes=terms(data["drug_classes"]),
            drug_properties=terms(data["drug_properties"]),
            patient_factors=terms(data["patient_factors"]),
            drugs=drugs,
            nmdar_antagonists=tuple(
                slug for slug, drug in drugs.items() if drug.is_nmdar_antagonist
            ),
        )


PARTS = ("drugs", "classes", "properties", "factors")


def condition(data: dict) -> tuple[frozenset[str], ...] | None:
    """One condition group of a rule as (drugs, classes, properties, factors), None if empty."""
    parts = tuple(frozenset(data[part]) for part in PARTS)
    return parts if any(parts) else None


@dataclass(frozen=True, slots=True)
class Patient:
    """The inputs expanded once per evaluation: every class and property of every medicine,
    and the plain-words line each of them gives a note's `why`, in reading order."""

    pain_type: str
    parts: tuple[frozenset[str], ...]  # drugs, classes, properties, factors, as in PARTS
    why_lines: tuple[tuple[int, str, str], ...]  # (part, slug, line)

    @classmethod
    def from_inputs(cls, inputs: Inputs, vocabulary: Vocabulary) -> Patient:
        return cls.build(inputs.pain_type, inputs.analgesics, inputs.factors, vocabulary)

    @classmethod
    def build(cls, pain_type: str, drug_slugs, factors, vocabulary: Vocabulary) -> Patient:
        drugs = sorted(
            (vocabulary.drugs[slug] for slug in drug_slugs), key=lambda d: d.name.lower()
        )
        lines = []
        for drug in drugs:
            lines.append((0, drug.slug, f"Current medicine: {drug.name}"))
            for slug in sorted(drug.classes):
                phrase = _lower_first(vocabulary.drug_classes[slug].name)
                lines.append((1, slug, f"Current medicine: {drug.name} ({phrase})"))
            for slug in sorted(drug.properties):
                phrase = _lower_first(vocabulary.drug_properties[slug].name)
                lines.append((2, slug, f"Current medicine: {drug.name} ({phrase})"))
        for slug in sorted(factors):
            lines.append((3, slug, f"Patient factor: {vocabulary.patient_factors[slug].name}"))
        parts = (
            frozenset(drug_slugs),
            frozenset().union(*(drug.classes for drug in drugs)),
            frozenset().union(*(drug.properties for drug in drugs)),
            frozenset(factors),
        )
        return cls(pain_type=pain_type, parts=parts, why_lines=tuple(lines))

    @property
    def drugs(self) -> frozenset[str]:
        return self.parts[0]

    def without(self, drug_slug: str, vocabulary: Vocabulary) -> Patient:
        """The same patient with one medicine set aside."""
        others = self.parts[0] - {drug_slug}
        return Patient.build(self.pain_type, others, self.parts[3], vocabulary)

    def has_any(self, group: tuple[frozenset[str], ...]) -> bool:
        own = self.parts
        return not (
            own[0].isdisjoint(group[0])
            and own[1].isdisjoint(group[1])
            and own[2].isdisjoint(group[2])
            and own[3].isdisjoint(group[3])
        )

    def has_all(self, group: tuple[frozenset[str], ...]) -> bool:
        own = self.parts
        return (
            group[0] <= own[0] and group[1] <= own[1] and group[2] <= own[2] and group[3] <= own[3]
        )

    def lines_for(self, group: tuple[frozenset[str], ...]) -> list[str]:
        """The why lines of what this patient has among a group's items."""
        return [line for part, slug, line in self.why_lines if slug in group[part]]


@dataclass(frozen=True, slots=True)
class CompiledRule:
    key: str
    kind: str
    drug: str | None
    level: str | None
    severity: str | None
    priority: int
    title: str
    text: str
    pain_types: frozenset[str]
    any: tuple[frozenset[str], ...] | None
    all: tuple[frozenset[str], ...] | None
    none: tuple[frozenset[str], ...] | None
    evidence: tuple[Evidence, ...]
    summaries: tuple[EvidenceSummary, ...]

    def matches(self, patient: Patient) -> bool:
        if self.pain_types and patient.pain_type not in self.pain_types:
            return False
        if self.any is not None and not patient.has_any(self.any):
            return False
        if self.all is not None and not patient.has_all(self.all):
            return False
        return self.none is None or not patient.has_any(self.none)


@dataclass(frozen=True, slots=True)
class Evidence:
    """One cited source, as a note lists it: the citation and how certain its finding is."""

    key: str
    citation: str
    pmid: str | None
    doi: str | None
    study_type: str
    certainty: str | None

    @property
    def study_type_label(self) -> str:
        return STUDY_TYPES.get(self.study_type, "")

    @property
    def certainty_label(self) -> str:
        return CERTAINTIES.get(self.certainty, "") if self.certainty else ""


@dataclass(frozen=True, slots=True)
class EvidenceSummary:
    """One cited record (a finding, safety concern, combination or conflict) in brief."""

    kind: str
    key: str
    title: str
    summary: str
    direction: str | None = None
    certainty: str | None = None
    certainty_reason: str = ""
    condition_scope: str = ""
    severity: str | None = None

    @property
    def direction_label(self) -> str:
        return DIRECTIONS.get(self.direction, "") if self.direction else ""

    @property
    def certainty_label(self) -> str:
        return CERTAINTIES.get(self.certainty, "") if self.certainty else ""

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, "") if self.severity else ""


@dataclass(frozen=True, slots=True)
class Note:
    """One note of an answer, whole: what every rendering (page, PDF, API, cards) shows."""

    id: str
    kind: str
    drug: str | None
    drug_name: str | None
    level: str | None
    severity: str | None
    title: str
    text: str
    why: tuple[str, ...]
    evidence: tuple[Evidence, ...]
    summaries: tuple[EvidenceSummary, ...]
    priority: int = 0
    # The rule that wrote the note; None for the notes the engine writes itself (no rule covers
    # the drug), which are stored with their own words.
    rule: str | None = None

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, "") if self.level else ""

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, "") if self.severity else ""

    @property
    def certainties(self) -> tuple[str, ...]:
        """The certainty of each cited finding, once each, in citing order."""
        return tuple(dict.fromkeys(s.certainty_label for s in self.summaries if s.certainty_label))

    def stored(self) -> dict[str, Any]:
        """What an assessment stores of the note: which note appeared, on what scale, and why.

        A rule's words and citations live in the assessment's release, which never changes, so
        they are stored by reference and `CompiledRelease.restore` gives back exactly this note.
        A note the engine wrote itself keeps its own words and citations.
        """
        stored = {
            "id": self.id,
            "kind": self.kind,
            "drug": self.drug,
            "level": self.level,
            "severity": self.severity,
            "why": list(self.why),
        }
        if self.rule is None:
            stored.update(
                title=self.title,
                text=self.text,
                evidence=[[entry.key, entry.certainty] for entry in self.evidence],
                evidence_summaries=[[s.kind, s.key] for s in self.summaries],
            )
        elif self.rule != self.id:
            stored["rule"] = self.rule
        return stored


class ReleaseError(ValueError):
    """The payload cannot be compiled; the message names the offending record."""


@dataclass(frozen=True)
class CompiledRelease:
    """Everything `evaluate` needs, indexed for answering from memory."""

    id: int | None
    version: str
    published_at: datetime.datetime | None
    vocabulary: Vocabulary
    rules_by_pain_type: dict[str, tuple[CompiledRule, ...]]
    fallback_evidence: dict[str, tuple[tuple[Evidence, ...], tuple[EvidenceSummary, ...]]]
    library: _EvidenceLibrary
    rules_by_key: dict[str, CompiledRule]
    # Identifies the content (the release's SHA-256): what rendered fragments are cached under.
    content_hash: str = ""

    def restore(self, stored: dict) -> Note:
        """A stored note (`Note.stored`) exactly as it was answered."""
        if "title" in stored:  # written by the engine: its words and citations are stored
            rule_key = None
            title, text = stored["title"], stored["text"]
            evidence = tuple(self.library.entry(key, c) for key, c in stored["evidence"])
            summaries = tuple(
                self.library.card(kind, key) for kind, key in stored["evidence_summaries"]
            )
            priority = 0
        else:
            rule = self.rules_by_key[stored.get("rule", stored["id"])]
            rule_key, title, text = rule.key, rule.title, rule.text
            evidence, summaries, priority = rule.evidence, rule.summaries, rule.priority
        drug = self.vocabulary.drugs.get(stored["drug"]) if stored["drug"] else None
        return Note(
            id=stored["id"],
            kind=stored["kind"],
            drug=stored["drug"],
            drug_name=drug.name if drug else None,
            level=stored["level"],
            severity=stored["severity"],
            title=title,
            text=text,
            why=tuple(stored["why"]),
            evidence=evidence,
            summaries=summaries,
            priority=priority,
            rule=rule_key,
        )

    @property
    def rule_count(self) -> int:
        return len(self.rules_by_key)

    @classmethod
    def from_payload(
        cls,
        payload: dict,
        *,
        id: int | None = None,
        version: str = "",
        published_at=None,
        content_hash: str = "",
    ) -> CompiledRelease:
        vocabulary = Vocabulary.from_payload(payload["vocabulary"])
        if not vocabulary.pain_types or not vocabulary.nmdar_antagonists:
            raise ReleaseError("a release needs at least one pain type and one NMDAR antagonist")
        library = _EvidenceLibrary(payload)
        rules = [_compile_rule(rule, vocabulary, library) for rule in payload["rules"]]
        by_pain_type = {
            pain_type: tuple(
                rule for rule in rules if not rule.pain_types or pain_type in rule.pain_types
            )
            for pain_type in vocabulary.pain_types
        }
        return cls(
            id=id,
            version=version,
            published_at=published_at,
            vocabulary=vocabulary,
            rules_by_pain_type=by_pain_type,
            fallback_evidence={
                pain_type: library.fallback_for(pain_type) for pain_type in vocabulary.pain_types
            },
            library=library,
            rules_by_key={rule.key: rule for rule in rules},
            content_hash=content_hash,
        )


class _EvidenceLibrary:
    """Turns cited records into the evidence entries and summaries a note carries."""

    def __init__(self, payload: dict):
        self.sources = payload["sources"]
        self.findings = payload["findings"]
        self.records = {
            "finding": self.findings,
            "safety": payload["safety"],
            "combination": payload["combinations"],
            "conflict": payload["conflicts"],
        }
        self.founding = tuple(
            key for key, source in self.sources.items() if source["founding_review"]
        )

    def entry(self, source_key: str, certainty: str | None) -> Evidence:
        source = self.sources[source_key]
        return Evidence(
            key=source_key,
            citation=source["citation"],
            pmid=source["pmid"] or None,
            doi=source["doi"] or None,
            study_type=source["study_type"],
            certainty=certainty,
        )

    def card(self, kind: str, key: str) -> EvidenceSummary:
        record = self.records[kind][key]
        return EvidenceSummary(
            kind=kind, key=key, **{field: record[field] for field in CARD_FIELDS[kind]}
        )

    def expand(
        self, cites: dict, owner: str
    ) -> tuple[tuple[Evidence, ...], tuple[EvidenceSummary, ...]]:
        entries: dict[str, Evidence] = {}
        summaries: list[EvidenceSummary] = []

        def add_sources(keys, certainty=None):
            for key in keys:
                if key not in self.sources:
                    raise ReleaseError(f"{owner}: cites unknown or unpublished source '{key}'")
                entries.setdefault(key, self.entry(key, certainty))

        sections = (
            ("findings", "finding"),
            ("safety", "safety"),
            ("combinations", "combination"),
            ("conflicts", "conflict"),
        )
        for section, kind in sections:
            for key in cites.get(section, ()):
                record = self.records[kind].get(key)
                if record is None:
                    raise ReleaseError(f"{owner}: cites unknown or unpublished {kind} '{key}'")
                add_sources(record["sources"], record.get("certainty"))
                summaries.append(self.card(kind, key))
        add_sources(cites.get("sources", ()))
        return tuple(entries.values()), tuple(summaries)

    def fallback_for(
        self, pain_type: str
    ) -> tuple[tuple[Evidence, ...], tuple[EvidenceSummary, ...]]:
        """Evidence for a suitability note that no rule covers: what is known of the class.

        Class-level findings in patients for this pain type if there are any, otherwise every
        class-level finding in patients, otherwise the founding review itself.
        """
        class_findings = sorted(
            key
            for key, finding in self.findings.items()
            if finding["drug"] is None and finding["population"] == "patients"
        )
        for_pain_type = [k for k in class_findings if self.findings[k]["pain_type"] == pain_type]
        chosen = for_pain_type or class_findings
        if chosen:
            return self.expand({"findings": chosen}, f"fallback for {pain_type}")
        if self.founding:
            return self.expand({"sources": self.founding}, f"fallback for {pain_type}")
        raise ReleaseError(
            "the release has no class-level finding and no founding review to cite when no "
            "rule covers a drug"
        )


def _compile_rule(rule: dict, vocabulary: Vocabulary, library: _EvidenceLibrary) -> CompiledRule:
    owner = f"rule {rule['key']}"
    if rule["kind"] != "context":
        drug = vocabulary.drugs.get(rule["drug"] or "")
        if drug is None or not drug.is_nmdar_antagonist:
            raise ReleaseError(f"{owner}: '{rule['drug']}' is not an NMDAR antagonist")
    evidence, summaries = library.expand(rule["cites"], owner)
    if rule["kind"] != "context" and not evidence:
        raise ReleaseError(f"{owner}: a {rule['kind']} note must cite at least one source")
    when = rule["when"]
    return CompiledRule(
        key=rule["key"],
        kind=rule["kind"],
        drug=rule["drug"],
        level=rule["level"] or None,
        severity=rule["severity"] or None,
        priority=rule["priority"],
        title=rule["title"],
        text=rule["text"],
        pain_types=frozenset(when["pain_types"]),
        any=condition(when["any"]),
        all=condition(when["all"]),
        none=condition(when["none"]),
        evidence=evidence,
        summaries=summaries,
    )


# --- Evaluation -----------------------------------------------------------------------------


def evaluate(release: CompiledRelease, inputs: Inputs) -> list[Note]:
    """All notes for these inputs, ordered as API.md says.

    Every NMDAR antagonist gets exactly one suitability note: the highest-priority matching
    suitability rule, or, where no rule covers the drug for this pain type, an explicit
    "insufficient" note citing what is known of the class.

    A note about a drug is matched against the patient's *other* medicines: a patient already
    taking dextromethorphan is not warned about dextromethorphan "with a serotonergic medicine"
    because dextromethorphan is itself serotonergic.
    """
    vocabulary = release.vocabulary
    patient = Patient.from_inputs(inputs, vocabulary)
    others = {
        slug: patient.without(slug, vocabulary)
        for slug in vocabulary.nmdar_antagonists
        if slug in patient.drugs
    }
    suitability: dict[str, CompiledRule] = {}
    notes: list[Note] = []
    for rule in release.rules_by_pain_type[inputs.pain_type]:
        subject = others.get(rule.drug, patient)
        if not rule.matches(subject):
            continue
        if rule.kind == "suitability":
            best = suitability.get(rule.drug)
            if best is None or (-rule.priority, rule.key) < (-best.priority, best.key):
                suitability[rule.drug] = rule
        else:
            notes.append(_note(rule, subject, vocabulary))
    for drug in vocabulary.nmdar_antagonists:
        rule = suitability.get(drug)
        subject = others.get(drug, patient)
        notes.append(
            _note(rule, subject, vocabulary) if rule else _unstudied(release, drug, patient)
        )
    drug_order = {slug: index for index, slug in enumerate(vocabulary.nmdar_antagonists)}
    notes.sort(key=lambda note: _order(note, drug_order))
    return notes


def _order(note: Note, drug_order: dict[str, int]) -> tuple:
    if note.kind == "caution":
        group = {"high": 0, "moderate": 2, "low": 3}[note.severity]
    else:
        group = {"suitability": 1, "combination": 4, "context": 5}[note.kind]
    level_rank = LEVEL_RANK.get(note.level, 0)
    return (group, level_rank, drug_order.get(note.drug, -1), -note.priority, note.id)


def _note(rule: CompiledRule, patient: Patient, vocabulary: Vocabulary) -> Note:
    drug = vocabulary.drugs.get(rule.drug) if rule.drug else None
    return Note(
        id=rule.key,
        kind=rule.kind,
        drug=rule.drug,
        drug_name=drug.name if drug else None,
        level=rule.level,
        severity=rule.severity,
        title=rule.title,
        text=rule.text,
        why=_why(rule, patient, vocabulary, drug),
        evidence=rule.evidence,
        summaries=rule.summaries,
        priority=rule.priority,
        rule=rule.key,
    )


def _unstudied(release: CompiledRelease, drug_slug: str, patient: Patient) -> Note:
    vocabulary = release.vocabulary
    drug = vocabulary.drugs[drug_slug]
    pain = vocabulary.pain_types[patient.pain_type]
    evidence, summaries = release.fallback_evidence[patient.pain_type]
    return Note(
        id=f"{drug_slug}-{patient.pain_type}-no-direct-evidence",
        kind="suitability",
        drug=drug_slug,
        drug_name=drug.name,
        level="insufficient",
        severity=None,
        title=f"{drug.name} for {_lower_first(pain.name)}: no direct evidence",
        text=(
            f"The knowledge base holds no study of {drug.name.lower()} in "
            f"{_lower_first(pain.name)}, so the evidence is insufficient to judge its "
            "suitability here. The sources below describe NMDA-receptor antagonists as a class."
        ),
        why=(f"Pain type: {pain.name}", f"No curated evidence on {drug.name} for this pain type"),
        evidence=evidence,
        summaries=summaries,
    )


def _lower_first(text: str) -> str:
    # "Severe renal impairment" reads better mid-sentence in lower case; "NMDA-receptor" keeps.
    if len(text) > 1 and text[0].isupper() and text[1].islower():
        return text[0].lower() + text[1:]
    return text


def _why(rule: CompiledRule, patient: Patient, vocabulary: Vocabulary, drug) -> tuple[str, ...]:
    lines: list[str] = []
    if rule.pain_types:
        lines.append(f"Pain type: {vocabulary.pain_types[patient.pain_type].name}")
    if rule.any is not None:
        lines += patient.lines_for(rule.any)
    if rule.all is not None:
        lines += patient.lines_for(rule.all)
    if rule.none is not None:
        lines += _absent(rule.none, vocabulary)
    if not lines:
        lines.append(
            f"Applies to any use of {drug.name}" if drug else "Applies to every assessment"
        )
    return tuple(dict.fromkeys(lines))


def _absent(group: tuple[frozenset[str], ...], vocabulary: Vocabulary) -> list[str]:
    drugs, classes, properties, factors = group
    names = [
        *(vocabulary.drugs[slug].name for slug in sorted(drugs)),
        *(_lower_first(vocabulary.drug_classes[slug].name) for slug in sorted(classes)),
        *(_lower_first(vocabulary.drug_properties[slug].name) for slug in sorted(properties)),
    ]
    lines = [f"Not among current medicines: {name}" for name in names]
    lines += [f"Not recorded: {vocabulary.patient_factors[slug].name}" for slug in sorted(factors)]
    return lines
