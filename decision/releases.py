"""Releases: compile published content, publish it (all or nothing), roll back, serve it.

Curators edit drafts; nothing they do changes live answers until a reviewer publishes. Publishing
compiles every published record into a JSON payload, checks it compiles for the engine, runs every
published curator test case against it, and only then stores an immutable `Release` and makes it
active. Each process keeps the active release compiled in memory (`active_release`) and learns of
a newer one through a shared cache key or, failing that, a short time-to-live.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models import Subquery
from django.utils import timezone

from decision.cases import CaseResult, CaseSpec, Expect, run_cases
from decision.engine import PARTS, CompiledRelease, Inputs, ReleaseError
from decision.memo import BoundedMemo
from decision.models import (
    CITATION_FIELDS,
    CITATIONS,
    CONDITION_FIELDS,
    CONDITION_GROUPS,
    Activation,
    ActivationReason,
    CuratorCase,
    Release,
    Rule,
)
from evidence import selectors
from evidence.models import Status
from ops.locks import lock_transaction

PAYLOAD_FORMAT = 1
CACHE_KEY = "decision:active-release:activation"
PUBLISHING_LOCK = "decision.releases: publish or roll back"


@dataclass(frozen=True)
class ReleasePlan:
    """What publishing now would do, worked out once: the admin previews it, publishing acts."""

    previous: Release | None
    payload: dict | None = None
    error: str = ""  # why the published content does not compile, if it does not
    results: tuple[CaseResult, ...] = ()
    digest: str = ""
    changelog: str = ""

    @property
    def failures(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    @property
    def unchanged(self) -> bool:
        return self.previous is not None and self.previous.content_hash == self.digest


class PublishRefused(Exception):
    """Publishing would give a broken or failing release; nothing was changed."""

    def __init__(self, message: str, plan: ReleasePlan | None = None):
        super().__init__(message)
        self.plan = plan

    @property
    def failures(self) -> list[CaseResult]:
        return self.plan.failures if self.plan else []


class NothingChanged(PublishRefused):
    """The published content is identical to the active release."""


class AlreadyActive(ValueError):
    """The release asked to be made active again is the active one."""


# --- Compiling published content into a payload ------------------------------------------------


def build_payload() -> dict:
    """Every published record as plain JSON, in key order: what a release stores."""
    drug_names = {drug.slug: drug.name for drug in selectors.drugs()}
    pain_names = {pain.slug: pain.name for pain in selectors.pain_types()}
    published_sources = {source.key: source for source in selectors.sources(published_only=True)}
    problems: list[str] = []

    def cited_sources(owner: str, keys: list[str]) -> list[str]:
        for key in keys:
            if key not in published_sources:
                problems.append(f"{owner} cites source '{key}', which is not published")
        if not keys:
            problems.append(f"{owner} is published but cites no source")
        return keys

    findings = {}
    for finding in selectors.findings(published_only=True):
        subject = drug_names[finding.drug.slug] if finding.drug else "NMDA-receptor antagonists"
        findings[finding.key] = {
            "title": f"{subject} in {pain_names[finding.pain_type.slug]}"
            + (f" ({finding.product})" if finding.product else ""),
            "drug": finding.drug.slug if finding.drug else None,
            "product": finding.product,
            "pain_type": finding.pain_type.slug,
            "condition_scope": finding.condition_scope,
            "population": finding.population,
            "direction": finding.direction,
            "certainty": finding.certainty,
            "certainty_reason": finding.certainty_reason,
            "summary": finding.summary,
            "sources": cited_sources(f"finding {finding.key}", selectors.keys(finding.sources)),
        }
    safety = {}
    for concern in selectors.safety_concerns(published_only=True):
        product = f" ({concern.product})" if concern.product else ""
        safety[concern.key] = {
            "title": f"{drug_names[concern.drug.slug]}{product}: {concern.concern}",
            "drug": concern.drug.slug,
            "severity": concern.severity,
            "summary": concern.summary,
            "sources": cited_sources(
                f"safety concern {concern.key}", selectors.keys(concern.sources)
            ),
        }
    combinations = {}
    for combination in selectors.combinations(published_only=True):
        combinations[combination.key] = {
            "title": f"{drug_names[combination.nmdar_drug.slug]} with {combination.partner}",
            "drug": combination.nmdar_drug.slug,
            "direction": combination.direction,
            "summary": combination.summary,
            "sources": cited_sources(
                f"combination {combination.key}", selectors.keys(combination.sources)
            ),
        }
    conflicts = {}
    for conflict in selectors.conflicts(published_only=True):
        conflicts[conflict.key] = {
            "title": conflict.topic,
            "summary": conflict.summary,
            "sources": cited_sources(f"conflict {conflict.key}", selectors.keys(conflict.sources)),
        }
    cited_keys = {
        key
        for section in (findings, safety, combinations, conflicts)
        for record in section.values()
        for key in record["sources"]
    }
    rules = [_rule_payload(rule) for rule in _published_rules()]
    cited_keys |= {key for rule in rules for key in rule["cites"]["sources"]}
    sources = {
        key: {
            "citation": source.citation(),
            "pmid": source.pmid,
            "doi": source.doi,
            "url": source.url,
            "study_type": source.study_type,
            "year": source.year,
            "founding_review": source.is_founding_review,
        }
        for key, source in published_sources.items()
        if key in cited_keys or source.is_founding_review
    }
    if problems:
        raise ReleaseError("; ".join(problems))
    return {
        "format": PAYLOAD_FORMAT,
        "vocabulary": _vocabulary_payload(),
        "sources": sources,
        "findings": findings,
        "safety": safety,
        "combinations": combinations,
        "conflicts": conflicts,
        "rules": rules,
    }


def _vocabulary_payload() -> dict:
    def term(item) -> dict:
        return {"slug": item.slug, "name": item.name, "description": item.description}

    return {
        "pain_types": [term(item) for item in selectors.pain_types()],
        "drug_classes": [term(item) for item in selectors.drug_classes()],
        "drug_properties": [term(item) for item in selectors.drug_properties()],
        "patient_factors": [term(item) for item in selectors.patient_factors()],
        "drugs": [
            {
                **term(drug),
                "classes": selectors.slugs(drug.classes),
                "properties": selectors.slugs(drug.properties),
            }
            for drug in selectors.drugs()
        ],
    }


def _published_rules():
    return (
        Rule.objects.filter(status=Status.PUBLISHED)
        .select_related("drug")
        .prefetch_related(*CONDITION_FIELDS, *CITATION_FIELDS)
        .order_by("key")
    )


def _rule_payload(rule: Rule) -> dict:
    def slug_list(field: str) -> list[str]:
        return sorted(item.slug for item in getattr(rule, field).all())

    cites = {}
    for section, field in CITATIONS.items():
        cited = sorted(getattr(rule, field).all(), key=lambda record: record.key)
        drafts = [record.key for record in cited if record.status != Status.PUBLISHED]
        if drafts:
            raise ReleaseError(f"rule {rule.key} cites unpublished {section}: {', '.join(drafts)}")
        cites[section] = [record.key for record in cited]
    return {
        "key": rule.key,
        "kind": rule.kind,
        "drug": rule.drug.slug if rule.drug else None,
        "level": rule.level,
        "severity": rule.severity,
        "priority": rule.priority,
        "title": rule.title,
        "text": rule.text,
        "when": {
            "pain_types": slug_list("pain_types"),
            **{
                group: {part: slug_list(f"{group}_{part}") for part in PARTS}
                for group in CONDITION_GROUPS
            },
        },
        "cites": cites,
    }


def content_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_specs(cases=None, *, published_only: bool = True) -> list[CaseSpec]:
    """The curator cases (all, or those of a queryset) as the engine-side specs that run."""
    cases = CuratorCase.objects.all() if cases is None else cases
    if published_only:
        cases = cases.filter(status=Status.PUBLISHED)
    cases = (
        cases.order_by("key")
        .select_related("pain_type")
        .prefetch_related("analgesics", "factors", "expectations__drug")
    )
    return [case_spec(case) for case in cases]


def case_spec(case: CuratorCase) -> CaseSpec:
    return CaseSpec(
        key=case.key,
        title=case.title,
        inputs=Inputs.build(
            case.pain_type.slug,
            [drug.slug for drug in case.analgesics.all()],
            [factor.slug for factor in case.factors.all()],
        ),
        expectations=tuple(
            Expect(
                outcome=expectation.outcome,
                kind=expectation.kind,
                drug=expectation.drug.slug if expectation.drug else None,
                note_id=expectation.note_id,
                level=expectation.level,
                severity=expectation.severity,
            )
            for expectation in case.expectations.all()
        ),
    )


def compile_candidate() -> tuple[dict, CompiledRelease]:
    """The payload of what is published now, compiled as the engine would serve it."""
    payload = build_payload()
    return payload, CompiledRelease.from_payload(payload, version="candidate")


# --- Publishing, rollback, changelog --------------------------------------------------------


def plan_release() -> ReleasePlan:
    """Compile what is published now, run every published curator case, describe the change."""
    previous = current_release()
    try:
        payload, candidate = compile_candidate()
    except ReleaseError as error:
        return ReleasePlan(previous=previous, error=str(error))
    return ReleasePlan(
        previous=previous,
        payload=payload,
        results=tuple(run_cases(candidate, case_specs())),
        digest=content_hash(payload),
        changelog=describe_changes(previous.payload if previous else None, payload),
    )


def publish_release(*, user=None, allow_unchanged: bool = False) -> Release:
    """Compile, test and store a new active release in one transaction, or refuse.

    Raises `PublishRefused` (and changes nothing) when the content does not compile or a curator
    test case fails, and `NothingChanged` when the content equals the active release's (unless
    `allow_unchanged`). Either carries the plan, so a caller can show why without recomputing.
    Publishes and rollbacks in other processes wait for each other: the second sees the first's
    release, so it refuses with `NothingChanged` instead of storing the same content again.
    """
    with transaction.atomic():
        lock_transaction(PUBLISHING_LOCK)
        plan = plan_release()
        if plan.error:
            raise PublishRefused(f"The published content does not compile: {plan.error}", plan)
        if plan.failures:
            raise PublishRefused(
                f"{len(plan.failures)} curator test case(s) failed; nothing was published.", plan
            )
        if plan.unchanged and not allow_unchanged:
            raise NothingChanged(f"Nothing changed since release {plan.previous.version}.", plan)
        now = timezone.now()
        release = Release.objects.create(
            version=_next_version(now),
            published_at=now,
            published_by=user,
            content_hash=plan.digest,
            changelog=plan.changelog,
            payload=plan.payload,
        )
        activation = Activation.objects.create(
            release=release, activated_by=user, reason=ActivationReason.PUBLISH
        )
        # Robust: the release is committed whatever the cache says; without the announcement
        # other processes learn of it within RELEASE_CHECK_SECONDS.
        transaction.on_commit(lambda: announce(activation.id), robust=True)
    return release


def activate_release(release: Release, *, user=None) -> Activation:
    """Make an earlier release live again (rollback). The release itself is not touched.

    Raises `AlreadyActive` rather than record a rollback that changes nothing, also when
    another process has just made it active.
    """
    with transaction.atomic():
        lock_transaction(PUBLISHING_LOCK)
        if current_release_id() == release.id:
            raise AlreadyActive(f"Release {release.version} is already active.")
        activation = Activation.objects.create(
            release=release, activated_by=user, reason=ActivationReason.ROLLBACK
        )
        transaction.on_commit(lambda: announce(activation.id), robust=True)
    return activation


def current_release() -> Release | None:
    """The active release: the one most recently activated (published or rolled back to)."""
    latest = Activation.objects.order_by("-id").values("release_id")[:1]
    return Release.objects.filter(pk=Subquery(latest)).first()


def current_release_id() -> int | None:
    return Activation.objects.order_by("-id").values_list("release_id", flat=True).first()


def _next_version(now) -> str:
    day = timezone.localtime(now).strftime("%Y.%m.%d")
    taken = Release.objects.filter(version__startswith=f"{day}-").values_list("version", flat=True)
    numbers = [int(version.rsplit("-", 1)[1]) for version in taken]
    return f"{day}-{max(numbers, default=0) + 1}"


CHANGELOG_SECTIONS = (
    ("rules", "Rules"),
    ("findings", "Findings"),
    ("safety", "Safety concerns"),
    ("combinations", "Combinations"),
    ("conflicts", "Conflicts"),
    ("sources", "Sources"),
)
VOCABULARY_SECTIONS = (
    ("pain_types", "Pain types"),
    ("drugs", "Drugs"),
    ("drug_classes", "Drug classes"),
    ("drug_properties", "Drug properties"),
    ("patient_factors", "Patient factors"),
)


def _keyed(payload: dict | None, section: str) -> dict:
    if payload is None:
        return {}
    if section == "rules":
        return {rule["key"]: rule for rule in payload["rules"]}
    if section in payload.get("vocabulary", {}):
        return {item["slug"]: item for item in payload["vocabulary"][section]}
    return payload[section]


def describe_changes(old: dict | None, new: dict) -> str:
    """A plain changelog: per section, which keys were added, changed and removed."""
    lines = []
    if old is None:
        lines.append("First release.")
    for section, label in (*CHANGELOG_SECTIONS, *VOCABULARY_SECTIONS):
        before, after = _keyed(old, section), _keyed(new, section)
        if old is None:
            lines.append(f"{label}: {len(after)}.")
            continue
        added = sorted(after.keys() - before.keys())
        removed = sorted(before.keys() - after.keys())
        changed = sorted(key for key in after.keys() & before.keys() if after[key] != before[key])
        for verb, keys in (("added", added), ("changed", changed), ("removed", removed)):
            if keys:
                lines.append(f"{label} {verb} ({len(keys)}): {', '.join(keys)}.")
    if old is not None and len(lines) == 0:
        lines.append("No content changes (republished).")
    return "\n".join(lines)


# --- The active release, kept compiled in memory --------------------------------------------


@dataclass
class _Memory:
    release: CompiledRelease | None = None
    activation_id: int | None = None  # the activation that made `release` active
    checked_at: float = float("-inf")


_memory = _Memory()
_lock = threading.Lock()


def announce(activation_id: int) -> None:
    """Tell every process (through the shared cache) that a newer activation is in force.

    Only publishing and rollback announce, after their commit, and the announcement does not
    expire. A process that reads the database never announces: its answer may predate a
    commit, and announcing it would hide the newer one from every other process.
    """
    cache.set(CACHE_KEY, activation_id, timeout=None)


def active_release() -> CompiledRelease | None:
    """The active release, compiled. Warm calls cost one cache read and no query.

    A process asks the database again when the shared cache announces a newer activation than
    the one it knows (a publish or rollback elsewhere: seen on the next request), and in any
    case once `RELEASE_CHECK_SECONDS` have passed (with a per-process cache that is how it
    learns; with Redis it bounds a lost announcement).
    """
    known = _memory.release
    if known is not None:
        announced = cache.get(CACHE_KEY)
        fresh = time.monotonic() - _memory.checked_at < settings.RELEASE_CHECK_SECONDS
        if fresh and (announced is None or announced <= _memory.activation_id):
            return known
    with _lock:
        latest = Activation.objects.order_by("-id").values_list("id", "release_id").first()
        if latest is None:
            _memory.release, _memory.activation_id = None, None
        else:
            _memory.activation_id, release_id = latest
            if _memory.release is None or _memory.release.id != release_id:
                _memory.release = compiled_release(release_id)
        _memory.checked_at = time.monotonic()
        return _memory.release


_by_id = BoundedMemo(size=8)


def compiled_release(release_id: int) -> CompiledRelease:
    """Any release, compiled; releases never change, so each process compiles one only once.

    The active release comes from memory; an older one (a stored assessment's) costs one query
    the first time, and the few most recent stay cached.
    """
    active = _memory.release
    if active is not None and active.id == release_id:
        return active
    # Releases made active come from here too, so a rollback to a recent one compiles nothing.
    return _by_id.get(release_id, lambda: compile_release(Release.objects.get(pk=release_id)))


def compile_release(release: Release) -> CompiledRelease:
    return CompiledRelease.from_payload(
        release.payload,
        id=release.id,
        version=release.version,
        published_at=release.published_at,
        content_hash=release.content_hash,
    )


def forget_active_release() -> None:
    """Drop the in-memory release (tests, and after a database restore)."""
    with _lock:
        _memory.release, _memory.activation_id = None, None
        _memory.checked_at = float("-inf")
        _by_id.clear()
    cache.delete(CACHE_KEY)
