from django.contrib import admin, messages

from api import services
from api.models import ApiKey
from gallery.admin import ColorizationJobAdmin
from gallery.models import ColorizationJob


@admin.register(ApiKey)
class ApiKeyAdmin(admin.ModelAdmin):
    """Keys are made with `manage.py create_api_key NAME` (which shows the key once); here they
    are listed and revoked. A key's hash is never shown."""

    list_display = ["name", "key_prefix", "created_at", "last_used_at", "active", "revoked_at", "job_count"]
    list_filter = [("revoked_at", admin.EmptyFieldListFilter)]
    search_fields = ["name", "=prefix"]
    fields = ["name", "key_prefix", "created_at", "last_used_at", "revoked_at", "job_count"]
    readonly_fields = ["key_prefix", "created_at", "last_used_at", "revoked_at", "job_count"]
    actions = ["revoke"]

    def has_add_permission(self, request):
        return False  # only the command, which can show the new key once

    @admin.display(description="key")
    def key_prefix(self, api_key):
        return f"csk_{api_key.prefix}_…"

    @admin.display(boolean=True, description="active")
    def active(self, api_key):
        return api_key.is_active

    @admin.display(description="jobs")
    def job_count(self, api_key):
        return api_key.jobs.count()

    @admin.action(description="Revoke the selected keys (their requests are refused from now on)")
    def revoke(self, request, queryset):
        count = 0
        for api_key in queryset.filter(revoked_at__isnull=True):
            services.api_key_revoke(api_key=api_key)
            count += 1
        self.message_user(request, f"{count} key(s) revoked.", messages.SUCCESS)


# The jobs' list, with where each came from: the website, or which API key (the gallery app
# knows nothing of the API; the API adds its column here).
admin.site.unregister(ColorizationJob)


@admin.register(ColorizationJob)
class ColorizationJobWithSourceAdmin(ColorizationJobAdmin):
    list_display = [*ColorizationJobAdmin.list_display, "source"]
    list_select_related = ["api_link__key"]
    readonly_fields = [*ColorizationJobAdmin.readonly_fields, "source"]
    fieldsets = [
        (None, {"fields": [*ColorizationJobAdmin.fieldsets[0][1]["fields"], "source"]}),
        *ColorizationJobAdmin.fieldsets[1:],
    ]

    @admin.display(description="Source")
    def source(self, job):
        link = getattr(job, "api_link", None)
        return f"API key “{link.key.name}”" if link is not None else "Website"
