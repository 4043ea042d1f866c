"""The rules engine: `evaluate(release, inputs) -> notes`, a pure function over a compiled release.

No database, no HTTP, no templates: a `CompiledRelease` is built once per process from a release's
JSON payload (see `decision.releases`) and every assessment is answered from memory. Matching
semantics are described in docs/engine.md and docs/knowledge-base.md.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass
from typing import Any

from decision.grading import Grade, grade
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
    # Patient factors: declared as screened with nothing known (the audit accepts it as inert).
    nothing_known: bool = False


@dataclass(frozen=True, slots=True)
class DrugTerm:
    slug: str
    name: str
    description: str
    classes: frozenset[str]
    properties: frozenset[str]
    nothing_known: bool = False

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
                item["slug"]: Term(
                    item["slug"],
                    item["name"],
                    item["description"],
                    item.get("nothing_known", False),
                )
                for item in ordered
            }

        drugs = {
            item["slug"]: DrugTerm(
                item["slug"],
                item["name"],
                item["description"],
                frozenset(item["classes"]),
                frozenset(item["properties"]),
                item.get("nothing_known", False),
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
MEDICINE_PARTS = 3  # drugs, classes and properties are about medicines; factors are not


def condition(data: dict) -> tuple[frozenset[str], ...] | None:
    """One condition group of a rule as (drugs, classes, properties, factors), None if empty."""
    parts = tuple(frozenset(data[part]) for part in PARTS)
    return parts if any(parts) else None


@dataclass(frozen=True, slots=True)
class _Taken:
    """One current medicine, with its classes and properties in words, for `why` lines."""

    slug: str
    name: str
    classes: tuple[tuple[str, str], ...]  # (slug, phrase)
    properties: tuple[tuple[str, str], ...]


@dataclass(frozen=True, slots=True)
class Patient:
    """The inputs expanded once per evaluation: every class and property of every medicine, and
    what each medicine and factor is called in a note's `why`."""

    pain_type: str
    parts: tuple[frozenset[str], ...]  # drugs, classes, properties, factors, as in PARTS
    taken: tuple[_Taken, ...]  # in reading order
    factor_lines: tuple[tuple[str, str], ...]  # (slug, line)

    @classmethod
    def from_inputs(cls, inputs: Inputs, vocabulary: Vocabulary) -> Patient:
        return cls.build(inputs.pain_type, inputs.analgesics, inputs.factors, vocabulary)

    @classmethod
    def build(cls, pain_type: str, drug_slugs, factors, vocabulary: Vocabulary) -> Patient:
        drugs = sorted(
            (vocabulary.drugs[slug] for slug in drug_slugs), key=lambda d: d.name.lower()
        )
        taken = tuple(
            _Taken(
                drug.slug,
                drug.name,
                tuple(
                    (slug, _lower_first(vocabulary.drug_classes[slug].name))
                    for slug in sorted(drug.classes)
                ),
                tuple(
                    (slug, _lower_first(vocabulary.drug_properties[slug].name))
                    for slug in sorted(drug.properties)
                ),
            )
            for drug in drugs
        )
        parts = (
            frozenset(drug_slugs),
            frozenset().union(*(drug.classes for drug in drugs)),
            frozenset().union(*(drug.properties for drug in drugs)),
            frozenset(factors),
        )
        factor_lines = tuple(
            (slug, f"Patient factor: {vocabulary.patient_factors[slug].name}")
            for slug in sorted(factors)
        )
        return cls(pain_type, parts, taken, factor_lines)

    @property
    def drugs(self) -> frozenset[str]:
        return self.parts[0]

    def with_drugs(self, drug_slugs, vocabulary: Vocabulary) -> Patient:
        """The same patient taking `drug_slugs` instead."""
        return Patient.build(self.pain_type, drug_slugs, self.parts[3], vocabulary)

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
        """One line per medicine and factor of this patient that a group names: the medicine
        with what of it matched ("Morphine (opioid; CNS depressant)")."""
        lines = [
            medicine_line(medicine, group) for medicine in self.taken if _named(medicine, group)
        ]
        return lines + [line for slug, line in self.factor_lines if slug in group[3]]

    def line_of(self, drug_slug: str) -> str:
        medicine = next(medicine for medicine in self.taken if medicine.slug == drug_slug)
        return f"Current medicine: {medicine.name}"


