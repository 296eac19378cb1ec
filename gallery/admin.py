from django.contrib import admin, messages
from django.db.models import Q
from django.utils.html import format_html

from gallery.models import ColorizationJob, SweepLease, WorkerModel
from gallery.services import moderation, web

Review = ColorizationJob.Review


class GalleryStateFilter(admin.SimpleListFilter):
    title = "gallery"
    parameter_name = "gallery"

    def lookups(self, request, model_admin):
        return [
            ("private", "Not requested"),
            ("pending", "Awaiting review"),
            ("public", "Approved (public)"),
            ("hidden", "Hidden"),
        ]

    def queryset(self, request, queryset):
        value = self.value()
        if value == "private":
            return queryset.filter(gallery_requested=False)
        if value == "pending":
            return queryset.filter(gallery_requested=True, gallery_review=Review.PENDING)
        if value == "public":
            return queryset.public()
        if value == "hidden":
            return queryset.filter(Q(gallery_review=Review.HIDDEN))
        return queryset


def _img(url, *, height, alt):
    """A preview picture; ``alt`` names it, and so the change-list link it sits in."""
    if not url:
        return "—"
    return format_html(
        '<img src="{}" alt="{}" style="max-height:{}px;max-width:100%;border-radius:4px">', url, alt, height
    )


@admin.register(ColorizationJob)
class ColorizationJobAdmin(admin.ModelAdmin):
    list_display = ["preview", "display_name", "status", "model_name", "gallery_state", "queued_at", "run_seconds"]
    list_display_links = ["preview", "display_name"]
    list_filter = ["status", "model_name", GalleryStateFilter]
    search_fields = ["display_name", "=public_id", "error_message", "model_name"]
    date_hierarchy = "queued_at"
    list_per_page = 50
    actions = ["approve_for_gallery", "hide_from_gallery", "retry_failed"]
    readonly_fields = [
        "public_id",
        "link",
        "status",
        "model_name",
        "hints",
        "parent",
        "display_name",
        "original_picture",
        "result_picture",
        "original_width",
        "original_height",
        "original_bytes",
        "result_bytes",
        "queued_at",
        "started_at",
        "finished_at",
        "run_seconds",
        "attempts",
        "task_id",
        "error_message",
        "created_at",
        "gallery_requested",
        "gallery_reviewed_at",
        "gallery_state",
        "caption",
        "taken_year",
    ]
    fieldsets = [
        (None, {"fields": ["public_id", "link", "status", "model_name", "hints", "parent", "error_message"]}),
        (
            "Pictures",
            {
                "fields": [
                    "display_name",
                    "original_picture",
                    "result_picture",
                    ("original_width", "original_height"),
                    ("original_bytes", "result_bytes"),
                ]
            },
        ),
        (
            "Timing",
            {"fields": ["queued_at", "started_at", "finished_at", "run_seconds", "attempts", "task_id", "created_at"]},
        ),
        (
            "Gallery",
            {"fields": ["gallery_requested", "caption", "taken_year", "gallery_review", "gallery_reviewed_at"]},
        ),
    ]

    def has_add_permission(self, request):
        return False  # jobs come from uploads

    def get_fieldsets(self, request, obj=None):
        """A review is asked for only where the owner asked for the gallery."""
        fieldsets = super().get_fieldsets(request, obj)
        if obj is not None and not obj.gallery_requested:
            return [*fieldsets[:-1], ("Gallery", {"fields": ["gallery_state"]})]
        return fieldsets

    @admin.display(description="Preview")
    def preview(self, job):
        if not job.thumbnail:
            return "(no preview yet)"  # a link's text, so never an empty link
        return _img(job.file_url("thumbnail"), height=56, alt=f"Preview of {job.display_name}")

    @admin.display(description="Original")
    def original_picture(self, job):
        return _img(job.original_picture["src"], height=240, alt=f"The original of {job.display_name}")

    @admin.display(description="Result")
    def result_picture(self, job):
        return _img(job.result_picture["src"], height=240, alt=f"The result of {job.display_name}")

    @admin.display(description="Gallery")
    def gallery_state(self, job):
        if not job.gallery_requested:
            return "Not asked for"
        if job.gallery_review == Review.APPROVED:
            return "Public" if job.is_public else "Approved (not finished)"
        return job.get_gallery_review_display()

    @admin.display(description="Page")
    def link(self, job):
        return format_html('<a href="{}">{}</a>', job.get_absolute_url(), "Open the job's page")

    @admin.display(description="Run (s)")
    def run_seconds(self, job):
        return f"{job.duration:.1f}" if job.duration is not None else "—"

    @admin.action(description="Approve selected for the gallery")
    def approve_for_gallery(self, request, queryset):
        count = moderation.jobs_approve(jobs=queryset)
        self.message_user(
            request, f"{count} job(s) approved; those whose owner asked for it are now public.", messages.SUCCESS
        )

    @admin.action(description="Hide selected from the gallery")
    def hide_from_gallery(self, request, queryset):
        count = moderation.jobs_hide(jobs=queryset)
        self.message_user(request, f"{count} job(s) hidden from the gallery.", messages.SUCCESS)

    @admin.action(description="Re-run selected failed jobs")
    def retry_failed(self, request, queryset):
        count = moderation.jobs_retry_failed(jobs=queryset)
        self.message_user(request, f"{count} failed job(s) queued again.", messages.SUCCESS)

    def delete_model(self, request, obj):
        web.job_delete(job=obj)

    def delete_queryset(self, request, queryset):
        moderation.jobs_delete(jobs=queryset)


@admin.register(WorkerModel)
class WorkerModelAdmin(admin.ModelAdmin):
    """Which worker has which model installed (its version, and whether it runs the int8 graph
    with its self-check's numbers), as last reported: what the upload form and the API offer.
    Written by the workers only."""

    list_display = ("model_name", "worker", "precision", "int8_check", "sha256", "seen_at")
    list_filter = ("model_name", "precision")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False


@admin.register(SweepLease)
class SweepLeaseAdmin(admin.ModelAdmin):
    """Which worker ran the site-wide sweep last, and how many times it has run. Written by the
    workers only."""

    list_display = ("name", "holder", "ran_at", "runs")

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False
