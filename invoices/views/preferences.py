"""The user's e-mail preferences ("Mes notifications") for each of their supplier structures."""

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _

from structures import access
from structures import services as structure_services
from structures.models import StructureKind


@login_required
def notification_preferences(request):
    """The user's own e-mail preferences, for each supplier structure they are an active member of."""
    memberships = list(
        access.active_memberships(request.user)
        .filter(structure__kind=StructureKind.PRIVATE)
        .select_related("structure")
        .order_by("structure__name")
    )
    if request.method == "POST":
        for membership in memberships:
            structure_services.membership_set_notifications(
                membership=membership,
                user=request.user,
                notify_invoice_events=request.POST.get(f"notify-{membership.pk}") == "on",
                daily_digest=request.POST.get(f"digest-{membership.pk}") == "on",
            )
        messages.success(request, _("Vos préférences de notification sont enregistrées."))
        return redirect("invoices:notifications")
    return render(
        request,
        "invoices/notification_preferences.html",
        {
            "page_title": _("Mes notifications"),
            "memberships": memberships,
            "notification_email": request.user.notification_email,
        },
    )
