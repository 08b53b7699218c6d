"""What the supplier pages share: the current supplier structure, and where to go without one."""

from django.contrib import messages
from django.shortcuts import redirect
from django.utils.translation import gettext as _

from structures import selectors as structure_selectors
from structures.models import Structure, StructureKind


def current_supplier(request) -> Structure | None:
    structure = structure_selectors.current_structure(request)
    if structure is None or structure.kind != StructureKind.PRIVATE:
        return None
    return structure


def no_structure(request):
    messages.info(request, _("Rattachez-vous d'abord à une structure fournisseur pour déposer des factures."))
    return redirect("structures:home")
