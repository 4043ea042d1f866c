"""Releases: compile published content, publish it (all or nothing), roll back, serve it.

Curators edit drafts; nothing they do changes live answers until a reviewer publishes. Publishing
compiles every published record into a JSON payload, checks it compiles for the engine, runs every
published curator test case against it, and only then stores an immutable `Release` and makes it
active. Each process keeps the active release compiled in memory (`active_release`) and learns of
a newer one through a shared cache key or, failing that, a short time-to-live.
"""

from __future__ import annotations

import functools
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

from decision.audit import AuditReport, audit
from decision.audit import Finding as AuditFinding
from decision.cases import CaseResult, CaseSpec, Expect, run_cases
from decision.engine import CompiledRelease, Inputs, ReleaseError
from decision.knowledge_base import export_data
from decision.models import Activation, ActivationReason, Release
from evidence.citations import vancouver_citation
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
    audit: AuditReport | None = None
    digest: str = ""
    changelog: str = ""

    @property
    def failures(self) -> list[CaseResult]:
        return [result for result in self.results if not result.passed]

    @property
    def blocking(self) -> list[AuditFinding]:
        return self.audit.blocking if self.audit else []

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


def payload_from(data: dict) -> dict:
    """The release payload of knowledge-base data (`export_data`, or a file): its published
    records, in the form the engine compiles, in key order. Pure: no database.

    Raises `ReleaseError` naming every published record that cites an unpublished one.
    """

    def published(section: str) -> list[dict]:
        return [record for record in data[section] if record["status"] == Status.PUBLISHED]

    drug_names = {drug["slug"]: drug["name"] for drug in data["drugs"]}
    pain_names = {pain["slug"]: pain["name"] for pain in data["pain_types"]}
    published_sources = {source["key"]: source for source in published("sources")}
    problems: list[str] = []

    def cited_sources(owner: str, keys: list[str]) -> list[str]:
        for key in keys:
            if key not in published_sources:
                problems.append(f"{owner} cites source '{key}', which is not published")
        if not keys:
            problems.append(f"{owner} is published but cites no source")
        return keys

    findings = {}
    for finding in published("findings"):
        subject = drug_names[finding["drug"]] if finding["drug"] else "NMDA-receptor antagonists"
        product = f" ({finding['product']})" if finding["product"] else ""
        findings[finding["key"]] = {
            "title": f"{subject} in {pain_names[finding['pain_type']]}{product}",
            **{
                name: finding[name]
                for name in (
                    "drug",
                    "product",
                    "pain_type",
                    "condition_scope",
                    "population",
                    "direction",
                    "certainty",
                    "certainty_reason",
                    "summary",
                )
            },
            "sources": cited_sources(f"finding {finding['key']}", finding["sources"]),
        }
    safety = {}
    for concern in published("safety_concerns"):
        product = f" ({concern['product']})" if concern["product"] else ""
        safety[concern["key"]] = {
            "title": f"{drug_names[concern['drug']]}{product}: {concern['concern']}",
            "drug": concern["drug"],
            "severity": concern["severity"],
            "summary": concern["summary"],
            "sources": cited_sources(f"safety concern {concern['key']}", concern["sources"]),
        }
    combinations = {}
    for combination in published("combinations"):
        combinations[combination["key"]] = {
            "title": f"{drug_names[combination['nmdar_drug']]} with {combination['partner']}",
            "drug": combination["nmdar_drug"],
            "direction": combination["direction"],
            "summary": combination["summary"],
            "related_safety": combination["related_safety"],
            "sources": cited_sources(f"combination {combination['key']}", combination["sources"]),
        }
    conflicts = {}
    for conflict in published("conflicts"):
        conflicts[conflict["key"]] = {
            "title": conflict["topic"],
            "summary": conflict["summary"],
            "sources": cited_sources(f"conflict {conflict['key']}", conflict["sources"]),
        }
    cited_records = {
        "findings": findings,
        "safety": safety,
        "combinations": combinations,
        "conflicts": conflicts,
        "sources": published_sources,
    }
    rules = []
    for rule in published("rules"):
        for section, keys in rule["cites"].items():
            drafts = [key for key in keys if key not in cited_records[section]]
            if drafts:
                problems.append(
                    f"rule {rule['key']} cites unpublished {section}: {', '.join(drafts)}"
                )
        rules.append({name: rule[name] for name in RULE_FIELDS})
    if problems:
        raise ReleaseError("; ".join(problems))
    cited_keys = {
        key
        for section in (findings, safety, combinations, conflicts)
        for record in section.values()
        for key in record["sources"]
    } | {key for rule in rules for key in rule["cites"]["sources"]}
    sources = {
        key: {
            "citation": vancouver_citation(
                **{name: source[name] or "" for name in CITATION_PARTS}, year=source["year"]
            ),
            "pmid": source["pmid"],
            "doi": source["doi"],
            "url": source["url"],
            "study_type": source["study_type"],
            "year": source["year"],
            "founding_review": source["is_founding_review"],
        }
        for key, source in published_sources.items()
        if key in cited_keys or source["is_founding_review"]
    }
    return {
        "format": PAYLOAD_FORMAT,
        "vocabulary": {
            section: [
                {name: item[name] for name in VOCABULARY_FIELDS[section]} for item in data[section]
            ]
            for section in VOCABULARY_FIELDS
        },
        "sources": sources,
        "findings": findings,
        "safety": safety,
        "combinations": combinations,
        "conflicts": conflicts,
        "rules": rules,
        **_coding(data),
    }