def _named(medicine: _Taken, group) -> bool:
    return (
        medicine.slug in group[0]
        or any(slug in group[1] for slug, _ in medicine.classes)
        or any(slug in group[2] for slug, _ in medicine.properties)
    )


def medicine_line(medicine: _Taken, group) -> str:
    matched = [phrase for slug, phrase in medicine.classes if slug in group[1]]
    matched += [phrase for slug, phrase in medicine.properties if slug in group[2]]
    return f"Current medicine: {medicine.name}" + (f" ({'; '.join(matched)})" if matched else "")


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
    # Cautions: "patient" (this patient's inputs triggered it) or "drug" (any use of the drug).
    scope: str | None = None
    # Suitability and combination notes: the certainty of the evidence the level rests on, as
    # the grading rule derives it (None: no graded direct evidence), and why curators set a
    # different level, if they did.
    certainty: str | None = None
    level_reason: str = ""

    @property
    def level_label(self) -> str:
        return LEVELS.get(self.level, "") if self.level else ""

    @property
    def severity_label(self) -> str:
        return SEVERITIES.get(self.severity, "") if self.severity else ""

    @property
    def certainty_label(self) -> str:
        return CERTAINTIES.get(self.certainty, "") if self.certainty else ""

    @property
    def is_alert(self) -> bool:
        """A caution this patient's inputs triggered: what counts, badges and summaries count."""
        return self.kind == "caution" and self.scope == "patient"

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
    # For suitability and combination notes: what the grading rule derives from the citations.
    grade: Grade | None = None
    # Why a curated level differs from the grading rule (shown to clinicians), if it does.
    level_reason: str = ""
    # The other NMDAR antagonists this rule's medicine conditions name: the interaction is shown
    # on their cards too when this rule's drug is a current medicine.
    partners: frozenset[str] = frozenset()

    @property
    def scope(self) -> str | None:
        """A caution's scope: "patient" when this patient's inputs trigger it, "drug" when it
        applies to any use of the drug."""
        if self.kind != "caution":
            return None
        return "patient" if (self.pain_types or self.any or self.all) else "drug"

    def matches(self, patient: Patient) -> bool:
        if self.pain_types and patient.pain_type not in self.pain_types:
            return False
        if self.any is not None and not patient.has_any(self.any):
            return False
        if self.all is not None and not patient.has_all(self.all):
            return False
        return self.none is None or not patient.has_any(self.none)


SCREENED_STATEMENT = (
    "Interactions are checked only against the medicines listed here: {names}. Any other "
    "medicine the patient takes has not been checked."
)


@dataclass(frozen=True, slots=True)
class Screened:
    """Which medicines a release checks interactions for: every medicine it lets one enter."""

    drugs: tuple[str, ...]
    names: tuple[str, ...]

    @classmethod
    def of(cls, vocabulary: Vocabulary) -> Screened:
        return cls(
            drugs=tuple(vocabulary.drugs),
            names=tuple(drug.name for drug in vocabulary.drugs.values()),
        )

    @property
    def statement(self) -> str:
        return SCREENED_STATEMENT.format(names=", ".join(self.names))


class ReleaseError(ValueError):
    """The payload cannot be compiled; the message names the offending record."""


