"""The curators' workplace for the evidence: vocabulary, codes, sources and curated records.

Every curated model keeps a history (django-simple-history, with revert), records who changed it,
shows when its review is due, is read-only for curators once published, and checks in its form
what the database would otherwise refuse with an error page (see evidence/forms.py). Sources
also take a reference file import.
"""

from datetime import timedelta

from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied
from django.db.models import Count
from django.template.response import TemplateResponse
from django.urls import path, reverse
from django.utils import timezone
from django.utils.html import format_html, format_html_join
from simple_history.admin import SimpleHistoryAdmin

from evidence import forms
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
from evidence.references import ReferenceImportError, import_references
from evidence.roles import is_locked

ADMIN_CSS = {"all": ["admin-extra/admin.css"]}
admin.site.site_header = "NMDAR decision support: curation"
admin.site.site_title = "NMDAR curation"
admin.site.index_title = "Evidence, rules and releases"
CURATION_FIELDSET = (
    "Status and review",
    {
        "fields": ("status", "last_reviewed", "review_due", "changed_by", "changed_at"),
        "description": "Save as draft and ask a reviewer to publish. Set a review date so the "
        "record shows up as overdue when it is due.",
    },
)


class ReviewDueFilter(admin.SimpleListFilter):
    title = "review due"
    parameter_name = "review"
    OVERDUE = "overdue"

    def lookups(self, request, model_admin):
        return [
            (self.OVERDUE, "Overdue"),
            ("soon", "Due in the next 30 days"),
            ("none", "No review date"),
        ]

    def queryset(self, request, queryset):
        today = timezone.localdate()
        if self.value() == self.OVERDUE:
            return queryset.overdue()
        if self.value() == "soon":
            return queryset.filter(review_due__gte=today, review_due__lte=today + timedelta(30))
        if self.value() == "none":
            return queryset.filter(review_due__isnull=True)
        return queryset


class CuratedRecordAdmin(SimpleHistoryAdmin):
    """Shared by every model with a draft/published status (evidence and decision apps)."""

    form = forms.CuratedRecordForm
    readonly_fields = ("changed_by", "changed_at")
    history_list_display = ["status"]
    list_per_page = 50

    class Media:
        css = ADMIN_CSS

    def get_form(self, request, obj=None, change=False, **kwargs):
        form = super().get_form(request, obj, change=change, **kwargs)
        form.user = request.user  # a fresh class per call, so this is per request
        return form

    def save_model(self, request, obj, form, change):
        obj.changed_by = request.user
        super().save_model(request, obj, form, change)

    # A published record is locked for a curator: Django then shows it read-only, without the
    # save and delete buttons, and refuses a change or delete that is posted anyway.
    def has_change_permission(self, request, obj=None):
        if obj is not None and is_locked(obj.status, request.user):
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request, obj=None):
        if obj is not None and is_locked(obj.status, request.user):
            return False
        return super().has_delete_permission(request, obj)

    def render_change_form(self, request, context, add=False, change=False, form_url="", obj=None):
        if obj is not None and is_locked(obj.status, request.user):
            self.message_user(
                request,
                "This record is published: only a reviewer can change it.",
                messages.WARNING,
            )
        return super().render_change_form(request, context, add, change, form_url, obj)

    @admin.display(description="Review due", ordering="review_due")
    def review(self, obj):
        if obj.review_due is None:
            return "-"
        if obj.is_review_overdue:
            return format_html(
                '<span class="review-badge review-overdue">Overdue</span> {}',
                obj.review_due.isoformat(),
            )
        return obj.review_due.isoformat()


# --- Vocabulary -----------------------------------------------------------------------------


def _code_inline(relation):
    """The clinical codes of a term, edited on the term's page (`relation`: ClinicalCode.drugs)."""

    class CodeInline(admin.TabularInline):
        model = relation.through
        fields = ("clinicalcode",)
        autocomplete_fields = ("clinicalcode",)
        extra = 0
        verbose_name = "clinical code"
        verbose_name_plural = "clinical codes"

    CodeInline.__name__ = f"{relation.field.related_model.__name__}CodeInline"
    return CodeInline


