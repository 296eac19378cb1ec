""" "My photos": the jobs this browser created (its session remembers them; no accounts)."""

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_safe

from gallery import mine, selectors
from gallery.views.common import private


@never_cache
@require_safe
def my_photos(request: HttpRequest) -> HttpResponse:
    """The jobs this browser created (its session remembers them; no accounts)."""
    photos = selectors.photos_by_public_ids(public_ids=mine.remembered(request))
    # Deleted ones drop out.
    mine.keep_only(request, [str(version.public_id) for photo in photos for version in photo.versions])
    context = {
        "photos": [(photo, selectors.job_progress(job=photo.newest)) for photo in photos],
        "retention_days": f"{settings.GALLERY_RETENTION_DAYS:g}",
    }
    return private(render(request, "gallery/my_photos.html", context))
