"""The search criteria of "Factures émises" (Rechercher, Archives, and their CSV export): a GET form,
so that a search is a bookmarkable URL; each bad criterion gets a French message next to its field."""

import re

from django import forms
from django.utils.translation import gettext_lazy as _

from chorus.prepared import PreparedQuery
from invoices import workflow
from invoices.forms.fields import FrenchDecimalField
from invoices.models import MAX_ENGAGEMENT_LENGTH, MAX_NUMBER_LENGTH, Cadre, InvoiceType
from invoices.workflow import Status
from structures.models import Service

# The sort columns: URL value → (model field, label, default direction descending?).
SORTS = {
    "creation": ("created_at", _("date de création"), True),
    "numero": ("number", _("numéro de facture"), False),
    "date_facture": ("invoice_date", _("date de facture"), True),
    "date_depot": ("sent_at", _("date de dépôt"), True),
    "montant": ("amount_ttc", _("montant TTC"), True),
}
DEFAULT_SORT = "-creation"

KIND_CHOICES = [("", _("Toutes")), ("brouillons", _("Brouillons")), ("envoyees", _("Envoyées"))]
STATE_CHOICES = [("", _("Tous")), ("etat", _("État")), ("hors_etat", _("Hors État"))]
_DIGITS_AND_SPACES = re.compile(r"[0-9 .\u00a0\u202f]+")
DATE_INPUT_FORMATS = ["%Y-%m-%d", "%d/%m/%Y"]
DATE_ERROR = _("Saisissez une date valide, par exemple 31/12/2026.")
AMOUNT_ERROR = _("Saisissez un montant, par exemple 1 234,56.")


class SearchDateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label):
    return forms.DateField(
        label=label,
        required=False,
        input_formats=DATE_INPUT_FORMATS,
        widget=SearchDateInput,
        error_messages={"invalid": DATE_ERROR},
    )


def _amount_field(label):
    return FrenchDecimalField(
        label=label,
        required=False,
        max_digits=15,
        decimal_places=2,
        min_value=0,
        error_messages={
            "invalid": AMOUNT_ERROR,
            "min_value": _("Le montant ne peut pas être négatif."),
            "max_decimal_places": _("Au plus 2 décimales."),
            "max_digits": _("Montant trop grand."),
            "max_whole_digits": _("Montant trop grand."),
        },
    )


# Read on every page of "Rechercher" and "Archives": compiled once per process (chorus/prepared.py).
_SERVICES_OF_STRUCTURE = PreparedQuery(
    lambda structure_id: Service.objects.filter(structure_id=structure_id).order_by("code")
)


def supplier_services(supplier) -> list[Service]:
    """The services of the supplier, ordered by code: the choices of the "service" criterion."""
    return _SERVICES_OF_STRUCTURE.list(supplier.pk)


