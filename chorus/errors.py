"""DSFR error pages whose Django defaults would not show the French reason."""

from django.shortcuts import render


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
