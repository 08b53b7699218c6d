"""The OpenAPI description served at /api/openapi.json is valid (openapi-spec-validator) and
describes every route under /cpro/ and the token endpoint."""

import pytest
from django.urls import URLPattern, URLResolver, get_resolver
from openapi_spec_validator import validate

pytestmark = pytest.mark.django_db


def routes(patterns=None, prefix=""):
    for pattern in patterns if patterns is not None else get_resolver().url_patterns:
        if isinstance(pattern, URLResolver):
            yield from routes(pattern.url_patterns, prefix + str(pattern.pattern))
        elif isinstance(pattern, URLPattern):
            yield "/" + prefix + str(pattern.pattern)


def test_description_is_valid_and_complete(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200 and response["Content-Type"] == "application/json"
    spec = response.json()
    validate(spec)
    cpro = sorted(r for r in routes() if r.startswith("/cpro/"))
    assert len(cpro) == 19
    assert sorted(p for p in spec["paths"] if p.startswith("/cpro/")) == cpro
    assert "/api/oauth/token" in spec["paths"]
    assert spec["paths"]["/cpro/transverses/v1/health-check"].keys() == {"get"}
    assert "20003" in spec["info"]["description"]


def test_a_route_without_description_would_be_seen(client):
    spec = client.get("/api/openapi.json").json()
    del spec["paths"]["/cpro/factures/v1/soumettre"]
    cpro = sorted(r for r in routes() if r.startswith("/cpro/"))
    assert sorted(p for p in spec["paths"] if p.startswith("/cpro/")) != cpro
