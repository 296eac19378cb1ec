from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

from gallery import admin_status

urlpatterns = [
    path("robots.txt", TemplateView.as_view(template_name="robots.txt", content_type="text/plain")),
    path("admin/status/", admin_status.status_page, name="admin_status"),
    path("admin/", admin.site.urls),
    path("api/v1/", include("api.urls")),
    path("", include("gallery.urls")),
]

# A database outage is a 503 page that says so, not a bare 500 (colorsite.errors).
handler500 = "colorsite.errors.server_error_or_unavailable"
