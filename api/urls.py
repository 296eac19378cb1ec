"""/api/v1/: the jobs, the models, the OpenAPI schema and its interactive docs (Swagger UI from
the site's own static files; its start-up script is a same-origin file, as the CSP wants)."""

from django.urls import path
from drf_spectacular.views import SpectacularJSONAPIView, SpectacularSwaggerSplitView

from api import views

app_name = "api"
urlpatterns = [
    path("jobs", views.JobCreateView.as_view(), name="jobs"),
    path("jobs/<uuid:id>", views.JobDetailView.as_view(), name="job_detail"),
    path("models", views.ModelListView.as_view(), name="models"),
    path("openapi.json", SpectacularJSONAPIView.as_view(), name="schema"),
    path("docs", SpectacularSwaggerSplitView.as_view(url_name="api:schema"), name="docs"),
]
