"""Health check for operators and load balancers: database and broker, as JSON.

200 when both answer, 503 otherwise. Cheap enough to be polled every few seconds. Anonymous
callers get the bare status; the details (database vendor, broker transport, timings, error
classes) are shown to staff and to callers sending ``Authorization: Bearer <HEALTH_CHECK_TOKEN>``.
"""

import hmac
import time

from django.conf import settings
from django.db import connection
from django.http import JsonResponse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET

from chorus.celery import app


def _check_database() -> dict:
    start = time.perf_counter()
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # noqa: BLE001 - any failure is reported, never raised
        return {"status": "erreur", "detail": exc.__class__.__name__}
    return {"status": "ok", "vendor": connection.vendor, "ms": round((time.perf_counter() - start) * 1000, 1)}


def _check_broker() -> dict:
    if settings.CELERY_TASK_ALWAYS_EAGER:
        return {"status": "ok", "mode": "en processus"}
    start = time.perf_counter()
    # Bounded: one try, each socket wait at most HEALTH_CHECK_TIMEOUT (a frozen Redis accepts the
    # connection and never answers), so the check answers 503 instead of hanging.
    timeout = settings.HEALTH_CHECK_TIMEOUT
    try:
        with app.connection_for_write(
            connect_timeout=timeout, transport_options={"socket_timeout": timeout, "socket_connect_timeout": timeout}
        ) as conn:
            conn.ensure_connection(max_retries=0, timeout=timeout)
            transport = conn.transport_cls
    except Exception as exc:  # noqa: BLE001
        return {"status": "erreur", "detail": exc.__class__.__name__}
    return {"status": "ok", "transport": str(transport), "ms": round((time.perf_counter() - start) * 1000, 1)}


def _may_see_details(request) -> bool:
    """Staff, or a caller presenting the configured token; never anyone when no token is set."""
    if request.user.is_authenticated and request.user.is_active and request.user.is_staff:
        return True
    token = settings.HEALTH_CHECK_TOKEN
    scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
    if not token or scheme.lower() != "bearer" or not presented:
        return False
    return hmac.compare_digest(presented.strip().encode(), token.encode())


@never_cache
@require_GET
def health(request):
    checks = {"database": _check_database(), "broker": _check_broker()}
    healthy = all(check["status"] == "ok" for check in checks.values())
    body = {"status": "ok" if healthy else "erreur"}
    if _may_see_details(request):
        body.update(checks)
    return JsonResponse(body, status=200 if healthy else 503)


@never_cache
@require_GET
def alive(request):
    """Liveness probe: the web process answers, nothing else is checked (no database, no broker,
    no session). Load balancers that only need to know the process is up poll this one; the
    benchmark uses it as the anonymous trivial view that every page rate is compared with."""
    return JsonResponse({"status": "ok"})
