"""DSFR error page for a failed CSRF check (Django's own is unstyled English)."""

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