class VocabularyAdmin(SimpleHistoryAdmin):
    list_display = ("name", "slug")
    search_fields = ("slug", "name")
    ordering = ("name",)

    class Media:
        css = ADMIN_CSS

    def get_readonly_fields(self, request, obj=None):
        # The slug is what the form, the API and the rules speak: never renamed once stored.
        return ("slug",) if obj is not None else ()


class CodedVocabularyAdmin(VocabularyAdmin):
    """Terms that clinical codes name: pain types, patient factors and drugs."""

    list_display = ("name", "slug", "code_list")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("codes")

    @admin.display(description="Clinical codes")
    def code_list(self, obj):
        codes = obj.codes.all()
        return ", ".join(f"{code.get_system_display()} {code.code}" for code in codes) or "-"


@admin.register(PainType)
class PainTypeAdmin(CodedVocabularyAdmin):
    inlines = [_code_inline(ClinicalCode.pain_types)]


@admin.register(PatientFactor)
class PatientFactorAdmin(CodedVocabularyAdmin):
    inlines = [_code_inline(ClinicalCode.factors)]


@admin.register(DrugClass)
class DrugClassAdmin(VocabularyAdmin):
    pass


@admin.register(DrugProperty)
class DrugPropertyAdmin(VocabularyAdmin):
    pass


@admin.register(Drug)
class DrugAdmin(CodedVocabularyAdmin):
    list_display = ("name", "slug", "class_list", "nmdar", "code_list")
    list_filter = ("classes", "properties")
    autocomplete_fields = ("classes", "properties")
    inlines = [_code_inline(ClinicalCode.drugs)]

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("classes")

    @admin.display(description="Classes")
    def class_list(self, obj):
        return ", ".join(drug_class.name for drug_class in obj.classes.all()) or "-"

    @admin.display(description="NMDAR antagonist", boolean=True)
    def nmdar(self, obj):
        return obj.is_nmdar_antagonist


@admin.register(ClinicalCode)
class ClinicalCodeAdmin(SimpleHistoryAdmin):
    list_display = ("system", "code", "display", "verified", "terms")
    list_filter = ("system", "verified")
    search_fields = ("code", "display")
    autocomplete_fields = ("pain_types", "drugs", "factors")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("pain_types", "drugs", "factors")

    @admin.display(description="Names")
    def terms(self, obj):
        names = [*obj.pain_types.all(), *obj.drugs.all(), *obj.factors.all()]
        return ", ".join(str(name) for name in names) or "-"


# --- Sources --------------------------------------------------------------------------------


