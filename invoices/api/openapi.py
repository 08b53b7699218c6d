"""The OpenAPI 3.0 description of the API, built from the registered services (so a service
cannot be served without being described), served at ``/api/openapi.json``."""

from django.conf import settings
from django.http import JsonResponse
from django.views.decorators.http import require_GET

from invoices.api import annuaire, factures, protocol, transverses  # noqa: F401  (they register the services)
from invoices.api.endpoint import REGISTRY

ENVELOPE = {
    "codeRetour": {
        "type": "integer",
        "description": "0 : succès ; 20000 : recherche sans résultat ; autres : voir la description de l'API.",
    },
    "libelle": {"type": "string"},
}


def _codes() -> str:
    return "\n".join(f"- `{code}` : {label}" for code, label in sorted(protocol.CODES.items()))


def _operation(ep) -> dict:
    operation = {
        "operationId": ep.path.replace("/", "_").replace("-", "_"),
        "summary": ep.summary,
        "tags": [ep.tag],
        "security": [{"bearer": [], "cproAccount": []}] if ep.technical_user else [{"bearer": []}],
        "responses": {
            "200": {
                "description": "Toujours HTTP 200 : le résultat est dans codeRetour (0 = succès).",
                "content": {
                    "application/json": {
                        "schema": {
                            "type": "object",
                            "required": ["codeRetour", "libelle"],
                            "properties": {**ENVELOPE, **ep.response},
                        }
                    }
                },
            },
            "405": {"description": "Mauvaise méthode HTTP."},
        },
    }
    if ep.method == "post":
        operation["requestBody"] = {
            "required": False,
            "content": {"application/json": {"schema": ep.request or {"type": "object"}}},
        }
    return operation


def description(server_url: str = "/") -> dict:
    paths = {f"/cpro/{ep.path}": {ep.method: _operation(ep)} for ep in REGISTRY.values()}
    paths["/api/oauth/token"] = {
        "post": {
            "operationId": "oauth_token",
            "summary": "Jeton d'accès (client credentials)",
            "tags": ["oauth"],
            "security": [{}, {"basic": []}],
            "requestBody": {
                "required": True,
                "content": {
                    "application/x-www-form-urlencoded": {
                        "schema": {
                            "type": "object",
                            "required": ["grant_type"],
                            "properties": {
                                "grant_type": {"type": "string", "enum": ["client_credentials"]},
                                "client_id": {"type": "string"},
                                "client_secret": {"type": "string"},
                                "scope": {"type": "string", "example": "openid"},
                            },
                        }
                    }
                },
            },
            "responses": {
                "200": {
                    "description": "Jeton Bearer valable expires_in secondes.",
                    "content": {
                        "application/json": {
                            "schema": {
                                "type": "object",
                                "required": ["access_token", "token_type", "expires_in", "scope"],
                                "properties": {
                                    "access_token": {"type": "string"},
                                    "token_type": {"type": "string", "enum": ["Bearer"]},
                                    "expires_in": {"type": "integer", "example": 3600},
                                    "scope": {"type": "string", "example": "openid"},
                                },
                            }
                        }
                    },
                },
                "400": {"description": "grant_type absent ou autre que client_credentials."},
                "401": {"description": "Identifiant ou secret invalide, application révoquée ou expirée."},
                "429": {"description": "Trop de demandes de jeton."},
            },
        }
    }
    return {
        "openapi": "3.0.3",
        "info": {
            "title": "Chorus Pro libre — API",
            "version": "1.0.0",
            "description": (
                "Les services de l'API Chorus Pro (PISTE) pour les logiciels des fournisseurs. Chaque appel "
                "`/cpro/…` porte `Authorization: Bearer <jeton>` (voir `/api/oauth/token`) et "
                "`cpro-account: base64(login:mot de passe)` de l'utilisateur technique.\n\nCodes retour :\n"
                + _codes()
                + ("\n\nInstance de **qualification** : données de démonstration." if settings.QUALIFICATION else "")
            ),
        },
        "servers": [{"url": server_url}],
        "paths": dict(sorted(paths.items())),
        "components": {
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "basic": {"type": "http", "scheme": "basic"},
                "cproAccount": {"type": "apiKey", "in": "header", "name": "cpro-account"},
            }
        },
    }


@require_GET
def openapi_json(request):
    return JsonResponse(description(), json_dumps_params={"ensure_ascii": False, "indent": 1})
