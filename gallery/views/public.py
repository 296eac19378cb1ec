"""The public gallery: its pages, with the social cards that only they carry."""

from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.views.decorators.http import require_safe

from gallery import selectors
from gallery.views.common import gallery_job_or_404


def _social_card(
    request: HttpRequest, *, title: str, description: str, image_url: str, page_url: str
) -> dict[str, str]:
    """Open Graph and Twitter card tags, for the public gallery's pages only."""
    return {
        "title": title,
        "description": description,
        "url": request.build_absolute_uri(page_url),
        "image": request.build_absolute_uri(image_url) if image_url else "",
    }


@require_safe
def gallery(request: HttpRequest) -> HttpResponse:
    page = selectors.gallery_page(page_number=request.GET.get("page", 1))
    first = page.object_list[0] if page.object_list else None
    card = _social_card(
        request,
        title="Gallery · Colorsite",
        description="Old black-and-white photos, colorized by a neural network and shared by their owners.",
        image_url=first.gallery_result_picture["src"] if first else "",
        page_url=request.get_full_path(),
    )
    return render(request, "gallery/gallery.html", {"page": page, "card": card})


@require_safe
def gallery_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = gallery_job_or_404(pk)
    card = _social_card(
        request,
        title=f"{job.gallery_title} · Colorsite",
        description=f"A black-and-white photo colorized by the {job.model_title} model on Colorsite.",
        image_url=job.gallery_result_picture["src"],
        page_url=job.get_gallery_url(),
    )
    return render(request, "gallery/gallery_detail.html", {"job": job, "card": card})
