"""API keys in the admin: list, create (the key is shown once, on the page after saving), revoke.

Keys are never deleted or un-revoked: the list stays the record of who was given access. The key
itself is only ever in the response to the add form; it is not put in a message, which the
cookie or session storage would keep.
"""

from django.contrib import admin, messages
from django.template.response import TemplateResponse
from django.urls import reverse
from django.utils.cache import add_never_cache_headers

from access.keys import assign_new_key, revoke_api_keys
from access.models import ApiKey


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    list_display = ("name", "shown_as", "created_at", "last_used_at", "revoked", "revoked_at")
    list_filter = ("revoked",)
    search_fields = ("name", "prefix")
    readonly_fields = ("shown_as", "created_at", "last_used_at", "revoked", "revoked_at")
    actions = ["revoke"]

    @admin.display(description="Key", ordering="prefix")
    def shown_as(self, api_key: ApiKey) -> str:
        return f"{api_key.prefix}…"

    def get_fields(self, request, obj=None):
        return ("name",) if obj is None else ("name", *self.readonly_fields)

    def has_delete_permission(self, request, obj=None) -> bool:
        return False

    def save_model(self, request, obj: ApiKey, form, change: bool) -> None:
        if not change:
            # Kept on the request only, for `response_add` to show once.
            request._new_api_key = assign_new_key(obj)
        super().save_model(request, obj, form, change)

    def response_add(self, request, obj: ApiKey, post_url_continue=None):
        context = {
            **self.admin_site.each_context(request),
            "opts": self.opts,
            "api_key": obj,
            "key": request._new_api_key,
            "changelist_url": reverse("admin:access_apikey_changelist"),
            "add_url": reverse("admin:access_apikey_add"),
            "title": "API key created",
        }
        response = TemplateResponse(request, "admin/access/apikey/created.html", context)
        add_never_cache_headers(response)
        return response

    @admin.action(description="Revoke the selected API keys", permissions=["change"])
    def revoke(self, request, queryset) -> None:
        revoked = revoke_api_keys(queryset)
        self.message_user(request, f"Revoked {revoked} API key(s).", messages.SUCCESS)
