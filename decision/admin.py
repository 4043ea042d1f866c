"""The curators' workplace for rules, test cases and releases.

Rules and curator test cases are curated records (history, roles, review dates: see
evidence/admin.py). Releases, activations and assessments are snapshots: view only. Reviewers
publish a release and roll back from here, through the same functions the rest of the app uses
(`decision.releases`).
"""

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import BooleanField, Count, ExpressionWrapper, Q
from django.shortcuts import get_object_or_404, redirect
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils.html import format_html, format_html_join

from decision.cases import run_cases
from decision.engine import ReleaseError
from decision.models import (
    CITATION_FIELDS,
    CONDITION_TARGETS,
    Activation,
    Assessment,
    Condition,
    CuratorCase,
    Expectation,
    NoteKind,
    Release,
    Rule,
    RulePainType,
)
from decision.releases import (
    CHANGELOG_SECTIONS,
    AlreadyActive,
    NothingChanged,
    PublishRefused,
    activate_release,
    candidate,
    case_specs,
    current_release_id,
    plan_release,
    publish_release,
)
from evidence.admin import ADMIN_CSS, CURATION_FIELDSET, CuratedRecordAdmin, ReviewDueFilter
from evidence.forms import CuratedRecordForm
from evidence.models import Status
from evidence.roles import can_publish, is_locked

SCALED_KINDS = (NoteKind.SUITABILITY, NoteKind.COMBINATION)


def _scale_errors(kind: str, level: str, severity: str) -> dict[str, str]:
    """What is wrong with a note's level and severity for its kind (the DB constraint, in words)."""
    errors = {}
    if kind in SCALED_KINDS:
        if not level:
            errors["level"] = (
                f"A {kind} note needs a level: favourable, mixed, unfavourable or insufficient "
                "evidence."
            )
        if severity:
            errors["severity"] = f"A {kind} note has a level, not a severity: clear the severity."
    elif kind == NoteKind.CAUTION:
        if not severity:
            errors["severity"] = "A caution note needs a severity: high, moderate or low."
        if level:
            errors["level"] = "A caution note has a severity, not a level: clear the level."
    elif kind == NoteKind.CONTEXT:
        if level:
            errors["level"] = "A context note has no level: clear it."
        if severity:
            errors["severity"] = "A context note has no severity: clear it."
    return errors


class RuleForm(CuratedRecordForm):
    nmdar_fields = ("drug",)
    cited_fields = CITATION_FIELDS

    def record_name(self, cleaned) -> str:
        kind = cleaned.get("kind")
        return f"{kind} note" if kind else "rule"

    def needs_citation(self, cleaned) -> bool:
        # A context note is background: it may rest on no single record.
        kind = cleaned.get("kind")
        return bool(kind) and kind != NoteKind.CONTEXT

    def clean(self):
        cleaned = super().clean()
        kind = cleaned.get("kind")
        for field, message in _scale_errors(
            kind, cleaned.get("level", ""), cleaned.get("severity", "")
        ).items():
            self.add_error(field, ValidationError(message, code="scale_for_kind"))
        if kind and kind != NoteKind.CONTEXT and cleaned.get("drug") is None and "drug" in cleaned:
            self.add_error(
                "drug",
                ValidationError(
                    f"A {kind} note is about one NMDA-receptor antagonist: choose it. Only "
                    "context notes may leave the drug empty.",
                    code="drug_required",
                ),
            )
        return cleaned


class LockedWithParent:
    """An inline whose rows are locked with the published record they belong to (`obj`)."""

    def _parent_locked(self, request, parent) -> bool:
        return parent is not None and is_locked(parent.status, request.user)

    def has_add_permission(self, request, obj):
        return not self._parent_locked(request, obj) and super().has_add_permission(request, obj)

    def has_change_permission(self, request, obj=None):
        return not self._parent_locked(request, obj) and super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        return not self._parent_locked(request, obj) and super().has_delete_permission(request, obj)


class RulePainTypeInline(LockedWithParent, admin.TabularInline):
    model = RulePainType
    fields = ("paintype",)
    autocomplete_fields = ("paintype",)
    extra = 0
    verbose_name = "pain type"
    verbose_name_plural = "Pain types (any of these; none listed: every pain type)"


class ConditionForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        named = [field for field in CONDITION_TARGETS.values() if cleaned.get(field)]
        if len(named) != 1:
            raise ValidationError(
                "Name exactly one item for this condition: a drug, a drug class, a drug property "
                "or a patient factor (add another row for another item).",
                code="one_target",
            )
        return cleaned


class ConditionInline(LockedWithParent, admin.TabularInline):
    model = Condition
    form = ConditionForm
    fields = ("group", *CONDITION_TARGETS.values())
    autocomplete_fields = tuple(CONDITION_TARGETS.values())
    extra = 0
    verbose_name_plural = (
        "Conditions on the current medicines and patient factors (none: always matches)"
    )


