"""The admin's status page (/admin/status/, staff only): gallery.status drawn for a person.

The charts are inline SVG made here (bars, no JavaScript, no CDN): they need nothing the
site's Content Security Policy does not allow."""

from datetime import datetime

from django.contrib import admin
from django.contrib.admin.views.decorators import staff_member_required
from django.http import HttpRequest, HttpResponse
from django.template.response import TemplateResponse
from django.views.decorators.cache import never_cache

from gallery import status

CHART_WIDTH, CHART_HEIGHT = 720, 120


def bars(hourly: list[tuple[datetime, int, int]]) -> dict:
    """Bar geometry for an SVG chart: finished (stacked under) failed, per hour."""
    top = max((ok + bad for _, ok, bad in hourly), default=0) or 1
    width = CHART_WIDTH / max(len(hourly), 1)
    columns = []
    for index, (hour, ok, bad) in enumerate(hourly):
        ok_height = CHART_HEIGHT * ok / top
        bad_height = CHART_HEIGHT * bad / top
        columns.append(
            {
                "x": round(index * width, 2),
                "width": round(max(width - 1, 0.5), 2),
                "ok_y": round(CHART_HEIGHT - ok_height, 2),
                "ok_height": round(ok_height, 2),
                "bad_y": round(CHART_HEIGHT - ok_height - bad_height, 2),
                "bad_height": round(bad_height, 2),
                "title": f"{hour:%a %H:00}: {ok} finished, {bad} failed",
            }
        )
    return {"columns": columns, "top": top, "width": CHART_WIDTH, "height": CHART_HEIGHT}


@never_cache
@staff_member_required
def status_page(request: HttpRequest) -> HttpResponse:
    now = status.site_status()
    context = {
        **admin.site.each_context(request),
        "title": "Site status",
        "status": now,
        "chart_day": bars(now.hourly_24h),
        "chart_week": bars(now.hourly),
    }
    return TemplateResponse(request, "admin/gallery/status.html", context)
