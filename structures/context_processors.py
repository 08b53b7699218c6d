"""Template context about the user's structures, for every page of a connected user.

Register in settings: ``"structures.context_processors.current_structure"``.

Values are lazy: a page that shows none of them costs no query; one that does costs at most two
(the user's active memberships with their structure, then a COUNT of the pending requests when the
user is a gestionnaire principal). ``accounts`` does not import ``structures``: the connected home
page shows the ``dashboard_tiles`` given here.
"""

from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from structures import selectors


def _dashboard_tiles(request) -> list[dict]:
    membership = selectors.current_membership(request)
    if membership is None:
        return [
            {
                "title": _("Ma structure"),
                "url": reverse("structures:home"),
                "detail": _("Créez la fiche de votre structure ou demandez à rejoindre une structure existante"),
            }
        ]
    tiles = [
        {
            "title": _("Ma structure"),
            "url": reverse("structures:home"),
            "detail": membership.structure.name,
        }
    ]
    if membership.is_main_manager:
        count = selectors.pending_requests_count(request)
        tiles.append(
            {
                "title": _("Activités du gestionnaire"),
                "url": reverse("structures:activities"),
                "detail": ngettext(
                    "%(count)d demande de rattachement en attente",
                    "%(count)d demandes de rattachement en attente",
                    count,
                )
                % {"count": count}
                if count
                else _("Utilisateurs, services et coordonnées bancaires"),
            }
        )
    return tiles


def current_structure(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {
        "current_structure": SimpleLazyObject(lambda: selectors.current_structure(request)),
        "current_membership": SimpleLazyObject(lambda: selectors.current_membership(request)),
        "user_structures": SimpleLazyObject(lambda: [m.structure for m in selectors.request_memberships(request)]),
        "pending_requests_count": SimpleLazyObject(lambda: selectors.pending_requests_count(request)),
        "dashboard_tiles": SimpleLazyObject(lambda: _dashboard_tiles(request)),
    }
