"""URLs of the API: ``api/`` (token, OpenAPI description) and ``cpro/`` (the registered services)."""

from django.urls import path

from invoices.api import oauth, openapi
from invoices.api.endpoint import REGISTRY

api_urlpatterns = [
    path("oauth/token", oauth.token, name="api_oauth_token"),
    path("openapi.json", openapi.openapi_json, name="api_openapi"),
]

cpro_urlpatterns = [path(ep.path, ep.view, name="cpro-" + ep.path.replace("/", "-")) for ep in REGISTRY.values()]