@admin.register(Source)
class SourceAdmin(CuratedRecordAdmin):
    form = forms.SourceForm
    change_list_template = "admin/evidence/source/change_list.html"
    list_display = ("key", "short_title", "first_author", "year", "study_type", "status")
    list_display += ("links", "review")
    list_filter = ("study_type", "year", "status", "is_founding_review", ReviewDueFilter)
    search_fields = ("key", "title", "authors", "pmid", "doi")
    fieldsets = (
        (None, {"fields": ("key", "authors", "title", "journal", "year")}),
        ("Locators", {"fields": ("volume", "issue", "pages", "doi", "pmid", "url")}),
        (
            "What kind of evidence",
            {"fields": ("study_type", "population", "sample_size", "is_founding_review")},
        ),
        ("Curator notes", {"fields": ("notes",)}),
        CURATION_FIELDSET,
    )

    @admin.display(description="Title", ordering="title")
    def short_title(self, obj):
        return obj.title if len(obj.title) <= 80 else f"{obj.title[:77]}..."

    @admin.display(description="First author", ordering="authors")
    def first_author(self, obj):
        return obj.authors.split(",")[0].strip() or "-"

    @admin.display(description="Links")
    def links(self, obj):
        links = []
        if obj.pmid:
            links.append((obj.pubmed_url, f"PubMed {obj.pmid}"))
        if obj.doi:
            links.append((obj.doi_url, "DOI"))
        if not links:
            return "-"
        return format_html_join(
            " | ", '<a href="{}" target="_blank" rel="noopener noreferrer">{}</a>', links
        )

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="evidence_source_import",
            ),
            *super().get_urls(),
        ]

    def import_view(self, request):
        """Upload a RIS, MEDLINE or BibTeX file; each new reference becomes a draft source."""
        if not self.has_add_permission(request):
            raise PermissionDenied
        report, problems = None, []
        if request.method == "POST":
            form = forms.ReferenceImportForm(request.POST, request.FILES)
            if form.is_valid():
                upload = form.cleaned_data["file"]
                try:
                    report = import_references(upload.read(), upload.name, user=request.user)
                except ReferenceImportError as error:
                    problems = error.problems
                else:
                    form = forms.ReferenceImportForm()
        else:
            form = forms.ReferenceImportForm()
        context = {
            **self.admin_site.each_context(request),
            "title": "Import references",
            "opts": self.model._meta,
            "form": form,
            "problems": problems,
            "report": report,
            "created": [
                (source, reverse("admin:evidence_source_change", args=[source.pk]))
                for source in (report.created if report else [])
            ],
            "media": self.media,
        }
        return TemplateResponse(request, "admin/evidence/source/import.html", context)


# --- Curated evidence -----------------------------------------------------------------------


@admin.register(Finding)
class FindingAdmin(CuratedRecordAdmin):
    form = forms.FindingForm
    list_display = ("key", "subject", "pain_type", "direction", "certainty", "status")
    list_display += ("source_count", "review")
    list_filter = (
        ("drug", admin.RelatedOnlyFieldListFilter),
        ("pain_type", admin.RelatedOnlyFieldListFilter),
        "certainty",
        "direction",
        "population",
        "status",
        ReviewDueFilter,
    )
    search_fields = ("key", "summary", "product", "drug__name", "drug__slug", "pain_type__name")
    search_fields += ("pain_type__slug", "sources__key")
    autocomplete_fields = ("drug", "pain_type", "sources")
    list_select_related = ("drug", "pain_type")
    fieldsets = (
        (None, {"fields": ("key", "drug", "product", "pain_type", "condition_scope")}),
        (
            "Evidence",
            {
                "fields": (
                    "population",
                    "direction",
                    "certainty",
                    "certainty_reason",
                    "summary",
                    "sources",
                )
            },
        ),
        CURATION_FIELDSET,
    )

    def get_queryset(self, request):
        return super().get_queryset(request).annotate(source_total=Count("sources"))

    @admin.display(description="Drug", ordering="drug__name")
    def subject(self, obj):
        return obj.drug.name if obj.drug else "NMDAR antagonists (class)"

    @admin.display(description="Sources", ordering="source_total")
    def source_count(self, obj):
        return obj.source_total


@admin.register(SafetyConcern)
class SafetyConcernAdmin(CuratedRecordAdmin):
    form = forms.SafetyConcernForm
    list_display = ("key", "drug", "concern", "severity", "status", "review")
    list_filter = (
        ("drug", admin.RelatedOnlyFieldListFilter),
        "severity",
        "status",
        ReviewDueFilter,
    )
    search_fields = ("key", "concern", "summary", "product", "drug__name", "drug__slug")
    autocomplete_fields = (
        "drug",
        "sources",
        "trigger_factors",
        "trigger_drugs",
        "trigger_classes",
        "trigger_properties",
    )
    list_select_related = ("drug",)
    fieldsets = (
        (None, {"fields": ("key", "drug", "product", "concern", "severity")}),
        ("Evidence", {"fields": ("applies_when", "summary", "sources")}),
        (
            "Triggered by",
            {
                "fields": (
                    "trigger_factors",
                    "trigger_drugs",
                    "trigger_classes",
                    "trigger_properties",
                ),
                "description": "What in the patient or their current medicines raises the risk.",
            },
        ),
        CURATION_FIELDSET,
    )


