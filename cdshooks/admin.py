"""The operators' and curators' side of the CDS Hooks service: which EHRs may call it, the
override reasons its cards offer, and what clinicians did with its cards, per note."""

from collections import Counter, defaultdict

from django.contrib import admin

from cdshooks.models import CardFeedback, EhrClient, OverrideReason


@admin.register(EhrClient)
class EhrClientAdmin(admin.ModelAdmin):
    list_display = ("name", "issuer", "key_ids", "active", "updated_at")
    list_filter = ("active",)
    search_fields = ("name", "issuer")
    readonly_fields = ("created_at", "updated_at")

    @admin.display(description="Key ids")
    def key_ids(self, obj):
        return ", ".join(obj.kids) or "-"


@admin.register(OverrideReason)
class OverrideReasonAdmin(admin.ModelAdmin):
    list_display = ("display", "code", "system", "position", "active")
    list_editable = ("position", "active")
    list_filter = ("active",)


@admin.register(CardFeedback)
class CardFeedbackAdmin(admin.ModelAdmin):
    """Read-only: feedback is what EHRs reported. Above the list, per note, how often the cards
    that showed it were accepted and overridden, and the reasons given."""

    change_list_template = "admin/cdshooks/cardfeedback/change_list.html"
    list_display = ("outcome_at", "outcome", "service", "drug", "reason", "card_uuid")
    list_filter = ("outcome", "service", "drug")
    search_fields = ("card_uuid", "reason_code")
    date_hierarchy = "outcome_at"

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    @admin.display(description="Reason")
    def reason(self, obj):
        return _reason_names().get((obj.reason_system, obj.reason_code), obj.reason_code) or "-"

    def changelist_view(self, request, extra_context=None):
        extra_context = {**(extra_context or {}), "by_note": by_note()}
        return super().changelist_view(request, extra_context)


def _reason_names() -> dict:
    return {(r.system, r.code): r.display for r in OverrideReason.objects.all()}


def by_note() -> list[dict]:
    """Per note id: cards accepted, cards overridden and the reasons, most overridden first."""
    names = _reason_names()
    counts: dict[str, Counter] = defaultdict(Counter)
    reasons: dict[str, Counter] = defaultdict(Counter)
    rows = CardFeedback.objects.values_list("note_ids", "outcome", "reason_system", "reason_code")
    for note_ids, outcome, system, code in rows:
        for note_id in note_ids:
            counts[note_id][outcome] += 1
            if outcome == "overridden":
                reasons[note_id][names.get((system, code), code) or "no reason given"] += 1
    summary = [
        {
            "note": note_id,
            "accepted": counts[note_id]["accepted"],
            "overridden": counts[note_id]["overridden"],
            "reasons": reasons[note_id].most_common(),
        }
        for note_id in counts
    ]
    return sorted(summary, key=lambda row: (-row["overridden"], row["note"]))
