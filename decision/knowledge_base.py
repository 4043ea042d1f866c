"""The shipped knowledge base file: export every curated record, load it back idempotently.

The file format is described in docs/knowledge-base.md. One table, `SECTIONS`, says how each
section maps onto a model, so export and load cannot drift apart.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction

from decision.engine import PARTS
from decision.models import CITATIONS, CONDITION_GROUPS, CuratorCase, Expectation, Rule
from evidence.models import (
    ClinicalCode,
    Combination,
    Conflict,
    Drug,
    DrugClass,
    DrugProperty,
    Finding,
    PainType,
    PatientFactor,
    SafetyConcern,
    Source,
)

FORMAT = 1
DEFAULT_PATH = Path(__file__).resolve().parent.parent / "evidence" / "knowledge_base.yaml"
CURATED = ("status", "last_reviewed", "review_due")


class KnowledgeBaseError(Exception):
    """The file cannot be loaded; the message names the record and the problem."""


@dataclass(frozen=True)
class Section:
    name: str
    model: type
    key: tuple[str, ...]
    scalars: tuple[str, ...]
    # file path -> (model field, related model, related natural-key field)
    foreign_keys: dict[str, tuple[str, type, str]] = field(default_factory=dict)
    many: dict[str, tuple[str, type, str]] = field(default_factory=dict)

    def queryset(self):
        """Every record, with what export and load read of it fetched up front."""
        related = [spec[0] for spec in self.many.values()]
        if self.model is CuratorCase:
            related.append("expectations__drug")
        return (
            self.model.objects.order_by(*self.key)
            .select_related(*(spec[0] for spec in self.foreign_keys.values()))
            .prefetch_related(*related)
        )


def _slugs(model):
    return (model, "slug")


def _keys(model):
    return (model, "key")


PART_MODELS = {
    "drugs": Drug,
    "classes": DrugClass,
    "properties": DrugProperty,
    "factors": PatientFactor,
}
CITED_MODELS = {
    "findings": Finding,
    "safety": SafetyConcern,
    "combinations": Combination,
    "conflicts": Conflict,
    "sources": Source,
}
RULE_MANY = {
    "when.pain_types": ("pain_types", PainType, "slug"),
    **{
        f"when.{group}.{part}": (f"{group}_{part}", PART_MODELS[part], "slug")
        for group in CONDITION_GROUPS
        for part in PARTS
    },
    **{
        f"cites.{section}": (field, CITED_MODELS[section], "key")
        for section, field in CITATIONS.items()
    },
}

VOCABULARY = ("slug", "name", "description")
SECTIONS = (
    Section("pain_types", PainType, ("slug",), VOCABULARY),
    Section("drug_classes", DrugClass, ("slug",), VOCABULARY),
    Section("drug_properties", DrugProperty, ("slug",), VOCABULARY),
    Section("patient_factors", PatientFactor, ("slug",), VOCABULARY),
    Section(
        "drugs",
        Drug,
        ("slug",),
        VOCABULARY,
        many={
            "classes": ("classes", *_slugs(DrugClass)),
            "properties": ("properties", *_slugs(DrugProperty)),
        },
    ),
    Section(
        "clinical_codes",
        ClinicalCode,
        ("system", "code"),
        ("system", "code", "display", "verified", "note"),
        many={
            "pain_types": ("pain_types", *_slugs(PainType)),
            "drugs": ("drugs", *_slugs(Drug)),
            "factors": ("factors", *_slugs(PatientFactor)),
        },
    ),
    Section(
        "sources",
        Source,
        ("key",),
        (
            "key",
            "authors",
            "title",
            "journal",
            "year",
            "volume",
            "issue",
            "pages",
            "doi",
            "pmid",
            "url",
            "study_type",
            "population",
            "sample_size",
            "notes",
            "is_founding_review",
            *CURATED,
        ),
    ),
    Section(
        "findings",
        Finding,
        ("key",),
        (
            "key",
            "product",
            "condition_scope",
            "population",
            "direction",
            "certainty",
            "certainty_reason",
            "summary",
            *CURATED,
        ),
        foreign_keys={
            "drug": ("drug", *_slugs(Drug)),
            "pain_type": ("pain_type", *_slugs(PainType)),
        },
        many={"sources": ("sources", *_keys(Source))},
    ),
    Section(
        "safety_concerns",
        SafetyConcern,
        ("key",),
        ("key", "product", "concern", "applies_when", "severity", "summary", *CURATED),
        foreign_keys={"drug": ("drug", *_slugs(Drug))},
        many={
            "sources": ("sources", *_keys(Source)),
            "trigger_factors": ("trigger_factors", *_slugs(PatientFactor)),
            "trigger_drugs": ("trigger_drugs", *_slugs(Drug)),
            "trigger_classes": ("trigger_classes", *_slugs(DrugClass)),
            "trigger_properties": ("trigger_properties", *_slugs(DrugProperty)),
        },
    ),
    Section(
        "combinations",
        Combination,
        ("key",),
        ("key", "product", "partner", "direction", "summary", *CURATED),
        foreign_keys={"nmdar_drug": ("nmdar_drug", *_slugs(Drug))},
        many={
            "partner_drugs": ("partner_drugs", *_slugs(Drug)),
            "partner_classes": ("partner_classes", *_slugs(DrugClass)),
            "partner_properties": ("partner_properties", *_slugs(DrugProperty)),
            "sources": ("sources", *_keys(Source)),
            "related_safety": ("related_safety", *_keys(SafetyConcern)),
        },
    ),
    Section(
        "conflicts",
        Conflict,
        ("key",),
        ("key", "topic", "summary", *CURATED),
        many={
            "pain_types": ("pain_types", *_slugs(PainType)),
            "drugs": ("drugs", *_slugs(Drug)),
            "sources": ("sources", *_keys(Source)),
        },
    ),
    Section(
        "rules",
        Rule,
        ("key",),
        (
            "key",
            "kind",
            "level",
            "severity",
            "priority",
            "title",
            "text",
            "curator_notes",
            *CURATED,
        ),
        foreign_keys={"drug": ("drug", *_slugs(Drug))},
        many=RULE_MANY,
    ),
    Section(
        "test_cases",
        CuratorCase,
        ("key",),
        ("key", "title", "description", *CURATED),
        foreign_keys={"pain_type": ("pain_type", *_slugs(PainType))},
        many={
            "analgesics": ("analgesics", *_slugs(Drug)),
            "factors": ("factors", *_slugs(PatientFactor)),
        },
    ),
)
EXPECTATION_FIELDS = ("outcome", "kind", "drug", "note_id", "level", "severity")


# --- Export ---------------------------------------------------------------------------------


def _set_path(target: dict, path: str, value) -> None:
    *parents, leaf = path.split(".")
    for part in parents:
        target = target.setdefault(part, {})
    target[leaf] = value


def _get_path(record: dict, path: str):
    value = record
    for part in path.split("."):
        if not isinstance(value, dict) or part not in value:
            raise KeyError(path)
        value = value[part]
    return value


def export_data() -> dict:
    data: dict = {"format": FORMAT}
    for section in SECTIONS:
        records = []
        for obj in section.queryset():
            record: dict = {name: getattr(obj, name) for name in section.scalars}
            for path, (attr, _model, key_field) in section.foreign_keys.items():
                target = getattr(obj, attr)
                _set_path(record, path, getattr(target, key_field) if target else None)
            for path, (attr, _model, key_field) in section.many.items():
                values = sorted(getattr(item, key_field) for item in getattr(obj, attr).all())
                _set_path(record, path, values)
            if section.model is CuratorCase:
                record["expect"] = _expectations(obj)
            records.append(record)
        data[section.name] = records
    return data


def _expectations(case: CuratorCase) -> list[dict]:
    rows = [
        {
            "outcome": expectation.outcome,
            "kind": expectation.kind,
            "drug": expectation.drug.slug if expectation.drug else None,
            "note_id": expectation.note_id,
            "level": expectation.level,
            "severity": expectation.severity,
        }
        for expectation in case.expectations.all()
    ]
    return sorted(rows, key=_expectation_order)


def _expectation_order(row: dict) -> tuple:
    return tuple(row[name] or "" for name in EXPECTATION_FIELDS)


def dump(data: dict) -> str:
    return yaml.safe_dump(
        data, sort_keys=True, allow_unicode=True, width=100, default_flow_style=False
    )


def export_knowledge_base(path: Path = DEFAULT_PATH) -> dict:
    data = export_data()
    Path(path).write_text(dump(data), encoding="utf-8")
    return {section.name: len(data[section.name]) for section in SECTIONS}


# --- Load -----------------------------------------------------------------------------------


@dataclass
class LoadSummary:
    created: dict[str, int] = field(default_factory=dict)
    updated: dict[str, int] = field(default_factory=dict)
    unchanged: dict[str, int] = field(default_factory=dict)

    @property
    def changed(self) -> bool:
        return any(self.created.values()) or any(self.updated.values())

    def describe(self) -> str:
        parts = []
        for section in SECTIONS:
            created = self.created.get(section.name, 0)
            updated = self.updated.get(section.name, 0)
            unchanged = self.unchanged.get(section.name, 0)
            parts.append(f"{section.name}: {created} new, {updated} updated, {unchanged} unchanged")
        return "\n".join(parts)


def read_file(path: Path) -> dict:
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read {path}: {error.strerror}") from error
    try:
        # libyaml's loader when present: ten times faster, same result as the pure one.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path} is not valid YAML: {error}") from error
    if not isinstance(data, dict):
        raise KnowledgeBaseError(f"{path} must hold a mapping of sections")
    if data.get("format") != FORMAT:
        raise KnowledgeBaseError(f"{path}: unsupported format {data.get('format')!r}; expected 1")
    expected = {"format", *(section.name for section in SECTIONS)}
    missing = sorted(expected - data.keys())
    unknown = sorted(data.keys() - expected)
    if missing or unknown:
        raise KnowledgeBaseError(
            f"{path}: missing sections {missing or 'none'}, unknown sections {unknown or 'none'}"
        )
    return data


def load_data(data: dict) -> LoadSummary:
    """Create or update every record of `data` in one transaction; raise on the first bad one."""
    summary = LoadSummary()
    with transaction.atomic():
        for section in SECTIONS:
            records = data[section.name]
            if not isinstance(records, list):
                raise KnowledgeBaseError(f"{section.name} must be a list")
            _load_section(section, records, summary)
    return summary


class _Lookups:
    """Natural key -> primary key for related models, refreshed per section as rows appear."""

    def __init__(self):
        self._maps: dict[tuple[type, str], dict] = {}

    def resolve(self, model: type, key_field: str, value, what: str):
        mapping = self._maps.get((model, key_field))
        if mapping is None or value not in mapping:
            mapping = dict(model.objects.values_list(key_field, "pk"))
            self._maps[(model, key_field)] = mapping
        if value not in mapping:
            raise KnowledgeBaseError(f"unknown {what} '{value}'")
        return mapping[value]


def _load_section(section: Section, records: list, summary: LoadSummary) -> None:
    lookups = _Lookups()
    existing = {
        tuple(getattr(obj, name) for name in section.key): obj for obj in section.queryset()
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    seen = set()
    for index, record in enumerate(records):
        label = _label(section, index, record)
        if isinstance(record, dict):
            natural_key = tuple(record.get(name) for name in section.key)
            if natural_key in seen:
                raise KnowledgeBaseError(f"{label}: appears twice in {section.name}")
            seen.add(natural_key)
        try:
            outcome = _load_record(section, record, existing, lookups)
        except KnowledgeBaseError as error:
            raise KnowledgeBaseError(f"{label}: {error}") from error
        except ValidationError as error:
            raise KnowledgeBaseError(f"{label}: {_messages(error)}") from error
        except DatabaseError as error:
            raise KnowledgeBaseError(f"{label}: rejected by the database: {error}") from error
        counts[outcome] += 1
    summary.created[section.name] = counts["created"]
    summary.updated[section.name] = counts["updated"]
    summary.unchanged[section.name] = counts["unchanged"]


def _label(section: Section, index: int, record) -> str:
    if isinstance(record, dict):
        key = " ".join(str(record.get(name, "?")) for name in section.key)
        return f"{section.name}[{index}] {key}"
    return f"{section.name}[{index}]"


def _messages(error: ValidationError) -> str:
    if hasattr(error, "message_dict"):
        return "; ".join(
            f"{name}: {' '.join(messages)}" for name, messages in error.message_dict.items()
        )
    return " ".join(error.messages)


def _expected_paths(section: Section) -> set[str]:
    paths = {*section.scalars, *section.foreign_keys, *section.many}
    if section.model is CuratorCase:
        paths.add("expect")
    return paths


def _flatten(record: dict, prefix: str = "") -> set[str]:
    paths = set()
    for name, value in record.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            paths |= _flatten(value, f"{path}.")
        else:
            paths.add(path)
    return paths


def _load_record(section: Section, record, existing: dict, lookups: _Lookups) -> str:
    if not isinstance(record, dict):
        raise KnowledgeBaseError("must be a mapping of fields")
    expected = _expected_paths(section)
    present = _flatten(record)
    if missing := sorted(expected - present):
        raise KnowledgeBaseError(f"missing field(s) {', '.join(missing)}")
    if unknown := sorted(present - expected):
        raise KnowledgeBaseError(f"unknown field(s) {', '.join(unknown)}")

    natural_key = tuple(record[name] for name in section.key)
    obj = existing.get(natural_key)
    creating = obj is None
    if creating:
        obj = section.model()
    changed = creating
    for name in section.scalars:
        value = _scalar(record[name])
        if getattr(obj, name) != value:
            setattr(obj, name, value)
            changed = True
    for path, (attr, model, key_field) in section.foreign_keys.items():
        value = record[path]
        target_id = None if value is None else lookups.resolve(model, key_field, value, path)
        if getattr(obj, f"{attr}_id") != target_id:
            setattr(obj, f"{attr}_id", target_id)
            changed = True
    if changed:
        # Constraints are left to the database (one query each otherwise); errors still name the
        # record through the DatabaseError handler.
        obj.full_clean(validate_unique=False, validate_constraints=False)
    # One history entry per loaded record, taken once its many-to-many fields are set, rather
    # than one per field (a rule has eighteen): that is most of a first load's time otherwise.
    obj.skip_history_when_saving = True
    try:
        if changed:
            obj.save()
            existing[natural_key] = obj
        changed = _load_many(section, record, obj, creating, lookups) or changed
        if section.model is CuratorCase:
            changed = _load_expectations(obj, record["expect"], lookups) or changed
    finally:
        del obj.skip_history_when_saving
    if changed:
        obj._change_reason = f"{'Created' if creating else 'Updated'} from the knowledge base file"
        obj.save()
        if creating:
            latest = obj.history.latest("history_id")
            obj.history.filter(history_id=latest.history_id).update(history_type="+")
    if creating:
        return "created"
    return "updated" if changed else "unchanged"


def _load_many(section: Section, record: dict, obj, creating: bool, lookups: _Lookups) -> bool:
    changed = False
    for path, (attr, model, key_field) in section.many.items():
        values = _get_path(record, path)
        if not isinstance(values, list):
            raise KnowledgeBaseError(f"{path} must be a list")
        wanted = {lookups.resolve(model, key_field, value, path) for value in values}
        manager = getattr(obj, attr)
        current = set() if creating else {item.pk for item in manager.all()}
        if wanted != current:
            manager.set(wanted)
            changed = True
    return changed


def _scalar(value):
    # YAML reads ISO dates as dates already; anything else is stored as given and validated by
    # the model's full_clean.
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


def _load_expectations(case: CuratorCase, rows, lookups: _Lookups) -> bool:
    if not isinstance(rows, list):
        raise KnowledgeBaseError("expect must be a list")
    normalised = []
    for position, row in enumerate(rows):
        if not isinstance(row, dict) or set(row) != set(EXPECTATION_FIELDS):
            raise KnowledgeBaseError(
                f"expect[{position}] must have exactly the fields {', '.join(EXPECTATION_FIELDS)}"
            )
        normalised.append(
            {
                "outcome": row["outcome"],
                "kind": row["kind"],
                "drug": row["drug"] or None,
                "note_id": row["note_id"] or "",
                "level": row["level"] or "",
                "severity": row["severity"] or "",
            }
        )
    normalised.sort(key=_expectation_order)
    current = _expectations(case) if case.pk else []
    if normalised == current:
        return False
    case.expectations.all().delete()
    for position, row in enumerate(normalised):
        drug = row["drug"]
        expectation = Expectation(
            case=case,
            outcome=row["outcome"],
            kind=row["kind"],
            drug_id=lookups.resolve(Drug, "slug", drug, f"expect[{position}].drug")
            if drug
            else None,
            note_id=row["note_id"],
            level=row["level"],
            severity=row["severity"],
        )
        try:
            expectation.full_clean(exclude=["case"])
        except ValidationError as error:
            raise KnowledgeBaseError(f"expect[{position}]: {_messages(error)}") from error
        expectation.save()
    return True
