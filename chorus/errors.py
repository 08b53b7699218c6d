"""DSFR error pages whose Django defaults would not show the French reason."""

from django.conf import settings
from django.http import Http404, HttpResponseServerError
from django.shortcuts import render
from django.template import loader
from django.urls import Resolver404, resolve
from django.views.defaults import page_not_found

from chorus.context_processors import SITE_CONFIG


def csrf_failure(request, reason=""):
    return render(
        request,
        "403.html",
        {
            "reason": "La session a expiré ou le formulaire n'est plus valide. Revenez en arrière, rechargez la page et réessayez."
        },
        status=403,
    )


def permission_denied(request, exception=None):
    """403 with the French reason given to PermissionDenied, when there is one."""
    reason = str(exception) if exception is not None else ""
    return render(request, "403.html", {"reason": reason}, status=403)


def server_error(request):
    """500 without the request's context processors (they may be what failed), as Django's own
    handler does, but with the portal's identity, which is fixed in code: the header's tagline and
    the footer's description are not left empty."""
    return HttpResponseServerError(loader.get_template("500.html").render({"SITE_CONFIG": SITE_CONFIG}))


class DebugNotFoundMiddleware:
    """With ``DEBUG`` on (the settings of ``make run``, ``chorus.settings.dev``), Django answers a
    404 with its English technical page; this middleware serves the portal's French DSFR page
    instead, for an unknown address as for a ``Http404`` raised by a view. Production runs with
    ``DEBUG`` off, where Django's own handler renders the same ``404.html``. Placed after
    ``CommonMiddleware``, which still adds the missing final slash (its redirect looks at the 404)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        if response.status_code == 404 and settings.DEBUG:
            try:
                resolve(request.path_info)
            except Resolver404 as exc:
                return page_not_found(request, exc)
        return response

    def process_exception(self, request, exception):
        if isinstance(exception, Http404) and settings.DEBUG:
            return page_not_found(request, exception)
        return None