# Compared and hashed by identity: a compiled release never changes, so one object always
# gives the same answers (and can key a cache of them).
@dataclass(frozen=True, eq=False)
class CompiledRelease:
    """Everything `evaluate` needs, indexed for answering from memory."""

    id: int | None
    version: str
    published_at: datetime.datetime | None
    vocabulary: Vocabulary
    rules_by_pain_type: dict[str, tuple[CompiledRule, ...]]
    # Per pain type and NMDAR antagonist: its rules that name other NMDAR antagonists, which are
    # shown on those drugs' cards when it is a current medicine.
    mirrors: dict[str, dict[str, tuple[CompiledRule, ...]]]
    fallback_evidence: dict[str, tuple[tuple[Evidence, ...], tuple[EvidenceSummary, ...]]]
    library: _EvidenceLibrary
    rules_by_key: dict[str, CompiledRule]
    screened: Screened
    # Identifies the content (the release's SHA-256).
    content_hash: str = ""

    def restore(self, stored: dict) -> Note:
        """A stored note (`Note.stored`) exactly as it was answered."""
        drug = self.vocabulary.drugs.get(stored["drug"]) if stored["drug"] else None
        if "title" in stored:  # written by the engine: its words and citations are stored
            return Note(
                id=stored["id"],
                kind=stored["kind"],
                drug=stored["drug"],
                drug_name=drug.name if drug else None,
                level=stored["level"],
                severity=stored["severity"],
                title=stored["title"],
                text=stored["text"],
                why=tuple(stored["why"]),
                evidence=tuple(self.library.entry(key, c) for key, c in stored["evidence"]),
                summaries=tuple(
                    self.library.card(kind, key) for kind, key in stored["evidence_summaries"]
                ),
            )
        rule = self.rules_by_key[stored.get("rule", stored["id"])]
        mirrored = stored["drug"] != rule.drug
        return _note(rule, stored["drug"], tuple(stored["why"]), self.vocabulary, mirrored)

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
        mirrors = {
            pain_type: {
                drug: tuple(rule for rule in matching if rule.drug == drug and rule.partners)
                for drug in vocabulary.nmdar_antagonists
            }
            for pain_type, matching in by_pain_type.items()
        }
        return cls(
            id=id,
            version=version,
            published_at=published_at,
            vocabulary=vocabulary,
            rules_by_pain_type=by_pain_type,
            mirrors=mirrors,
            fallback_evidence={
                drug: library.fallback_for(drug, vocabulary)
                for drug in vocabulary.nmdar_antagonists
            },
            library=library,
            rules_by_key={rule.key: rule for rule in rules},
            screened=Screened.of(vocabulary),
            content_hash=content_hash,
        )


class _EvidenceLibrary:
    """Turns cited records into the evidence entries and summaries a note carries."""

    def __init__(self, payload: dict):
        self.sources = payload["sources"]
        self.findings = payload["findings"]
        self.combinations = payload["combinations"]
        self.records = {
            "finding": self.findings,
            "safety": payload["safety"],
            "combination": self.combinations,
            "conflict": payload["conflicts"],
        }

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

        for section, kind in CITED_SECTIONS:
            for key in cites.get(section, ()):
                record = self.records[kind].get(key)
                if record is None:
                    raise ReleaseError(f"{owner}: cites unknown or unpublished {kind} '{key}'")
                add_sources(record["sources"], record.get("certainty"))
                summaries.append(self.card(kind, key))
        add_sources(cites.get("sources", ()))
        return tuple(entries.values()), tuple(summaries)

    def fallback_for(
        self, drug: str, vocabulary: Vocabulary
    ) -> tuple[tuple[Evidence, ...], tuple[EvidenceSummary, ...]]:
        """What a suitability note no rule writes cites: the drug's own findings, filed under
        other pain types. Evidence about the class as a whole is for context notes: a class
        review may not even include this drug."""
        own = sorted(key for key, finding in self.findings.items() if finding["drug"] == drug)
        if not own:
            raise ReleaseError(
                f"no finding about {vocabulary.drugs[drug].name} is published, so a note on it "
                "for a pain type no rule covers would have nothing to cite"
            )
        return self.expand({"findings": own}, f"the note on {drug} where no rule covers it")


