"""The connected home page (Accueil connecté), one page fitting each role; reads in ``invoices.home``.

- a supplier member: what waits for them in the current structure (counts linked to the matching
  Rechercher search), the feed of their structures, the news;
- a ministry agent (staff member of a public structure): the received invoices to process, linked to
  the financial services' admin, never a supplier action;
- support: the sollicitations waiting for an answer;
- a user without structure: how to join one; the feed of their own requests.

Queries (supplier, one structure; tests/invoices/test_home.py): session from the cache, user,
memberships, pending requests when gestionnaire principal, the 4 capped counts (one query), invoice
events, attachment decisions with support answers and news (one query, ``home.feed_and_news``):
**6** at most, whatever the number of invoices.
"""

from django.contrib.auth.decorators import login_required
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from invoices import figures, home
from structures import access
from structures import selectors as structure_selectors
from structures.models import StructureKind


@login_required
@require_GET
def connected_home(request):
    user = request.user
    memberships = structure_selectors.request_memberships(request)
    current = structure_selectors.current_structure(request)
    suppliers = sorted(
        (m.structure for m in memberships if m.structure.kind == StructureKind.PRIVATE), key=lambda s: s.name
    )
    recipients = [m.structure for m in memberships if m.structure.kind == StructureKind.PUBLIC]
    supplier = current if current is not None and current.kind == StructureKind.PRIVATE else None
    agent = bool(recipients) and user.is_staff and user.is_active
    context = {
        "page_title": _("Accueil connecté"),
        "supplier": supplier,
        "suppliers": suppliers,
        "feed_truncated": len(suppliers) > home.FEED_STRUCTURES,
        "feed_structures": home.FEED_STRUCTURES,
        "recipients": recipients if agent else [],
        "is_support": user.is_staff and access.is_support(user, all_permissions=False),
        "cap": figures.COUNT_CAP,
    }
    context["feed"], context["news"] = home.feed_and_news(
        user, suppliers=suppliers, structure_ids=[m.structure_id for m in memberships]
    )
    if supplier is not None:
        context["waiting"] = home.waiting(supplier)
    if agent:
        context["agent_counts"] = home.agent_counts(recipients)
    if context["is_support"]:
        context["support_waiting"] = home.support_waiting()
    return render(request, "invoices/home.html", context)
