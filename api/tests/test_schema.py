"""The OpenAPI schema and the interactive docs, both public, both from the site itself."""

import re

import pytest
from django.contrib.staticfiles import finders
from django.urls import reverse
from drf_spectacular.validation import validate_schema
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db
SCHEMA, DOCS = reverse("api:schema"), reverse("api:docs")


@pytest.fixture
def schema(client):
    response = client.get(SCHEMA)
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/vnd.oai.openapi+json")
    return response.json()


def test_the_schema_is_valid_openapi(schema):
    validate(schema)  # openapi-spec-validator: raises on any error


def test_the_schema_passes_drf_spectaculars_own_validator(schema):
    validate_schema(schema)


def test_the_schema_describes_every_endpoint(schema):
    assert {path: sorted(operations) for path, operations in schema["paths"].items()} == {
        "/api/v1/jobs": ["post"],
        "/api/v1/jobs/{id}": ["delete", "get", "patch"],
        "/api/v1/models": ["get"],
    }
    assert set(schema["paths"]["/api/v1/jobs"]["post"]["requestBody"]["content"]) == {"multipart/form-data"}
    assert set(schema["paths"]["/api/v1/jobs"]["post"]["responses"]) == {"201", "400", "401", "413", "429", "503"}


def test_the_schema_says_how_to_authenticate(schema):
    assert schema["components"]["securitySchemes"]["apiKey"]["scheme"] == "bearer"
    assert all(
        operation["security"] == [{"apiKey": []}]
        for operations in schema["paths"].values()
        for operation in operations.values()
    )


def test_the_docs_page_loads_swagger_ui_from_the_sites_own_files(client):
    response = client.get(DOCS)
    assert response.status_code == 200
    sources = re.findall(r'(?:src|href)="([^"]+)"', response.text)
    assert {"/static/drf_spectacular_sidecar/swagger-ui-dist/swagger-ui-bundle.js", f"{DOCS}?script="} <= set(sources)
    assert all(source.startswith("/") for source in sources)  # nothing from another site
    for source in sources:
        if source.startswith("/static/"):
            assert finders.find(source.removeprefix("/static/")), source


def test_the_docs_page_has_no_inline_script(client):
    page = client.get(DOCS).text
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", page) == []


def test_the_docs_start_up_script_points_at_the_schema(client):
    response = client.get(DOCS, {"script": ""})
    assert response.status_code == 200
    assert response["Content-Type"].startswith("application/javascript")
    assert f'"{SCHEMA}"' in response.text or f"'{SCHEMA}'" in response.text