CITED_SECTIONS = (
    ("findings", "finding"),
    ("safety", "safety"),
    ("combinations", "combination"),
    ("conflicts", "conflict"),
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
    pain_types = frozenset(when["pain_types"])
    any_, all_, none = condition(when["any"]), condition(when["all"]), condition(when["none"])
    graded = None
    if rule["kind"] in ("suitability", "combination"):
        cites = rule["cites"]
        graded = grade(
            [library.findings[key] for key in cites.get("findings", ())],
            pain_types,
            [library.combinations[key] for key in cites.get("combinations", ())]
            if rule["kind"] == "combination"
            else [],
        )
    return CompiledRule(
        key=rule["key"],
        kind=rule["kind"],
        drug=rule["drug"],
        level=rule["level"] or None,
        severity=rule["severity"] or None,
        priority=rule["priority"],
        title=rule["title"],
        text=rule["text"],
        pain_types=pain_types,
        any=any_,
        all=all_,
        none=none,
        evidence=evidence,
        summaries=summaries,
        grade=graded,
        level_reason=rule.get("level_reason", ""),
        partners=_partners(rule, any_, all_, none, vocabulary),
    )


def _partners(rule: dict, any_, all_, none, vocabulary: Vocabulary) -> frozenset[str]:
    """The other NMDAR antagonists a caution or combination rule names among the current
    medicines (by drug, class or property). A rule that needs all of several medicines is
    about that set, not one partner, and is not mirrored."""
    if rule["kind"] not in ("caution", "combination") or any_ is None:
        return frozenset()
    if all_ is not None and any(all_[:MEDICINE_PARTS]):
        return frozenset()

    def names(group, drug) -> bool:
        return bool(drug.slug in group[0] or drug.classes & group[1] or drug.properties & group[2])

    return frozenset(
        slug
        for slug in vocabulary.nmdar_antagonists
        if slug != rule["drug"]
        and names(any_, vocabulary.drugs[slug])
        and (none is None or not names(none, vocabulary.drugs[slug]))
    )


# --- Evaluation -----------------------------------------------------------------------------


def evaluate(release: CompiledRelease, inputs: Inputs) -> list[Note]:
    """All notes for these inputs, ordered as API.md says.

    Every NMDAR antagonist gets exactly one suitability note: the highest-priority matching
    suitability rule, or, where no rule covers the drug for this pain type, an explicit
    "insufficient" note citing the drug's evidence in other pain types.

    A note about a drug is matched against the patient's *other* medicines: a patient already
    taking dextromethorphan is not warned about dextromethorphan "with a serotonergic medicine"
    because dextromethorphan is itself serotonergic.

    An interaction between two NMDAR antagonists shows whichever of them is the current
    medicine: a rule about A that names B is shown on A's card when B is taken and, mirrored,
    on B's card when A is taken (`CompiledRule.partners`).
    """
    vocabulary = release.vocabulary
    patient = Patient.from_inputs(inputs, vocabulary)
    current_nmdar = [slug for slug in vocabulary.nmdar_antagonists if slug in patient.drugs]
    others = {
        slug: patient.with_drugs(patient.drugs - {slug}, vocabulary) for slug in current_nmdar
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
            notes.append(_note(rule, rule.drug, _why(rule, subject, vocabulary), vocabulary))
    for taken in current_nmdar:
        for rule in release.mirrors[inputs.pain_type][taken]:
            for partner in sorted(rule.partners):
                # The rule read as if the partner were added beside what the patient takes.
                subject = others[taken].with_drugs(others[taken].drugs | {partner}, vocabulary)
                if rule.matches(subject):
                    why = (*_pain_line(rule, patient, vocabulary), patient.line_of(taken))
                    notes.append(_note(rule, partner, why, vocabulary, mirrored=True))
    for drug in vocabulary.nmdar_antagonists:
        rule = suitability.get(drug)
        if rule is None:
            notes.append(_unstudied(release, drug, patient))
        else:
            subject = others.get(drug, patient)
            notes.append(_note(rule, drug, _why(rule, subject, vocabulary), vocabulary))
    drug_order = {slug: index for index, slug in enumerate(vocabulary.nmdar_antagonists)}
    notes.sort(key=lambda note: _order(note, drug_order))
    return notes


def _order(note: Note, drug_order: dict[str, int]) -> tuple:
    """Patient-scope high cautions, suitability by level, this patient's other cautions,
    combinations, the drugs' general risks, context."""
    if note.kind == "caution":
        rank = {"high": 0, "moderate": 1, "low": 2}[note.severity]
        group = (0 if rank == 0 else 2) if note.scope == "patient" else 5
    else:
        group, rank = {"suitability": 1, "combination": 4, "context": 6}[note.kind], 0
    level_rank = LEVEL_RANK.get(note.level, 0)
    return (group, rank, level_rank, drug_order.get(note.drug, -1), -note.priority, note.id)


def _note(
    rule: CompiledRule, drug_slug: str | None, why, vocabulary: Vocabulary, mirrored=False
) -> Note:
    drug = vocabulary.drugs.get(drug_slug) if drug_slug else None
    graded = rule.grade
    return Note(
        # A mirrored note is keyed by the rule and the card it is shown on ("--" never appears
        # in a rule's key).
        id=f"{rule.key}--{drug_slug}" if mirrored else rule.key,
        kind=rule.kind,
        drug=drug_slug,
        drug_name=drug.name if drug else None,
        level=rule.level,
        severity=rule.severity,
        title=rule.title,
        text=rule.text,
        why=tuple(why),
        evidence=rule.evidence,
        summaries=rule.summaries,
        priority=rule.priority,
        rule=rule.key,
        scope="patient" if mirrored and rule.kind == "caution" else rule.scope,
        certainty=graded.certainty if graded else None,
        level_reason=rule.level_reason,
    )


def _unstudied(release: CompiledRelease, drug_slug: str, patient: Patient) -> Note:
    vocabulary = release.vocabulary
    drug = vocabulary.drugs[drug_slug]
    pain = vocabulary.pain_types[patient.pain_type]
    evidence, summaries = release.fallback_evidence[drug_slug]
    name, pain_name = drug.name.lower(), _lower_first(pain.name)
    return Note(
        id=f"{drug_slug}-{patient.pain_type}-no-direct-evidence",
        kind="suitability",
        drug=drug_slug,
        drug_name=drug.name,
        level="insufficient",
        severity=None,
        title=f"{drug.name} for {pain_name}: no direct evidence",
        text=(
            f"No finding in the knowledge base is about {name} in {pain_name}, so the evidence "
            f"is insufficient to judge it here. The findings below are about {name} in other "
            "neuropathic pain; each names the population it comes from."
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


def _pain_line(rule: CompiledRule, patient: Patient, vocabulary: Vocabulary) -> tuple[str, ...]:
    if not rule.pain_types:
        return ()
    return (f"Pain type: {vocabulary.pain_types[patient.pain_type].name}",)


def _why(rule: CompiledRule, patient: Patient, vocabulary: Vocabulary) -> tuple[str, ...]:
    lines: list[str] = list(_pain_line(rule, patient, vocabulary))
    if rule.any is not None:
        lines += patient.lines_for(rule.any)
    if rule.all is not None:
        lines += patient.lines_for(rule.all)
    if rule.none is not None:
        lines += _absent(rule.none, vocabulary)
    if not lines:
        drug = vocabulary.drugs.get(rule.drug) if rule.drug else None
        lines.append(
            f"Applies to any use of {drug.name.lower()}, whatever the patient"
            if drug
            else "Applies to every assessment"
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
