"""The shipped knowledge base file: export every curated record, check a file, load it back.

The file format is described in docs/knowledge-base.md. One table, `SECTIONS`, says how each
section maps onto a model, so export, check and load cannot drift apart. `export_data` is the one
serialiser of curated content: the file is written from it and every release payload is built
from it (`decision.releases.payload_from`).

A file is checked whole without the database before anything is written (`check_data`): its
sections and fields, every value against the model field it fills, every reference against the
file's own records. Loading is then one transaction that creates or updates what differs.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from simple_history.utils import bulk_create_with_history

from decision.models import (
    CITATIONS,
    CONDITION_TARGETS,
    Condition,
    ConditionGroup,
    CuratorCase,
    Expectation,
    Rule,
)
from evidence.models import (
    ClinicalCode,
    CodePairing,
    Combination,
    Conflict,
    Drug,
    DrugClass,
    DrugProperty,
    Finding,
    MedicinalProduct,
    ObservationCriterion,
    PainType,
    PatientFactor,
    SafetyConcern,
    Source,
)

FORMAT = 1
DEFAULT_PATH = Path(__file__).resolve().parent / "knowledge_base.yaml"
CURATED = ("status", "last_reviewed", "review_due")


class KnowledgeBaseError(Exception):
    """The file cannot be loaded; the message names the record and the problem."""


@dataclass(frozen=True)
class Ref:
    """A reference to records of another section by their natural key (a slug or a key)."""

    attr: str  # the model's field
    model: type
    key_field: str


def _slug(attr: str, model: type) -> Ref:
    return Ref(attr, model, "slug")


def _key(attr: str, model: type) -> Ref:
    return Ref(attr, model, "key")


class Conditions:
    """A rule's condition rows as the file spells them: `when.<group>.<part>` lists of slugs."""

    refs = {
        f"when.{group}.{part}": Ref(target, Condition._meta.get_field(target).related_model, "slug")
        for group in ConditionGroup.values
        for part, target in CONDITION_TARGETS.items()
    }
    prefetch = tuple(f"conditions__{target}" for target in CONDITION_TARGETS.values())

    @staticmethod
    def rows(rule: Rule) -> dict[str, list[str]]:
        lists: dict[str, list[str]] = {path: [] for path in Conditions.refs}
        for condition in rule.conditions.all():
            lists[f"when.{condition.group}.{condition.part}"].append(condition.target.slug)
        return {path: sorted(slugs) for path, slugs in lists.items()}

    @staticmethod
    def load(rule: Rule, record: dict, lookups: _Lookups, creating: bool) -> bool:
        wanted = set()
        for path, ref in Conditions.refs.items():
            group = path.split(".")[1]
            for slug in _get_path(record, path):
                wanted.add((group, ref.attr, lookups.resolve(ref, slug, path)))
        current = set()
        if not creating:
            current = {
                (c.group, CONDITION_TARGETS[c.part], getattr(c, f"{CONDITION_TARGETS[c.part]}_id"))
                for c in rule.conditions.all()
            }
        if wanted == current:
            return False
        rule.conditions.all().delete()
        rows = [
            Condition(rule=rule, group=group, **{f"{attr}_id": pk})
            for group, attr, pk in sorted(wanted)
        ]
        bulk_create_with_history(rows, Condition)
        return True


EXPECTATION_FIELDS = ("outcome", "kind", "drug", "note_id", "level", "severity")


