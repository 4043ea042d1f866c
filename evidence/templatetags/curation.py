"""The admin index's review summary: per curated model, how many records are overdue."""

from django import template
from django.contrib import admin
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst

from evidence.admin import ReviewDueFilter
from evidence.models import CuratedRecord

register = template.Library()


@register.simple_tag(takes_context=True)
def overdue_reviews(context) -> list[dict]:
    """Per curated model the user may view: how many records are past their review date."""
    request = context["request"]
    query = urlencode({ReviewDueFilter.parameter_name: ReviewDueFilter.OVERDUE})
    rows = []
    for model, model_admin in admin.site._registry.items():
        if not issubclass(model, CuratedRecord) or not model_admin.has_view_permission(request):
            continue
        opts = model._meta
        rows.append(
            {
                "name": capfirst(opts.verbose_name_plural),
                "count": model._default_manager.overdue().count(),
                "url": reverse(f"admin:{opts.app_label}_{opts.model_name}_changelist")
                + f"?{query}",
            }
        )
    return sorted(rows, key=lambda row: (-row["count"], row["name"]))
