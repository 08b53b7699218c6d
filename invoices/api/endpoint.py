"""The door every ``/cpro/`` service goes through, and the registry the URLs and the OpenAPI
description are built from.

``@endpoint("factures/v1/deposer/flux", ...)`` registers a service and wraps it: the method, the
bearer token (its live application), the rate limit of the application, the ``cpro-account``
header (a live technical user of the same structure, still an active member of it), the JSON
body; then the service runs with a ``Call`` and the body, and its answer or error is recorded in
the journal (``ApiCall``). Errors of the services keep their French messages: a
``ValidationError`` or a ``TransitionError`` is REFUSED, an object of another structure is
NOT_FOUND, exactly like one that does not exist.
"""

import base64
import binascii
import logging
from dataclasses import dataclass, field
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import Http404, JsonResponse
from django.utils import timezone
from django.views.decorators.csrf import csrf_exempt

from invoices import workflow
from invoices.api import protocol
from invoices.api.protocol import ApiError
from invoices.services.flux import validation_messages
from structures.models import ApiApplication, Structure, TechnicalUser
from structures.services import api_accounts

logger = logging.getLogger("invoices.api")


@dataclass
class Call:
    """Who is calling: the application, the technical user, their structure and portal account."""

    application: ApiApplication
    technical_user: TechnicalUser | None
    reference: str = ""

    @property
    def structure(self) -> Structure:
        return self.application.structure

    @property
    def user(self):
        return self.technical_user.user if self.technical_user else None


@dataclass
class Endpoint:
    path: str
    view: object
    summary: str
    method: str = "post"
    technical_user: bool = True
    request: dict = field(default_factory=dict)
    response: dict = field(default_factory=dict)
    tag: str = ""


REGISTRY: dict[str, Endpoint] = {}


def bearer_token(request) -> str:
    header = request.META.get("HTTP_AUTHORIZATION", "")
    scheme, _sep, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


def cpro_account(request) -> tuple[str, str] | None:
    """(login, password) of the ``cpro-account`` header: base64 of ``login:password``."""
    raw = request.META.get("HTTP_CPRO_ACCOUNT", "").strip()
    if not raw or len(raw) > 1000:
        return None
    try:
        decoded = base64.b64decode(raw, validate=True).decode("utf-8")
    except (binascii.Error, ValueError):
        return None
    login, sep, password = decoded.partition(":")
    return (login, password) if sep and login and password else None


def rate_limited(application: ApiApplication) -> bool:
    """Calls per application and per minute, in the cache (shared by the web processes)."""
    window = int(timezone.now().timestamp() // 60)
    key = f"api-rate:{application.pk}:{window}"
    if cache.add(key, 1, timeout=120):
        count = 1
    else:
        try:
            count = cache.incr(key)
        except ValueError:  # expired between add and incr
            cache.set(key, 1, timeout=120)
            count = 1
    return count > settings.API_RATE_LIMIT_PER_MINUTE


def _error_answer(exc: ApiError) -> JsonResponse:
    return protocol.answer(exc.code, exc.libelle, **exc.extra)


def endpoint(path: str, *, summary: str, method: str = "post", technical_user: bool = True, tag: str = "", **schema):
    """Register and wrap a service ``view(call, body) -> dict`` (its answer's data)."""

    def decorator(view):
        @csrf_exempt
        @wraps(view)
        def wrapped(request):
            if request.method.lower() != method:
                return JsonResponse(
                    {"codeRetour": protocol.BAD_PARAMETER, "libelle": f"Ce service s'appelle en {method.upper()}."},
                    status=405,
                    headers={"Allow": method.upper()},
                )
            application = api_accounts.token_application(bearer_token(request))
            if application is None:
                return _error_answer(ApiError(protocol.BAD_TOKEN))
            call = Call(application=application, technical_user=None)
            try:
                if rate_limited(application):
                    raise ApiError(protocol.RATE_LIMITED)
                credentials = cpro_account(request)
                if credentials:
                    call.technical_user = api_accounts.technical_user_authenticate(
                        structure_id=application.structure_id, login=credentials[0], password=credentials[1]
                    )
                if technical_user and call.technical_user is None:
                    raise ApiError(protocol.BAD_ACCOUNT)
                body = protocol.read_json(request) if method == "post" else {}
                data = view(call, body) or {}
                code = data.pop("codeRetour", protocol.OK)
                response = protocol.answer(code, data.pop("libelle", ""), **data)
            except ApiError as exc:
                code, response = exc.code, _error_answer(exc)
            except (Http404, PermissionDenied):
                code, response = protocol.NOT_FOUND, _error_answer(ApiError(protocol.NOT_FOUND))
            except ValidationError as exc:
                errors = validation_messages(exc)
                code = protocol.REFUSED
                response = protocol.answer(
                    code, " ".join(e["message"] for e in errors) or protocol.CODES[code], listeErreurs=errors
                )
            except workflow.TransitionError as exc:
                code, response = protocol.REFUSED, protocol.answer(protocol.REFUSED, str(exc))
            api_accounts.api_call_record(
                application=application,
                technical_user=call.technical_user,
                endpoint=path,
                code=code,
                reference=call.reference,
            )
            return response

        REGISTRY[path] = Endpoint(
            path=path,
            view=wrapped,
            summary=summary,
            method=method,
            technical_user=technical_user,
            tag=tag or path.split("/")[0],
            request=schema.get("request", {}),
            response=schema.get("response", {}),
        )
        return wrapped

    return decorator
