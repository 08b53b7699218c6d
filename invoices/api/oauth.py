"""``POST /api/oauth/token``: OAuth 2 client credentials (RFC 6749 §4.4), as PISTE answers it.

The client id and secret come in the form body (``client_id``, ``client_secret``: the
``chorus-api`` package, OCA's modules) or as HTTP Basic (``Authorization: Basic``: clients built
on an OAuth library); ``scope`` is optional and always ``openid``. Errors follow RFC 6749 §5.2
(``invalid_client`` with 401, ``unsupported_grant_type`` with 400), with a French description.
Token requests are limited per client id and per minute.
"""

import base64
import binascii
from urllib.parse import unquote_plus

from django.conf import settings
from django.core.cache import cache
from django.http import JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_POST

from structures.services import api_accounts


def _error(error: str, description: str, status: int) -> JsonResponse:
    response = JsonResponse(
        {"error": error, "error_description": description}, status=status, json_dumps_params={"ensure_ascii": False}
    )
    if status == 401:
        response["WWW-Authenticate"] = 'Basic realm="chorus"'
    response["Cache-Control"] = "no-store"
    return response


def _basic_credentials(request) -> tuple[str, str] | None:
    scheme, _sep, value = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
    if scheme.lower() != "basic" or not value:
        return None
    try:
        decoded = base64.b64decode(value.strip(), validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    client_id, sep, secret = decoded.partition(":")
    # RFC 6749 §2.3.1: both are form-urlencoded before the Basic encoding.
    return (unquote_plus(client_id), unquote_plus(secret)) if sep else None


def _throttled(client_id: str) -> bool:
    key = f"api-token-rate:{client_id[:64]}:{int(timezone.now().timestamp() // 60)}"
    if cache.add(key, 1, timeout=120):
        return False
    try:
        return cache.incr(key) > settings.API_TOKEN_RATE_LIMIT_PER_MINUTE
    except ValueError:
        return False


@csrf_exempt
@require_POST
def token(request):
    if len(request.body) > 4096:
        return _error("invalid_request", "Requête trop volumineuse.", 400)
    if request.POST.get("grant_type", "") != "client_credentials":
        return _error("unsupported_grant_type", "Seul grant_type=client_credentials est accepté.", 400)
    credentials = _basic_credentials(request) or (
        request.POST.get("client_id", ""),
        request.POST.get("client_secret", ""),
    )
    client_id, secret = credentials
    if not client_id or not secret:
        return _error("invalid_client", "client_id et client_secret sont obligatoires (formulaire ou HTTP Basic).", 401)
    if _throttled(client_id):
        return _error("slow_down", "Trop de demandes de jeton pour cette application : réessayez dans une minute.", 429)
    application = api_accounts.application_authenticate(client_id=client_id, client_secret=secret)
    if application is None:
        return _error("invalid_client", "Identifiant ou secret de l'application invalide, révoqué ou expiré.", 401)
    access_token, lifetime = api_accounts.token_issue(application=application)
    response = JsonResponse(
        {"access_token": access_token, "token_type": "Bearer", "expires_in": int(lifetime), "scope": "openid"}
    )
    response["Cache-Control"] = "no-store"
    response["Pragma"] = "no-cache"
    return response
