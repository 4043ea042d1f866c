"""The curators' admin site: the stock admin plus, on its index, how many records are overdue for
review in each curated model.

It replaces the default `admin.site` through `CuratorAdminConfig` (listed in INSTALLED_APPS in
place of "django.contrib.admin"), so every `@admin.register` and config/urls.py stay as they are.
Nothing here may import models (or the admin modules that do) at module level: this module is
imported while apps load.
"""

from django.contrib.admin import AdminSite
from django.contrib.admin.apps import AdminConfig
from django.urls import reverse
from django.utils.http import urlencode
from django.utils.text import capfirst


class CuratorAdminSite(AdminSite):
    site_header = "NMDAR decision support: curation"
    site_title = "NMDAR curation"
    index_title = "Evidence, rules and releases"

    def index(self, request, extra_context=None):
        context = {"overdue_reviews": self.overdue_reviews(request), **(extra_context or {})}
        return super().index(request, context)

    def overdue_reviews(self, request) -> list[dict]:
        """Per curated model the user may view: how many records are past their review date."""
        from evidence.admin import ReviewDueFilter
        from evidence.models import CuratedRecord

        query = urlencode({ReviewDueFilter.parameter_name: ReviewDueFilter.OVERDUE})
        rows = []
        for model, model_admin in self._registry.items():
            if not issubclass(model, CuratedRecord) or not model_admin.has_view_permission(request):
                continue
            opts = model._meta
            rows.append(
                {
                    "name": capfirst(opts.verbose_name_plural),
                    "count": model._default_manager.overdue().count(),
                    "url": reverse(f"{self.name}:{opts.app_label}_{opts.model_name}_changelist")
                    + f"?{query}",
                }
            )
        return sorted(rows, key=lambda row: (-row["count"], row["name"]))


class CuratorAdminConfig(AdminConfig):
    default_site = "evidence.admin_site.CuratorAdminSite"
