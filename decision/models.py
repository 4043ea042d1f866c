"""How the evidence applies to one patient: rules, releases, assessments and curator test cases."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from simple_history.models import HistoricalRecords

from evidence import scales
from evidence.models import (
    NMDAR_ONLY,
    SLUG_PATTERN,
    Combination,
    Conflict,
    CuratedRecord,
    Drug,
    DrugClass,
    DrugProperty,
    Finding,
    PainType,
    PatientFactor,
    SafetyConcern,
    Severity,
    Source,
    one_of,
    scale_choices,
    slug_format,
)


class NoteKind(models.TextChoices):
    SUITABILITY = "suitability", "Suitability"
    COMBINATION = "combination", "Combination"
    CAUTION = "caution", "Caution"
    CONTEXT = "context", "Context"


# How the evidence judges a drug for this pain type, or adding it to a current medicine.
Level = scale_choices("Level", scales.LEVELS)


def _optional_choice(field: str, choices: type[models.TextChoices], name: str):
    return models.CheckConstraint(
        condition=Q(**{field: ""}) | Q(**{f"{field}__in": choices.values}), name=name
    )


class ConditionGroup(models.TextChoices):
    ANY = "any", "Any of"
    ALL = "all", "All of"
    NONE = "none", "None of"


# What a condition can name, as the knowledge-base file and the release payload spell it
# ("when.any.drugs") -> the condition's field.
CONDITION_TARGETS = {
    "drugs": "drug",
    "classes": "drug_class",
    "properties": "drug_property",
    "factors": "factor",
}
# The release payload's section for each kind of citation -> the rule's field.
CITATIONS = {
    "findings": "cited_findings",
    "safety": "cited_safety",
    "combinations": "cited_combinations",
    "conflicts": "cited_conflicts",
    "sources": "cited_sources",
}
CITATION_FIELDS = tuple(CITATIONS.values())


class RulePainType(models.Model):
    """A pain type a rule is limited to. Protects the pain type: deleting it would widen the rule
    to every pain type, so it is refused while a rule names it."""

    rule = models.ForeignKey("decision.Rule", on_delete=models.CASCADE)
    paintype = models.ForeignKey(PainType, on_delete=models.PROTECT, verbose_name="pain type")

    class Meta:
        db_table = "decision_rule_pain_types"
        unique_together = [("rule", "paintype")]
        verbose_name = "rule's pain type"

    def __str__(self) -> str:
        return f"rule {self.rule.key}: pain type {self.paintype}"


class Rule(CuratedRecord):
    """When the inputs match, show a note. Curated in the admin; compiled into releases.

    Conditions left empty are not checked. Medicines match by drug, by class or by property.
    The "any of" lists form one group: one listed medicine or one ticked factor is enough, so
    "this factor or that medicine" is a single rule. "All of" needs every listed item; "none of"
    needs none. See docs/knowledge-base.md.
    """

    key = models.CharField(
        max_length=80,
        unique=True,
        validators=[slug_format],
        help_text="Stable note id, e.g. ketamine-crps-suitability.",
    )
    priority = models.IntegerField(
        default=0,
        help_text="Higher first. For suitability the highest-priority match per drug wins.",
    )
    curator_notes = models.TextField(
        blank=True, help_text="Which evidence this rule encodes and why; not shown to clinicians."
    )

    pain_types = models.ManyToManyField(
        PainType,
        through=RulePainType,
        related_name="rules",
        blank=True,
        help_text="Any of these. Empty: every pain type.",
    )

    kind = models.CharField(max_length=16, choices=NoteKind.choices)
    drug = models.ForeignKey(
        Drug,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rules",
        limit_choices_to=NMDAR_ONLY,
        verbose_name="NMDAR antagonist",
        help_text="The NMDAR antagonist the note is about. Empty only for context notes.",
    )
    level = models.CharField(
        max_length=16,
        choices=Level.choices,
        blank=True,
        help_text="Suitability and combination notes only.",
    )
    severity = models.CharField(
        max_length=16, choices=Severity.choices, blank=True, help_text="Caution notes only."
    )
    title = models.CharField(max_length=200)
    text = models.TextField(help_text="Describe evidence and risk; never instruct or dose.")
    level_reason = models.TextField(
        blank=True,
        verbose_name="why the level differs from the grading rule",
        help_text="Required when the level is not the one the grading rule derives from the "
        "cited findings (docs/grading.md); clinicians see it with the note.",
    )
    cited_findings = models.ManyToManyField(Finding, related_name="rules", blank=True)
    cited_safety = models.ManyToManyField(
        SafetyConcern, related_name="rules", blank=True, verbose_name="cited safety concerns"
    )
    cited_combinations = models.ManyToManyField(Combination, related_name="rules", blank=True)
    cited_conflicts = models.ManyToManyField(Conflict, related_name="rules", blank=True)
    cited_sources = models.ManyToManyField(Source, related_name="rules", blank=True)

    history = HistoricalRecords(
        m2m_fields=[
            pain_types,
            cited_findings,
            cited_safety,
            cited_combinations,
            cited_conflicts,
            cited_sources,
        ]
    )

    class Meta:
        ordering = ["key"]
        constraints = [
            *CuratedRecord.Meta.constraints,
            one_of("kind", NoteKind, "rule_kind_valid"),
            _optional_choice("level", Level, "rule_level_valid"),
            _optional_choice("severity", Severity, "rule_severity_valid"),
            models.CheckConstraint(condition=Q(key__regex=SLUG_PATTERN), name="rule_key_format"),
            models.CheckConstraint(
                condition=(
                    Q(kind__in=["suitability", "combination"], severity="") & ~Q(level="")
                    | Q(kind="caution", level="") & ~Q(severity="")
                    | Q(kind="context", level="", severity="")
                ),
                name="rule_scale_matches_kind",
            ),
            models.CheckConstraint(
                condition=Q(kind="context") | Q(drug__isnull=False),
                name="rule_drug_unless_context",
            ),
        ]

    def __str__(self) -> str:
        return self.key


class Condition(models.Model):
    """One item a rule checks: a drug, drug class or drug property among the patient's current
    medicines, or a ticked patient factor, in one group (any of, all of, none of).

    Targets are protected: deleting a term a rule names would silently drop the condition and
    change what the rule matches (a "none of" would widen it), so it is refused instead.
    """

    rule = models.ForeignKey(Rule, on_delete=models.CASCADE, related_name="conditions")
    group = models.CharField(max_length=4, choices=ConditionGroup.choices)
    drug = models.ForeignKey(
        Drug, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_conditions"
    )
    drug_class = models.ForeignKey(
        DrugClass, null=True, blank=True, on_delete=models.PROTECT, related_name="rule_conditions"
    )
    drug_property = models.ForeignKey(
        DrugProperty,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_conditions",
    )
    factor = models.ForeignKey(
        PatientFactor,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="rule_conditions",
        verbose_name="patient factor",
    )
    history = HistoricalRecords()

    class Meta:
        ordering = ["rule", "group", "id"]
        constraints = [
            one_of("group", ConditionGroup, "condition_group_valid"),
            models.CheckConstraint(
                condition=(
                    Q(drug__isnull=False, drug_class=None, drug_property=None, factor=None)
                    | Q(drug=None, drug_class__isnull=False, drug_property=None, factor=None)
                    | Q(drug=None, drug_class=None, drug_property__isnull=False, factor=None)
                    | Q(drug=None, drug_class=None, drug_property=None, factor__isnull=False)
                ),
                name="condition_one_target",
            ),
            *(
                models.UniqueConstraint(
                    fields=["rule", "group", field],
                    condition=Q(**{f"{field}__isnull": False}),
                    name=f"condition_unique_{field}",
                )
                for field in CONDITION_TARGETS.values()
            ),
        ]

    def __str__(self) -> str:
        return f"rule {self.rule.key}: {self.get_group_display().lower()} {self.target_label}"

    @property
    def part(self) -> str:
        """Which kind of item this condition names ("drugs", "classes", ...)."""
        return next(
            part for part, field in CONDITION_TARGETS.items() if getattr(self, f"{field}_id")
        )

    @property
    def target(self):
        return getattr(self, CONDITION_TARGETS[self.part])

    @property
    def target_label(self) -> str:
        field = self._meta.get_field(CONDITION_TARGETS[self.part])
        return f"{field.verbose_name} {self.target}"


class Release(models.Model):
    """An immutable snapshot of all published evidence and rules, as the engine reads it."""

    version = models.CharField(max_length=32, unique=True)
    published_at = models.DateTimeField()
    published_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    content_hash = models.CharField(max_length=64, help_text="SHA-256 of the compiled content.")
    changelog = models.TextField()
    payload = models.JSONField()

    class Meta:
        ordering = ["-published_at", "-id"]
        get_latest_by = "published_at"

    def __str__(self) -> str:
        return self.version

    def save(self, *args, **kwargs):
        if not self._state.adding:
            raise ValueError("Releases are immutable; publish a new one instead.")
        super().save(*args, **kwargs)


class ActivationReason(models.TextChoices):
    PUBLISH = "publish", "Published"
    ROLLBACK = "rollback", "Made active again"


class Activation(models.Model):
    """Which release is live: the most recent activation wins. Append-only, so rollbacks show."""

    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="activations")
    activated_at = models.DateTimeField(auto_now_add=True)
    activated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    reason = models.CharField(max_length=16, choices=ActivationReason.choices)

    class Meta:
        ordering = ["-id"]
        constraints = [one_of("reason", ActivationReason, "activation_reason_valid")]

    def __str__(self) -> str:
        return f"{self.release} ({self.get_reason_display()} {self.activated_at:%Y-%m-%d %H:%M})"


class Assessment(models.Model):
    """An anonymous snapshot of one answer: inputs, notes and the release that made them.

    Holds no patient identifiers. Never changes after it is stored, whatever is published later.
    """

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    release = models.ForeignKey(Release, on_delete=models.PROTECT, related_name="assessments")
    inputs = models.JSONField()
    notes = models.JSONField()

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return str(self.id)


class CuratorCase(CuratedRecord):
    """A virtual patient and the notes it must and must not get; publishing runs them all."""

    key = models.CharField(max_length=80, unique=True, validators=[slug_format])
    title = models.CharField(max_length=200)
    description = models.TextField(blank=True)
    pain_type = models.ForeignKey(PainType, on_delete=models.PROTECT, related_name="test_cases")
    analgesics = models.ManyToManyField(Drug, related_name="test_cases", blank=True)
    factors = models.ManyToManyField(PatientFactor, related_name="test_cases", blank=True)
    history = HistoricalRecords(m2m_fields=[analgesics, factors])

    class Meta:
        ordering = ["key"]
        verbose_name = "curator test case"
        constraints = [
            *CuratedRecord.Meta.constraints,
            models.CheckConstraint(
                condition=Q(key__regex=SLUG_PATTERN), name="curatorcase_key_format"
            ),
        ]

    def __str__(self) -> str:
        return self.title


class Outcome(models.TextChoices):
    PRESENT = "present", "must appear"
    ABSENT = "absent", "must not appear"


class Expectation(models.Model):
    """One note a test case must get (or must not get). Blank fields match anything."""

    case = models.ForeignKey(CuratorCase, on_delete=models.CASCADE, related_name="expectations")
    outcome = models.CharField(max_length=8, choices=Outcome.choices, default=Outcome.PRESENT)
    kind = models.CharField(max_length=16, choices=NoteKind.choices)
    drug = models.ForeignKey(
        Drug,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to=NMDAR_ONLY,
    )
    note_id = models.CharField(max_length=80, blank=True, help_text="A rule key, if it matters.")
    level = models.CharField(max_length=16, choices=Level.choices, blank=True)
    severity = models.CharField(max_length=16, choices=Severity.choices, blank=True)
    history = HistoricalRecords()

    class Meta:
        ordering = ["case", "id"]
        constraints = [
            one_of("outcome", Outcome, "expectation_outcome_valid"),
            one_of("kind", NoteKind, "expectation_kind_valid"),
            _optional_choice("level", Level, "expectation_level_valid"),
            _optional_choice("severity", Severity, "expectation_severity_valid"),
        ]

    def __str__(self) -> str:
        parts = [self.get_kind_display().lower(), "note"]
        if self.drug_id:
            parts.append(f"on {self.drug}")
        if self.note_id:
            parts.append(f"'{self.note_id}'")
        if self.level:
            parts.append(f"at level {self.level}")
        if self.severity:
            parts.append(f"of {self.severity} severity")
        return f"{' '.join(parts)} {self.get_outcome_display()}"