class InvoiceSearchForm(forms.Form):
    """Bound to ``request.GET``. ``archives`` keeps the end statuses only (and no drafts criterion);
    ``supplier`` offers its own services, when it has any."""

    onglet = forms.ChoiceField(label=_("Factures"), choices=KIND_CHOICES, required=False, widget=forms.RadioSelect)
    destinataire_etat = forms.ChoiceField(
        label=_("Type de destinataire"), choices=STATE_CHOICES, required=False, widget=forms.RadioSelect
    )
    statut = forms.MultipleChoiceField(
        label=_("Statut"), choices=Status.choices, required=False, widget=forms.CheckboxSelectMultiple
    )
    type = forms.ChoiceField(
        label=_("Type"), choices=[("", _("Factures et avoirs")), *InvoiceType.choices], required=False
    )
    cadre = forms.ChoiceField(
        label=_("Cadre de facturation"), choices=[("", _("Tous les cadres")), *Cadre.choices], required=False
    )
    service = forms.TypedChoiceField(
        label=_("Service fournisseur"),
        coerce=int,
        required=False,
        empty_value=None,
        error_messages={"invalid_choice": _("Choisissez un des services de votre structure.")},
    )
    numero = forms.CharField(label=_("Numéro de facture"), max_length=MAX_NUMBER_LENGTH, required=False)
    identifiant = forms.CharField(
        label=_("Identifiant"), max_length=30, required=False, help_text=_("Par exemple FAC-2026-0000123")
    )
    ej = forms.CharField(label=_("N° d'engagement (EJ)"), max_length=MAX_ENGAGEMENT_LENGTH, required=False)
    destinataire = forms.CharField(
        label=_("Destinataire : SIRET ou raison sociale"),
        max_length=255,
        required=False,
        help_text=_("Début du SIRET (3 chiffres au moins) ou partie de la raison sociale"),
    )
    facture_du = _date_field(_("Date de facture, du"))
    facture_au = _date_field(_("Date de facture, au"))
    depot_du = _date_field(_("Date de dépôt, du"))
    depot_au = _date_field(_("Date de dépôt, au"))
    montant_min = _amount_field(_("Montant TTC, de"))
    montant_max = _amount_field(_("Montant TTC, à"))
    en_retard = forms.BooleanField(
        label=_("En retard de paiement"),
        required=False,
        help_text=_("Factures dont le délai de paiement du destinataire est dépassé et qui ne sont pas encore payées"),
    )
    rejet_non_traite = forms.BooleanField(
        label=_("Rejets non traités"),
        required=False,
        help_text=_("Factures rejetées dont vous n'avez pas encore traité le rejet (« Traiter le rejet »)"),
    )
    # The sort of the result (links of the column headers), kept when the form is sent again; an
    # unknown value falls back to the default sort (``sort()``) rather than being an error.
    tri = forms.CharField(required=False, max_length=20, widget=forms.HiddenInput)

    def __init__(self, *args, supplier=None, services=None, archives: bool = False, **kwargs):
        super().__init__(*args, **kwargs)
        self.archives = archives
        if archives:
            del self.fields["onglet"]
            del self.fields["en_retard"]  # a late invoice's clock still runs: never in an end status
            self.fields["statut"].choices = [(s.value, s.label) for s in Status if s in workflow.END_STATUSES]
        # The supplier's services, read once (the choices, then the check of the value sent).
        if services is None:
            services = supplier_services(supplier) if supplier is not None else []
        if services:
            self.fields["service"].choices = [
                ("", _("Tous les services")),
                *((str(service.pk), f"{service.code} — {service.name}") for service in services),
            ]
        else:
            del self.fields["service"]
        for name in ("numero", "identifiant", "ej", "destinataire"):
            self.fields[name].error_messages["max_length"] = _(
                "Au plus %(limit_value)d caractères (vous en avez saisi %(show_value)d)."
            )

    def clean_destinataire(self):
        value = " ".join(self.cleaned_data["destinataire"].split())
        if not value:
            return ""
        if _DIGITS_AND_SPACES.fullmatch(value):
            digits = re.sub(r"\D", "", value)
            if len(digits) < 3:
                raise forms.ValidationError(_("Saisissez au moins 3 chiffres du SIRET."))
            if len(digits) > 14:
                raise forms.ValidationError(_("Un SIRET comporte 14 chiffres."))
            return digits
        if len(value) < 2:
            raise forms.ValidationError(_("Saisissez au moins 2 caractères de la raison sociale."))
        return value

    def clean_tri(self):
        value = self.cleaned_data["tri"]
        return value if value.lstrip("-") in SORTS else ""

    def clean_identifiant(self):
        return self.cleaned_data["identifiant"].strip().upper()

    def clean(self):
        data = super().clean()
        dates = _("La date « au » doit être égale ou postérieure à la date « du ».")
        amounts = _("Le montant « à » doit être supérieur ou égal au montant « de ».")
        for start, end, message in (
            ("facture_du", "facture_au", dates),
            ("depot_du", "depot_au", dates),
            ("montant_min", "montant_max", amounts),
        ):
            low, high = data.get(start), data.get(end)
            if low is not None and high is not None and low > high:
                self.add_error(end, message)
        return data

    # --- What the page and the selector read ---------------------------------------------------

    def criteria(self) -> dict:
        """The valid criteria (empty ones left out); call after ``is_valid()``."""
        data = getattr(self, "cleaned_data", {})
        return {name: value for name, value in data.items() if name != "tri" and value not in (None, "", [], False)}

    def sort(self) -> tuple[str, bool]:
        """``(sort key, descending)``: the one in the URL if known, else the default (a sort is
        kept even when another criterion is wrong)."""
        value = self.data.get("tri", "") if self.is_bound else ""
        if not isinstance(value, str) or value.lstrip("-") not in SORTS:
            value = DEFAULT_SORT
        return value.lstrip("-"), value.startswith("-")
