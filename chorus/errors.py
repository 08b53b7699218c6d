"""DSFR error pages whose Django defaults would not show the French reason."""

from django.http import HttpResponseServerError
from django.shortcuts import render
from django.template import loader

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