def _coding(data: dict) -> dict:
    """What the CDS Hooks service reads a health record with, verified entries only: the codes
    naming a term, pairings of codes, products with their ingredients, and measurements that
    show a factor. Unverified pairings are kept (flagged) because their codes never name a pain
    type alone, whether or not the pairing itself may be used yet."""
    codes = {
        f"{code['system']}:{code['code']}": {
            name: code[name]
            for name in ("system", "code", "display", "pain_types", "drugs", "factors")
        }
        for code in data["clinical_codes"]
        if code["verified"] and (code["pain_types"] or code["drugs"] or code["factors"])
    }
    pairings = {
        pairing["key"]: {
            name: pairing[name]
            for name in ("pain_type", "system", "codes", "partner_codes", "verified")
        }
        for pairing in data["code_pairings"]
    }
    products = {
        product["key"]: {name: product[name] for name in ("name", "rxnorm", "ingredients")}
        for product in data["medicinal_products"]
        if product["verified"] and product["ingredients"]
    }
    criteria = {
        criterion["key"]: {
            name: criterion[name]
            for name in (
                "factor",
                "measurement",
                "system",
                "codes",
                "unit",
                "at_least",
                "at_most",
                "below",
                "max_age_days",
            )
        }
        for criterion in data["observation_criteria"]
        if criterion["verified"] and criterion["codes"]
    }
    return {
        "codes": codes,
        "code_pairings": pairings,
        "medicinal_products": products,
        "observation_criteria": criteria,
    }


RULE_FIELDS = (
    "key",
    "kind",
    "drug",
    "level",
    "severity",
    "priority",
    "title",
    "text",
    "level_reason",
    "when",
    "cites",
)
CITATION_PARTS = ("authors", "title", "journal", "volume", "issue", "pages")
_TERM = ("slug", "name", "description")
VOCABULARY_FIELDS = {
    "pain_types": _TERM,
    "drug_classes": _TERM,
    "drug_properties": _TERM,
    "patient_factors": (*_TERM, "nothing_known"),
    "drugs": (*_TERM, "classes", "properties", "nothing_known"),
}


def build_payload() -> dict:
    """The payload of everything published now."""
    return payload_from(export_data())


def content_hash(payload: dict) -> str:
    canonical = json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


def case_specs(data: dict, *, published_only: bool = True, keys=None) -> list[CaseSpec]:
    """The curator cases of knowledge-base data (all, or those with `keys`) as engine specs."""
    return [
        CaseSpec(
            key=case["key"],
            title=case["title"],
            inputs=Inputs.build(case["pain_type"], case["analgesics"], case["factors"]),
            expectations=tuple(
                Expect(
                    outcome=row["outcome"],
                    kind=row["kind"],
                    drug=row["drug"] or None,
                    note_id=row["note_id"] or "",
                    level=row["level"] or "",
                    severity=row["severity"] or "",
                )
                for row in case["expect"]
            ),
        )
        for case in data["test_cases"]
        if (not published_only or case["status"] == Status.PUBLISHED)
        and (keys is None or case["key"] in keys)
    ]