@admin.register(Combination)
class CombinationAdmin(CuratedRecordAdmin):
    form = forms.CombinationForm
    list_display = ("key", "nmdar_drug", "partner", "direction", "status", "review")
    list_filter = (
        ("nmdar_drug", admin.RelatedOnlyFieldListFilter),
        "direction",
        "status",
        ReviewDueFilter,
    )
    search_fields = ("key", "partner", "summary", "product", "nmdar_drug__name")
    autocomplete_fields = (
        "nmdar_drug",
        "partner_drugs",
        "partner_classes",
        "partner_properties",
        "sources",
        "related_safety",
    )
    list_select_related = ("nmdar_drug",)
    fieldsets = (
        (None, {"fields": ("key", "nmdar_drug", "product")}),
        (
            "Combined with",
            {"fields": ("partner", "partner_drugs", "partner_classes", "partner_properties")},
        ),
        ("Evidence", {"fields": ("direction", "summary", "sources", "related_safety")}),
        CURATION_FIELDSET,
    )


@admin.register(Conflict)
class ConflictAdmin(CuratedRecordAdmin):
    form = forms.ConflictForm
    list_display = ("key", "topic", "status", "review")
    list_filter = ("pain_types", "drugs", "status", ReviewDueFilter)
    search_fields = ("key", "topic", "summary")
    autocomplete_fields = ("pain_types", "drugs", "sources")
    fieldsets = (
        (None, {"fields": ("key", "topic", "summary", "pain_types", "drugs", "sources")}),
        CURATION_FIELDSET,
    )


# --- Coded records read by the CDS Hooks service -----------------------------------------------


@admin.register(CodePairing)
class CodePairingAdmin(SimpleHistoryAdmin):
    form = forms.CodePairingForm
    list_display = ("key", "pain_type", "system", "code_list", "partner_list", "verified")
    list_filter = ("verified", "pain_type")
    search_fields = ("key", "note")
    autocomplete_fields = ("pain_type",)

    @admin.display(description="Codes")
    def code_list(self, obj):
        return ", ".join(obj.codes) or "-"

    @admin.display(description="Together with")
    def partner_list(self, obj):
        return ", ".join(obj.partner_codes) or "- (not curated yet)"


@admin.register(MedicinalProduct)
class MedicinalProductAdmin(SimpleHistoryAdmin):
    list_display = ("name", "key", "rxnorm", "ingredient_list", "source_list", "verified")
    list_filter = ("verified",)
    search_fields = ("key", "name", "rxnorm")
    autocomplete_fields = ("ingredients", "sources")

    def get_queryset(self, request):
        return super().get_queryset(request).prefetch_related("ingredients", "sources")

    @admin.display(description="Ingredients")
    def ingredient_list(self, obj):
        return ", ".join(drug.name for drug in obj.ingredients.all()) or "-"

    @admin.display(description="Read in")
    def source_list(self, obj):
        return ", ".join(source.key for source in obj.sources.all()) or "-"


@admin.register(ObservationCriterion)
class ObservationCriterionAdmin(SimpleHistoryAdmin):
    form = forms.ObservationCriterionForm
    list_display = ("key", "factor", "measurement", "bounds", "unit", "max_age_days", "read")
    list_filter = ("verified", "factor")
    search_fields = ("key", "measurement", "note")
    autocomplete_fields = ("factor",)

    @admin.display(description="Values")
    def bounds(self, obj):
        parts = []
        if obj.at_least is not None:
            parts.append(f"at least {obj.at_least:g}")
        if obj.at_most is not None:
            parts.append(f"at most {obj.at_most:g}")
        if obj.below is not None:
            parts.append(f"below {obj.below:g}")
        return " and ".join(parts) or "-"

    @admin.display(description="Read by the CDS service", boolean=True)
    def read(self, obj):
        return obj.is_complete