@admin.register(Rule)
class RuleAdmin(CuratedRecordAdmin):
    form = RuleForm
    list_display = ("key", "kind", "drug", "scale", "title", "priority", "status", "review")
    list_filter = (
        "kind",
        ("drug", admin.RelatedOnlyFieldListFilter),
        "status",
        "pain_types",
        ReviewDueFilter,
    )
    search_fields = ("key", "title")
    list_select_related = ("drug",)
    autocomplete_fields = ("drug", *CITATION_FIELDS)
    inlines = [RulePainTypeInline, ConditionInline]
    fieldsets = (
        (
            "Note",
            {
                "fields": ("kind", "drug", "level", "severity", "title", "text", "priority"),
                "description": "Suitability and combination notes take a level; caution notes "
                "a severity; context notes neither. Describe evidence and risk; never instruct. "
                "When the note appears is set below: its pain types, and conditions on the "
                "current medicines (a drug, a class or a property) and patient factors. Any of: "
                "one listed item is enough. All of: every listed item. None of: no listed item.",
            },
        ),
        ("Cites", {"fields": CITATION_FIELDS}),
        ("Curator notes", {"fields": ("key", "curator_notes")}),
        CURATION_FIELDSET,
    )

    @admin.display(description="Level or severity")
    def scale(self, obj):
        return obj.get_level_display() or obj.get_severity_display() or "-"


# --- Curator test cases ---------------------------------------------------------------------


class ExpectationForm(forms.ModelForm):
    def clean(self):
        cleaned = super().clean()
        kind, level, severity = (cleaned.get(n) or "" for n in ("kind", "level", "severity"))
        # Blank fields match anything, so only a value that cannot fit the kind is an error.
        if level and kind not in SCALED_KINDS:
            self.add_error("level", f"A {kind} note has no level: clear it.")
        if severity and kind != NoteKind.CAUTION:
            self.add_error("severity", f"A {kind} note has no severity: clear it.")
        return cleaned


class ExpectationInline(LockedWithParent, admin.TabularInline):
    model = Expectation
    form = ExpectationForm
    fields = ("outcome", "kind", "drug", "note_id", "level", "severity")
    autocomplete_fields = ("drug",)
    extra = 1