@dataclass(frozen=True)
class Candidate:
    """What is curated now, read once: its data, and its published part compiled as a release."""

    data: dict
    payload: dict
    release: CompiledRelease


def candidate(data: dict | None = None) -> Candidate:
    """The published part of `data` (default: the database now) compiled as the engine would
    serve it; raises `ReleaseError` when it does not compile."""
    data = export_data() if data is None else data
    payload = payload_from(data)
    return Candidate(data, payload, CompiledRelease.from_payload(payload, version="candidate"))


# --- Publishing, rollback, changelog --------------------------------------------------------


def plan_release() -> ReleasePlan:
    """Compile what is published now, run every published curator case, describe the change."""
    previous = current_release()
    try:
        curated = candidate()
    except ReleaseError as error:
        return ReleasePlan(previous=previous, error=str(error))
    report = audit(curated.release)
    changelog = describe_changes(previous.payload if previous else None, curated.payload)
    changelog += "\n" + "\n".join(report.figures())
    return ReleasePlan(
        previous=previous,
        payload=curated.payload,
        results=tuple(run_cases(curated.release, case_specs(curated.data))),
        audit=report,
        digest=content_hash(curated.payload),
        changelog=changelog,
    )


def publish_release(*, user=None, allow_unchanged: bool = False) -> Release:
    """Compile, test and store a new active release in one transaction, or refuse.

    Raises `PublishRefused` (and changes nothing) when the content does not compile, a curator
    test case fails or the knowledge-base audit has a blocking finding, and `NothingChanged`
    when the content equals the active release's (unless `allow_unchanged`). Either carries the
    plan, so a caller can show why without recomputing. Publishes and rollbacks in other
    processes wait for each other: the second sees the first's release, so it refuses with
    `NothingChanged` instead of storing the same content again.
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
        if plan.blocking:
            named = "; ".join(f"{f.record}: {f.message}" for f in plan.blocking[:10])
            more = len(plan.blocking) - 10
            raise PublishRefused(
                f"The knowledge-base audit found {len(plan.blocking)} blocking problem(s); "
                f"nothing was published. {named}" + (f"; and {more} more." if more > 0 else "."),
                plan,
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
    ("codes", "Clinical codes"),
    ("code_pairings", "Code pairings"),
    ("medicinal_products", "Medicinal products"),
    ("observation_criteria", "Observation criteria"),
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
    # Releases published before the coding sections existed have none.
    return payload.get(section, {})


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
    if old is not None:
        lines += _level_changes(_keyed(old, "rules"), _keyed(new, "rules"))
    if old is not None and len(lines) == 0:
        lines.append("No content changes (republished).")
    return "\n".join(lines)


def _level_changes(before: dict, after: dict) -> list[str]:
    """Every note whose level changed, with the reason curators recorded, if any."""
    lines = []
    for key in sorted(before.keys() & after.keys()):
        old, new = before[key]["level"], after[key]["level"]
        if old and new and old != new:
            reason = after[key].get("level_reason", "")
            lines.append(f"Level of {key}: {old} → {new}" + (f" ({reason})" if reason else "."))
    return lines


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


def compiled_release(release_id: int) -> CompiledRelease:
    """Any release, compiled; releases never change, so each process compiles one only once.

    The active release comes from memory; an older one (a stored assessment's) costs one query
    the first time, and the few most recent stay cached.
    """
    active = _memory.release
    if active is not None and active.id == release_id:
        return active
    # Releases made active come from here too, so a rollback to a recent one compiles nothing.
    return _compiled_by_id(release_id)


@functools.lru_cache(maxsize=8)
def _compiled_by_id(release_id: int) -> CompiledRelease:
    return compile_release(Release.objects.get(pk=release_id))


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
        _compiled_by_id.cache_clear()
    cache.delete(CACHE_KEY)