class Expectations:
    """A curator test case's expectations: the file's `expect` list of fixed-field mappings."""

    refs = {"expect.drug": _slug("drug", Drug)}
    prefetch = ("expectations__drug",)

    @staticmethod
    def rows(case: CuratorCase) -> dict[str, list[dict]]:
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
        return {"expect": sorted(rows, key=_expectation_order)}

    @staticmethod
    def normalised(rows) -> list[dict]:
        if not isinstance(rows, list):
            raise KnowledgeBaseError("expect must be a list")
        normalised = []
        for position, row in enumerate(rows):
            if not isinstance(row, dict) or set(row) != set(EXPECTATION_FIELDS):
                raise KnowledgeBaseError(
                    f"expect[{position}] must have exactly the fields "
                    f"{', '.join(EXPECTATION_FIELDS)}"
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
        return sorted(normalised, key=_expectation_order)

    @staticmethod
    def check(record: dict, known: _Known) -> None:
        for position, row in enumerate(Expectations.normalised(record["expect"])):
            for name in ("outcome", "kind", "note_id", "level", "severity"):
                _clean(Expectation, name, row[name], f"expect[{position}]")
            if row["drug"] is not None:
                known.require(Expectations.refs["expect.drug"], row["drug"])

    @staticmethod
    def load(case: CuratorCase, record: dict, lookups: _Lookups, creating: bool) -> bool:
        wanted = Expectations.normalised(record["expect"])
        if not creating and wanted == Expectations.rows(case)["expect"]:
            return False
        case.expectations.all().delete()
        ref = Expectations.refs["expect.drug"]
        rows = [
            Expectation(
                case=case,
                outcome=row["outcome"],
                kind=row["kind"],
                drug_id=lookups.resolve(ref, row["drug"], "expect.drug") if row["drug"] else None,
                note_id=row["note_id"],
                level=row["level"],
                severity=row["severity"],
            )
            for row in wanted
        ]
        bulk_create_with_history(rows, Expectation)
        return True


def _expectation_order(row: dict) -> tuple:
    return tuple(row[name] or "" for name in EXPECTATION_FIELDS)


@dataclass(frozen=True)
class Section:
    name: str
    model: type
    key: tuple[str, ...]
    scalars: tuple[str, ...]
    foreign_keys: dict[str, Ref] = field(default_factory=dict)  # file path -> reference
    many: dict[str, Ref] = field(default_factory=dict)
    nested: Conditions | Expectations | None = None

    def queryset(self):
        """Every record, with what export and load read of it fetched up front."""
        related = [ref.attr for ref in self.many.values()]
        if self.nested is not None:
            related += self.nested.prefetch
        return (
            self.model.objects.order_by(*self.key)
            .select_related(*(ref.attr for ref in self.foreign_keys.values()))
            .prefetch_related(*related)
        )

    def paths(self) -> set[str]:
        paths = {*self.scalars, *self.foreign_keys, *self.many}
        if isinstance(self.nested, Conditions):
            paths |= set(Conditions.refs)
        elif isinstance(self.nested, Expectations):
            paths.add("expect")
        return paths


VOCABULARY = ("slug", "name", "description")
CITED = {
    "findings": Finding,
    "safety": SafetyConcern,
    "combinations": Combination,
    "conflicts": Conflict,
    "sources": Source,
}
SECTIONS = (
    Section("pain_types", PainType, ("slug",), VOCABULARY),
    Section("drug_classes", DrugClass, ("slug",), VOCABULARY),
    Section("drug_properties", DrugProperty, ("slug",), VOCABULARY),
    Section("patient_factors", PatientFactor, ("slug",), (*VOCABULARY, "nothing_known")),
    Section(
        "drugs",
        Drug,
        ("slug",),
        (*VOCABULARY, "nothing_known"),
        many={
            "classes": _slug("classes", DrugClass),
            "properties": _slug("properties", DrugProperty),
        },
    ),
    Section(
        "clinical_codes",
        ClinicalCode,
        ("system", "code"),
        ("system", "code", "display", "verified", "note"),
        many={
            "pain_types": _slug("pain_types", PainType),
            "drugs": _slug("drugs", Drug),
            "factors": _slug("factors", PatientFactor),
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
    # What the CDS Hooks service reads codes with (docs/cds-hooks.md): codes that name a pain
    # type only as a pair, products and their ingredients, measurements that show a factor.
    Section(
        "code_pairings",
        CodePairing,
        ("key",),
        ("key", "system", "codes", "partner_codes", "verified", "note"),
        foreign_keys={"pain_type": _slug("pain_type", PainType)},
    ),
    Section(
        "medicinal_products",
        MedicinalProduct,
        ("key",),
        ("key", "name", "rxnorm", "verified", "note"),
        many={"ingredients": _slug("ingredients", Drug), "sources": _key("sources", Source)},
    ),
    Section(
        "observation_criteria",
        ObservationCriterion,
        ("key",),
        (
            "key",
            "measurement",
            "system",
            "codes",
            "unit",
            "at_least",
            "at_most",
            "below",
            "max_age_days",
            "verified",
            "note",
        ),
        foreign_keys={"factor": _slug("factor", PatientFactor)},
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
        foreign_keys={"drug": _slug("drug", Drug), "pain_type": _slug("pain_type", PainType)},
        many={"sources": _key("sources", Source)},
    ),
    Section(
        "safety_concerns",
        SafetyConcern,
        ("key",),
        ("key", "product", "concern", "applies_when", "severity", "summary", *CURATED),
        foreign_keys={"drug": _slug("drug", Drug)},
        many={
            "sources": _key("sources", Source),
            "trigger_factors": _slug("trigger_factors", PatientFactor),
            "trigger_drugs": _slug("trigger_drugs", Drug),
            "trigger_classes": _slug("trigger_classes", DrugClass),
            "trigger_properties": _slug("trigger_properties", DrugProperty),
        },
    ),
    Section(
        "combinations",
        Combination,
        ("key",),
        ("key", "product", "partner", "direction", "summary", *CURATED),
        foreign_keys={"nmdar_drug": _slug("nmdar_drug", Drug)},
        many={
            "partner_drugs": _slug("partner_drugs", Drug),
            "partner_classes": _slug("partner_classes", DrugClass),
            "partner_properties": _slug("partner_properties", DrugProperty),
            "sources": _key("sources", Source),
            "related_safety": _key("related_safety", SafetyConcern),
        },
    ),
    Section(
        "conflicts",
        Conflict,
        ("key",),
        ("key", "topic", "summary", *CURATED),
        many={
            "pain_types": _slug("pain_types", PainType),
            "drugs": _slug("drugs", Drug),
            "sources": _key("sources", Source),
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
            "level_reason",
            "curator_notes",
            *CURATED,
        ),
        foreign_keys={"drug": _slug("drug", Drug)},
        many={
            "when.pain_types": _slug("pain_types", PainType),
            **{
                f"cites.{section}": _key(attr, CITED[section])
                for section, attr in CITATIONS.items()
            },
        },
        nested=Conditions(),
    ),
    Section(
        "test_cases",
        CuratorCase,
        ("key",),
        ("key", "title", "description", *CURATED),
        foreign_keys={"pain_type": _slug("pain_type", PainType)},
        many={
            "analgesics": _slug("analgesics", Drug),
            "factors": _slug("factors", PatientFactor),
        },
        nested=Expectations(),
    ),
)
SECTION_OF_MODEL = {section.model: section for section in SECTIONS}


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
    """Every record of every section as plain data, in key order: the file, and what releases
    are built from."""
    data: dict = {"format": FORMAT}
    for section in SECTIONS:
        records = []
        for obj in section.queryset():
            record: dict = {name: getattr(obj, name) for name in section.scalars}
            for path, ref in section.foreign_keys.items():
                target = getattr(obj, ref.attr)
                _set_path(record, path, getattr(target, ref.key_field) if target else None)
            for path, ref in section.many.items():
                values = sorted(
                    getattr(item, ref.key_field) for item in getattr(obj, ref.attr).all()
                )
                _set_path(record, path, values)
            if section.nested is not None:
                for path, value in section.nested.rows(obj).items():
                    _set_path(record, path, value)
            records.append(record)
        data[section.name] = records
    return data


def dump(data: dict) -> str:
    return yaml.safe_dump(
        data, sort_keys=True, allow_unicode=True, width=100, default_flow_style=False
    )


def export_knowledge_base(path: Path = DEFAULT_PATH) -> dict:
    data = export_data()
    Path(path).write_text(dump(data), encoding="utf-8")
    return {section.name: len(data[section.name]) for section in SECTIONS}


# --- Reading and checking a file, without the database ---------------------------------------


def read_file(path: Path) -> dict:
    """The file parsed and checked whole (`check_data`); raises `KnowledgeBaseError`."""
    try:
        text = Path(path).read_text(encoding="utf-8")
    except OSError as error:
        raise KnowledgeBaseError(f"cannot read {path}: {error.strerror}") from error
    try:
        # libyaml's loader when present: ten times faster, same result as the pure one.
        data = yaml.load(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))  # noqa: S506
    except yaml.YAMLError as error:
        raise KnowledgeBaseError(f"{path} is not valid YAML: {error}") from error
    try:
        check_data(data)
    except KnowledgeBaseError as error:
        raise KnowledgeBaseError(f"{path}: {error}") from error
    return data


class _Known:
    """The natural keys each section of the file defines: what its references may name."""

    def __init__(self, data: dict):
        self._keys: dict[tuple[type, str], set] = {}
        for section in SECTIONS:
            for name in ("slug", "key"):
                if name in section.key:
                    self._keys[(section.model, name)] = {
                        record.get(name)
                        for record in data[section.name]
                        if isinstance(record, dict)
                    }

    def require(self, ref: Ref, value) -> None:
        if not isinstance(value, str) or value not in self._keys[(ref.model, ref.key_field)]:
            raise KnowledgeBaseError(f"unknown {ref.model._meta.verbose_name} '{value}'")


def check_data(data) -> None:
    """Raise `KnowledgeBaseError` naming the first problem of the file's data, if it has one."""
    if not isinstance(data, dict):
        raise KnowledgeBaseError("the file must hold a mapping of sections")
    if data.get("format") != FORMAT:
        raise KnowledgeBaseError(f"unsupported format {data.get('format')!r}; expected {FORMAT}")
    expected = {"format", *(section.name for section in SECTIONS)}
    missing, unknown = sorted(expected - data.keys()), sorted(data.keys() - expected)
    if missing or unknown:
        raise KnowledgeBaseError(
            f"missing sections {missing or 'none'}, unknown sections {unknown or 'none'}"
        )
    for section in SECTIONS:
        if not isinstance(data[section.name], list):
            raise KnowledgeBaseError(f"{section.name} must be a list")
    known = _Known(data)
    for section in SECTIONS:
        seen = set()
        for index, record in enumerate(data[section.name]):
            label = _label(section, index, record)
            try:
                _check_record(section, record, known)
                natural_key = tuple(record[name] for name in section.key)
                if natural_key in seen:
                    raise KnowledgeBaseError(f"appears twice in {section.name}")
                seen.add(natural_key)
            except KnowledgeBaseError as error:
                raise KnowledgeBaseError(f"{label}: {error}") from error


def _check_record(section: Section, record, known: _Known) -> None:
    if not isinstance(record, dict):
        raise KnowledgeBaseError("must be a mapping of fields")
    expected, present = section.paths(), _flatten(record)
    if missing := sorted(expected - present):
        raise KnowledgeBaseError(f"missing field(s) {', '.join(missing)}")
    if unknown := sorted(present - expected):
        raise KnowledgeBaseError(f"unknown field(s) {', '.join(unknown)}")
    for name in section.scalars:
        _clean(section.model, name, _scalar(record[name]))
    for path, ref in section.foreign_keys.items():
        if record[path] is not None:
            known.require(ref, record[path])
    many = dict(section.many)
    if isinstance(section.nested, Conditions):
        many |= Conditions.refs
    for path, ref in many.items():
        values = _get_path(record, path)
        if not isinstance(values, list):
            raise KnowledgeBaseError(f"{path} must be a list")
        for value in values:
            known.require(ref, value)
    if isinstance(section.nested, Expectations):
        Expectations.check(record, known)


def _clean(model: type, name: str, value, where: str = "") -> None:
    try:
        model._meta.get_field(name).clean(value, None)
    except ValidationError as error:
        prefix = f"{where}: " if where else ""
        raise KnowledgeBaseError(f"{prefix}{name}: {' '.join(error.messages)}") from error


def _label(section: Section, index: int, record) -> str:
    if isinstance(record, dict):
        key = " ".join(str(record.get(name, "?")) for name in section.key)
        return f"{section.name}[{index}] {key}"
    return f"{section.name}[{index}]"


def _flatten(record: dict, prefix: str = "") -> set[str]:
    paths = set()
    for name, value in record.items():
        path = f"{prefix}{name}"
        if isinstance(value, dict):
            paths |= _flatten(value, f"{path}.")
        else:
            paths.add(path)
    return paths


def _scalar(value):
    # YAML reads ISO dates as dates already; a timestamp keeps its date.
    if isinstance(value, datetime.datetime):
        return value.date()
    return value


# --- Loading ----------------------------------------------------------------------------------


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


def load_data(data: dict) -> LoadSummary:
    """Create or update every record of checked `data` (`read_file`) in one transaction."""
    check_data(data)
    summary = LoadSummary()
    with transaction.atomic():
        for section in SECTIONS:
            _load_section(section, data[section.name], summary)
    return summary


class _Lookups:
    """Natural key -> primary key for related models, refreshed as rows appear."""

    def __init__(self):
        self._maps: dict[tuple[type, str], dict] = {}

    def resolve(self, ref: Ref, value, what: str):
        mapping = self._maps.get((ref.model, ref.key_field))
        if mapping is None or value not in mapping:
            mapping = dict(ref.model.objects.values_list(ref.key_field, "pk"))
            self._maps[(ref.model, ref.key_field)] = mapping
        if value not in mapping:
            raise KnowledgeBaseError(f"unknown {what} '{value}'")
        return mapping[value]


def _load_section(section: Section, records: list, summary: LoadSummary) -> None:
    lookups = _Lookups()
    existing = {
        tuple(getattr(obj, name) for name in section.key): obj for obj in section.queryset()
    }
    counts = {"created": 0, "updated": 0, "unchanged": 0}
    for index, record in enumerate(records):
        try:
            outcome = _load_record(section, record, existing, lookups)
        except DatabaseError as error:
            label = _label(section, index, record)
            raise KnowledgeBaseError(f"{label}: rejected by the database: {error}") from error
        counts[outcome] += 1
    summary.created[section.name] = counts["created"]
    summary.updated[section.name] = counts["updated"]
    summary.unchanged[section.name] = counts["unchanged"]


def _load_record(section: Section, record: dict, existing: dict, lookups: _Lookups) -> str:
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
    for path, ref in section.foreign_keys.items():
        value = record[path]
        target_id = None if value is None else lookups.resolve(ref, value, path)
        if getattr(obj, f"{ref.attr}_id") != target_id:
            setattr(obj, f"{ref.attr}_id", target_id)
            changed = True
    # One history entry per loaded record, taken once its related rows are set, rather than
    # one per many-to-many field (simple-history records each `set()` otherwise).
    obj.skip_history_when_saving = True
    try:
        if changed:
            obj.save()
        changed = _load_many(section, record, obj, creating, lookups) or changed
        if section.nested is not None:
            changed = section.nested.load(obj, record, lookups, creating) or changed
    finally:
        del obj.skip_history_when_saving
    if changed:
        obj._change_reason = f"{'Created' if creating else 'Updated'} from the knowledge base file"
        obj.save()
        if creating:
            # The entry above was taken by a second save, so simple-history calls it a change.
            obj.history.filter(history_id=obj.history.latest("history_id").history_id).update(
                history_type="+"
            )
    if creating:
        return "created"
    return "updated" if changed else "unchanged"


def _load_many(section: Section, record: dict, obj, creating: bool, lookups: _Lookups) -> bool:
    changed = False
    for path, ref in section.many.items():
        wanted = {lookups.resolve(ref, value, path) for value in _get_path(record, path)}
        manager = getattr(obj, ref.attr)
        current = set() if creating else {item.pk for item in manager.all()}
        if wanted != current:
            manager.set(wanted)
            changed = True
    return changed