@admin.register(CuratorCase)
class CuratorCaseAdmin(CuratedRecordAdmin):
    change_list_template = "admin/decision/curatorcase/change_list.html"
    list_display = ("key", "title", "pain_type", "expectation_count", "status", "review")
    list_filter = ("status", ("pain_type", admin.RelatedOnlyFieldListFilter), ReviewDueFilter)
    search_fields = ("key", "title", "description")
    autocomplete_fields = ("pain_type", "analgesics", "factors")
    list_select_related = ("pain_type",)
    inlines = [ExpectationInline]
    actions = ["run_selected_cases"]
    fieldsets = (
        (None, {"fields": ("key", "title", "description")}),
        ("The virtual patient", {"fields": ("pain_type", "analgesics", "factors")}),
        CURATION_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(expectation_total=Count("expectations"))

    @admin.display(description="Expectations", ordering="expectation_total")
    def expectation_count(self, obj):
        return obj.expectation_total

    def get_urls(self):
        return [
            path(
                "run/",
                self.admin_site.admin_view(self.run_all_view),
                name="decision_curatorcase_run",
            ),
            *super().get_urls(),
        ]

    @admin.action(
        description="Run the selected test cases against the published content",
        permissions=["view"],
    )
    def run_selected_cases(self, request, queryset):
        # The changelist's queryset counts expectations; the run needs only which cases.
        return self._run(request, CuratorCase.objects.filter(pk__in=queryset.values("pk")))

    def run_all_view(self, request):
        if not self.has_view_permission(request):
            raise PermissionDenied
        return self._run(request, CuratorCase.objects.all())

    def _run(self, request, cases):
        """Run the cases, drafts too, against what is published now."""
        try:
            curated = candidate()
        except ReleaseError as error:
            self.message_user(
                request,
                f"The published content does not compile, so no case could run: {error}",
                messages.ERROR,
            )
            return redirect("admin:decision_curatorcase_changelist")
        keys = set(cases.values_list("key", flat=True))
        results = run_cases(
            curated.release, case_specs(curated.data, published_only=False, keys=keys)
        )
        passed = sum(result.passed for result in results)
        context = {
            **self.admin_site.each_context(request),
            "title": "Curator test case results",
            "opts": self.model._meta,
            "results": results,
            "passed": passed,
            "failed": len(results) - passed,
            "drafts": sorted(cases.exclude(status=Status.PUBLISHED).values_list("key", flat=True)),
            "media": self.media,
        }
        return TemplateResponse(request, "admin/decision/curatorcase/run_results.html", context)


# --- Releases, activations, assessments: snapshots, view only -------------------------------


class ReadOnlyAdmin(admin.ModelAdmin):
    class Media:
        css = ADMIN_CSS

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(Release)
class ReleaseAdmin(ReadOnlyAdmin):
    change_list_template = "admin/decision/release/change_list.html"
    change_form_template = "admin/decision/release/change_form.html"
    list_display = ("version", "published_at", "published_by", "hash_prefix", "active")
    list_select_related = ("published_by",)
    search_fields = ("version", "changelog")
    fields = (
        "version",
        "published_at",
        "published_by",
        "content_hash",
        "active",
        "changelog_text",
        "contents",
        "activation_history",
    )
    readonly_fields = fields

    def get_queryset(self, request):
        is_active = ExpressionWrapper(Q(pk=current_release_id()), output_field=BooleanField())
        return super().get_queryset(request).defer("payload").annotate(is_active=is_active)

    @admin.display(description="Hash", ordering="content_hash")
    def hash_prefix(self, obj):
        return obj.content_hash[:12]

    @admin.display(description="Active", boolean=True, ordering="is_active")
    def active(self, obj):
        return bool(obj.is_active)

    @admin.display(description="Changelog")
    def changelog_text(self, obj):
        return format_html_join("", "<p>{}</p>", ((line,) for line in obj.changelog.splitlines()))

    @admin.display(description="Contents")
    def contents(self, obj):
        return ", ".join(
            f"{len(obj.payload.get(section, ()))} {label.lower()}"
            for section, label in CHANGELOG_SECTIONS
        )

    @admin.display(description="Activations")
    def activation_history(self, obj):
        activations = obj.activations.select_related("activated_by").order_by("-id")
        return format_html_join(
            "",
            "<p>{} {} by {}</p>",
            (
                (
                    activation.get_reason_display(),
                    activation.activated_at.strftime("%Y-%m-%d %H:%M"),
                    activation.activated_by or "the system",
                )
                for activation in activations
            ),
        ) or format_html("<p>{}</p>", "Never activated")

    def changelist_view(self, request, extra_context=None):
        context = {"can_publish": can_publish(request.user), **(extra_context or {})}
        return super().changelist_view(request, context)

    def change_view(self, request, object_id, form_url="", extra_context=None):
        context = {"can_publish": can_publish(request.user), **(extra_context or {})}
        return super().change_view(request, object_id, form_url, context)

    def get_urls(self):
        return [
            path(
                "publish/",
                self.admin_site.admin_view(self.publish_view),
                name="decision_release_publish",
            ),
            path(
                "<int:object_id>/activate/",
                self.admin_site.admin_view(self.activate_view),
                name="decision_release_activate",
            ),
            *super().get_urls(),
        ]

    def _context(self, request, title: str) -> dict:
        return {
            **self.admin_site.each_context(request),
            "title": title,
            "opts": self.model._meta,
            "media": self.media,
        }

    def publish_view(self, request):
        """GET: what publishing would do. POST: publish, or show why it was refused.

        Either way the release is planned once: a refusal carries the plan it was refused on.
        """
        if not can_publish(request.user):
            raise PermissionDenied
        context = self._context(request, "Publish a new release")
        if request.method == "POST":
            try:
                release = publish_release(user=request.user)
            except PublishRefused as refusal:
                plan = refusal.plan
                context |= {
                    "refusal": str(refusal),
                    "nothing_changed": isinstance(refusal, NothingChanged),
                }
            else:
                self.message_user(
                    request,
                    f"Published release {release.version}. It is now the active release.",
                    messages.SUCCESS,
                )
                return redirect("admin:decision_release_change", release.pk)
        else:
            plan = plan_release()
        context["plan"] = plan
        return TemplateResponse(request, "admin/decision/release/publish.html", context)

    def activate_view(self, request, object_id: int):
        """Make an earlier release live again (rollback)."""
        if not can_publish(request.user):
            raise PermissionDenied
        releases = self.get_queryset(request)
        release = get_object_or_404(releases, pk=object_id)
        if request.method == "POST":
            try:
                activate_release(release, user=request.user)
            except AlreadyActive as error:
                self.message_user(request, str(error), messages.INFO)
            else:
                self.message_user(
                    request,
                    f"Release {release.version} is active again; new assessments use it.",
                    messages.SUCCESS,
                )
            return redirect("admin:decision_release_change", release.pk)
        context = self._context(request, f"Make release {release.version} active again")
        context |= {
            "release": release,
            "current": releases.filter(is_active=True).first(),
            "change_url": reverse("admin:decision_release_change", args=[release.pk]),
        }
        return TemplateResponse(request, "admin/decision/release/activate.html", context)


@admin.register(Activation)
class ActivationAdmin(ReadOnlyAdmin):
    list_display = ("release", "reason", "activated_at", "activated_by")
    list_filter = ("reason",)
    list_select_related = ("release", "activated_by")
    fields = ("release", "reason", "activated_at", "activated_by")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("release__payload")


@admin.register(Assessment)
class AssessmentAdmin(ReadOnlyAdmin):
    list_display = ("id", "created_at", "release", "pain_type", "note_count")
    list_select_related = ("release",)
    date_hierarchy = "created_at"
    fields = ("id", "created_at", "release", "inputs", "notes")
    readonly_fields = fields

    def get_queryset(self, request):
        return super().get_queryset(request).defer("release__payload")

    @admin.display(description="Pain type")
    def pain_type(self, obj):
        return obj.inputs.get("pain_type", "-")

    @admin.display(description="Notes")
    def note_count(self, obj):
        return len(obj.notes)
