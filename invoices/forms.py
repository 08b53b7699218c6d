"""Forms of the invoice pages: deposit of a PDF, the invoice form (deposited PDF or typed
invoice), its lines and VAT breakdown, the mandate.

Forms check formats and normalise (French decimals "1 234,56", dates, lengths) and turn the
recipient search into a structure; the business rules live in ``invoices/services.py``.
"""

from decimal import Decimal, InvalidOperation

from django import forms
from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.forms.utils import ErrorDict
from django.utils.translation import gettext_lazy as _

from chorus import formats
from invoices import selectors
from invoices.models import (
    MAX_ENGAGEMENT_LENGTH,
    MAX_NUMBER_LENGTH,
    VAT_RATE_CHOICES,
    Cadre,
    Invoice,
    InvoiceType,
    PaymentMode,
)
from structures.models import BankAccount, Service, Structure

FORMAT_UNSIGNED = "PDF"
FORMAT_SIGNED = "PDF_SIGNE"
_SPACES = (" ", "\u00a0", "\u202f")


class FrenchDecimalField(forms.DecimalField):
    """A decimal typed the French way: "1 234,56" (a dot is accepted too); shown with a comma."""

    def __init__(self, *args, min_places: int = 2, **kwargs):
        self.min_places = min_places
        kwargs.setdefault("localize", False)
        super().__init__(*args, **kwargs)

    def widget_attrs(self, widget):
        attrs = super().widget_attrs(widget)
        attrs.pop("step", None)
        attrs.pop("min", None)
        attrs.pop("max", None)
        attrs["inputmode"] = "decimal"
        return attrs

    def to_python(self, value):
        if isinstance(value, str):
            for char in _SPACES:
                value = value.replace(char, "")
            value = value.replace("€", "").replace(",", ".")
        return super().to_python(value)

    def prepare_value(self, value):
        if isinstance(value, Decimal):
            return format_decimal(value, self.min_places)
        return value


def format_decimal(value: Decimal, min_places: int = 2) -> str:
    """Decimal("2.5000") → "2,50" (min_places=2) or "2,5" (min_places=0)."""
    normalized = value.normalize()
    places = max(min_places, -normalized.as_tuple().exponent if normalized.as_tuple().exponent < 0 else 0)
    return f"{value:.{places}f}".replace(".", ",")


class FrenchDecimalInput(forms.TextInput):
    pass


FrenchDecimalField.widget = FrenchDecimalInput


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class MultipleFileField(forms.FileField):
    widget = MultipleFileInput

    def __init__(self, *args, **kwargs):
        kwargs.setdefault("required", False)
        super().__init__(*args, **kwargs)

    def clean(self, data, initial=None):
        if not data:
            return []
        files = data if isinstance(data, list | tuple) else [data]
        return [super(MultipleFileField, self).clean(item, initial) for item in files]


class DateInput(forms.DateInput):
    input_type = "date"

    def __init__(self, attrs=None):
        super().__init__(attrs=attrs, format="%Y-%m-%d")


def _date_field(label, **kwargs):
    return forms.DateField(
        label=label,
        required=False,
        widget=DateInput(),
        input_formats=["%Y-%m-%d", "%d/%m/%Y"],
        error_messages={"invalid": _("Saisissez une date valide, par exemple 15/01/2026.")},
        **kwargs,
    )


# --- Deposit -------------------------------------------------------------------------------


class DepositForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier de la facture"),
        help_text=_("Format PDF, 10 Mo au maximum. Un PDF Factur-X est lu automatiquement."),
        error_messages={
            "required": _("Choisissez le fichier PDF de la facture."),
            "empty": _("Le fichier est vide : choisissez le fichier de la facture."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
    pdf_format = forms.ChoiceField(
        label=_("Format du fichier"),
        choices=[(FORMAT_UNSIGNED, _("PDF non signé")), (FORMAT_SIGNED, _("PDF signé"))],
        initial=FORMAT_UNSIGNED,
        widget=forms.RadioSelect,
        error_messages={"required": _("Choisissez le format du fichier.")},
    )
    cadre = forms.ChoiceField(label=_("Cadre de facturation"), choices=Cadre.choices, initial=Cadre.A1)

    def __init__(self, *args, max_size: int | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if max_size:
            self.fields["file"].help_text = _(
                "Format PDF, %(size)s au maximum. Un PDF Factur-X est lu automatiquement."
            ) % {"size": formats.filesize(max_size)}


# --- Invoice form --------------------------------------------------------------------------


class InvoiceForm(forms.Form):
    """The invoice as the supplier checks and completes it (both deposit modes)."""

    invoice_type = forms.ChoiceField(label=_("Type"), choices=InvoiceType.choices, initial=InvoiceType.INVOICE)
    cadre = forms.ChoiceField(label=_("Cadre de facturation"), choices=Cadre.choices, initial=Cadre.A1)
    number = forms.CharField(
        label=_("Numéro de facture"),
        max_length=MAX_NUMBER_LENGTH,
        required=False,
        help_text=_("20 caractères au maximum."),
    )
    invoice_date = _date_field(_("Date de facture"))
    original_invoice_number = forms.CharField(
        label=_("Numéro de la facture d'origine"),
        max_length=MAX_NUMBER_LENGTH,
        required=False,
        help_text=_("Pour un avoir : la facture qu'il corrige."),
    )
    supplier_service = forms.ModelChoiceField(
        label=_("Service émetteur de votre structure"), queryset=Service.objects.none(), required=False
    )
    bank_account = forms.ModelChoiceField(
        label=_("Coordonnées bancaires"), queryset=BankAccount.objects.none(), required=False
    )
    recipient_query = forms.CharField(
        label=_("Rechercher le destinataire"),
        help_text=_("SIRET (au moins 3 chiffres) ou raison sociale de la structure publique."),
        required=False,
        max_length=255,
    )
    recipient = forms.ModelChoiceField(
        label=_("Destinataire"),
        queryset=Structure.objects.public(),
        required=False,
        widget=forms.RadioSelect,
        error_messages={"invalid_choice": _("Ce destinataire n'est pas une structure publique de l'annuaire.")},
    )
    recipient_service = forms.CharField(label=_("Code service du destinataire"), required=False, widget=forms.Select)
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (EJ, n° de commande)"),
        max_length=MAX_ENGAGEMENT_LENGTH,
        required=False,
        help_text=_("50 caractères au maximum."),
    )
    market_number = forms.CharField(label=_("Numéro de marché"), max_length=50, required=False)
    payment_mode = forms.ChoiceField(
        label=_("Mode de paiement"),
        choices=[("", _("— Aucun —")), *PaymentMode.choices],
        required=False,
        help_text=_("Un avoir n'a pas de mode de paiement."),
    )
    amount_ht = FrenchDecimalField(
        label=_("Montant HT (€)"), max_digits=15, decimal_places=2, min_value=0, required=False
    )
    amount_tva = FrenchDecimalField(
        label=_("Montant TVA (€)"), max_digits=15, decimal_places=2, min_value=0, required=False
    )
    amount_ttc = FrenchDecimalField(
        label=_("Montant TTC (€)"), max_digits=15, decimal_places=2, min_value=0, required=False
    )
    comment = forms.CharField(label=_("Commentaire"), required=False, widget=forms.Textarea(attrs={"rows": 3}))
    attachments = MultipleFileField(
        label=_("Ajouter des pièces jointes"),
        help_text=_("Plusieurs fichiers possibles, 10 Mo chacun au maximum (PDF, images, bureautique, XML, ZIP…)."),
    )

    # Required to send, not to save a draft: shown without "(facultatif)", never enforced here
    # (the checks at sending say what is missing, next to each field).
    SEND_REQUIRED = ("number", "invoice_date", "amount_ht", "amount_tva", "amount_ttc")
    use_required_attribute = False

    def full_clean(self):
        relaxed = [name for name in self.SEND_REQUIRED if name in self.fields]
        for name in relaxed:
            self.fields[name].required = False
        try:
            super().full_clean()
        finally:
            for name in relaxed:
                self.fields[name].required = True

    def __init__(self, *args, supplier: Structure, invoice: Invoice | None = None, entry: bool = False, **kwargs):
        self.supplier = supplier
        self.invoice = invoice
        self.entry = entry
        if invoice is not None and "initial" not in kwargs:
            kwargs["initial"] = initial_from_invoice(invoice)
        super().__init__(*args, **kwargs)
        if entry:
            for name in ("amount_ht", "amount_tva", "amount_ttc"):
                del self.fields[name]
        for name in self.SEND_REQUIRED:
            if name in self.fields:
                self.fields[name].required = True
        services_qs = Service.objects.filter(structure=supplier, is_active=True)
        banks = BankAccount.objects.filter(structure=supplier, is_active=True)
        if invoice is not None and invoice.supplier_service_id:
            services_qs = Service.objects.filter(structure=supplier).filter(
                pk__in=[*services_qs.values_list("pk", flat=True), invoice.supplier_service_id]
            )
        if invoice is not None and invoice.bank_account_id:
            banks = BankAccount.objects.filter(
                structure=supplier, pk__in=[*banks.values_list("pk", flat=True), invoice.bank_account_id]
            )
        self.fields["supplier_service"].queryset = services_qs
        self.fields["bank_account"].queryset = banks
        if services_qs.exists():
            self.fields["supplier_service"].empty_label = _("— Aucun —")
        else:
            del self.fields["supplier_service"]
        self.fields["bank_account"].empty_label = _("— Aucunes —")

        self.current_recipient = invoice.recipient if invoice is not None else None
        self.effective_recipient = self._posted_recipient() if self.is_bound else self.current_recipient
        self.candidates = []
        query = (self.data.get(self.add_prefix("recipient_query")) or "").strip() if self.is_bound else ""
        self.search_query = query or (self.initial.get("recipient_query") or "")
        if self.search_query:
            self.candidates = list(selectors.recipient_search(self.search_query))
        self.fields["recipient_service"].widget.choices = self.service_choices(self.effective_recipient)

    # The recipient, its services ------------------------------------------------------------

    def _posted_recipient(self):
        raw = self.data.get(self.add_prefix("recipient"))
        if raw:
            try:
                return Structure.objects.public().filter(pk=int(raw)).first()
            except (TypeError, ValueError):
                return None
        return None

    def service_choices(self, recipient):
        choices = [("", _("— Aucun —"))]
        if recipient is None:
            return [("", _("— Choisissez d'abord le destinataire —"))]
        allowed = list(selectors.recipient_services(recipient))
        current = self.invoice.recipient_service if self.invoice is not None else None
        if current is not None and current.structure_id == recipient.pk and current not in allowed:
            allowed.append(current)
        choices += [(str(s.pk), f"{s.code} — {s.name}") for s in allowed]
        return choices

    def recipient_choices(self):
        """Radio choices: the current recipient first, then the search results."""
        seen, choices = set(), []
        for structure in [self.effective_recipient, self.current_recipient, *self.candidates]:
            if structure is not None and structure.pk not in seen:
                seen.add(structure.pk)
                choices.append(structure)
        return choices

    def clean_recipient_service(self):
        raw = self.cleaned_data.get("recipient_service")
        recipient = self.effective_recipient
        if not raw or recipient is None:
            return None
        try:
            return Service.objects.filter(pk=int(raw), structure=recipient).first()
        except (TypeError, ValueError):
            return None

    def clean(self):
        data = super().clean()
        query = (data.get("recipient_query") or "").strip()
        chosen = data.get("recipient")
        if query and (chosen is None or chosen == self.current_recipient):
            matches = self.candidates
            if len(matches) == 1:
                data["recipient"] = matches[0]
                self.effective_recipient = matches[0]
                if data.get("recipient_service") and data["recipient_service"].structure_id != matches[0].pk:
                    data["recipient_service"] = None
            elif not matches:
                self.add_error(
                    "recipient_query",
                    _(
                        "Aucun destinataire public actif ne correspond à « %(query)s ». Vérifiez le SIRET ou la raison sociale."
                    )
                    % {"query": query},
                )
            elif not self.wants_search:
                self.add_error(
                    "recipient_query",
                    _("Plusieurs destinataires correspondent à « %(query)s » : choisissez-le dans la liste.")
                    % {"query": query},
                )
        if data.get("invoice_type") == InvoiceType.CREDIT_NOTE:
            data["payment_mode"] = data.get("payment_mode") or ""
        return data

    wants_search = False

    def draft_fields(self) -> dict:
        """The cleaned values for ``invoice_save_draft`` / ``invoice_create``."""
        data = self.cleaned_data
        names = [
            "invoice_type",
            "cadre",
            "number",
            "invoice_date",
            "original_invoice_number",
            "bank_account",
            "recipient",
            "recipient_service",
            "engagement_number",
            "market_number",
            "payment_mode",
            "comment",
        ]
        if "supplier_service" in self.fields:
            names.append("supplier_service")
        if not self.entry:
            names += ["amount_ht", "amount_tva", "amount_ttc"]
        fields = {name: data.get(name) for name in names}
        if fields["recipient"] is None and not (data.get("recipient_query") or "").strip():
            # Nothing chosen and nothing searched: keep the current recipient.
            fields["recipient"] = self.current_recipient
        for name in ("number", "original_invoice_number", "engagement_number", "market_number", "comment"):
            fields[name] = fields[name] or ""
        fields["payment_mode"] = fields["payment_mode"] or ""
        return fields


def initial_from_invoice(invoice: Invoice) -> dict:
    return {
        "invoice_type": invoice.invoice_type,
        "cadre": invoice.cadre,
        "number": invoice.number,
        "invoice_date": invoice.invoice_date,
        "original_invoice_number": invoice.original_invoice_number,
        "supplier_service": invoice.supplier_service_id,
        "bank_account": invoice.bank_account_id,
        "recipient": invoice.recipient_id,
        "recipient_service": str(invoice.recipient_service_id or ""),
        "engagement_number": invoice.engagement_number,
        "market_number": invoice.market_number,
        "payment_mode": invoice.payment_mode,
        "amount_ht": invoice.amount_ht,
        "amount_tva": invoice.amount_tva,
        "amount_ttc": invoice.amount_ttc,
        "comment": invoice.comment,
    }


# --- Lines and VAT breakdown ---------------------------------------------------------------


class _RateField(forms.TypedChoiceField):
    def __init__(self, **kwargs):
        super().__init__(
            choices=[(f"{rate:.2f}", label) for rate, label in VAT_RATE_CHOICES],
            coerce=Decimal,
            initial="20.00",
            error_messages={"invalid_choice": _("Choisissez un taux de TVA en vigueur en France.")},
            **kwargs,
        )

    def prepare_value(self, value):
        if isinstance(value, Decimal | int | float):
            try:
                return f"{Decimal(value):.2f}"
            except InvalidOperation:
                return value
        return value


class LineForm(forms.Form):
    designation = forms.CharField(
        label=_("Désignation"),
        max_length=255,
        error_messages={"required": _("Saisissez la désignation.")},
    )
    quantity = FrenchDecimalField(
        label=_("Quantité"),
        max_digits=15,
        decimal_places=4,
        min_places=0,
        error_messages={"required": _("Saisissez la quantité.")},
    )
    unit = forms.CharField(label=_("Unité"), max_length=20, required=False)
    unit_price_ht = FrenchDecimalField(
        label=_("Prix unitaire HT (€)"),
        max_digits=15,
        decimal_places=4,
        min_value=0,
        error_messages={"required": _("Saisissez le prix unitaire HT.")},
    )
    vat_rate = _RateField(label=_("Taux de TVA"))
    exemption_reason = forms.CharField(label=_("Motif d'exonération (TVA 0 %)"), max_length=255, required=False)

    def clean_quantity(self):
        value = self.cleaned_data["quantity"]
        if value is not None and value <= 0:
            raise ValidationError(_("La quantité doit être positive."))
        return value


class VatLineForm(forms.Form):
    rate = _RateField(label=_("Taux de TVA"))
    base_ht = FrenchDecimalField(
        label=_("Base HT (€)"),
        max_digits=15,
        decimal_places=2,
        min_value=0,
        error_messages={"required": _("Saisissez la base HT.")},
    )
    vat_amount = FrenchDecimalField(
        label=_("Montant de TVA (€)"),
        max_digits=15,
        decimal_places=2,
        min_value=0,
        error_messages={"required": _("Saisissez le montant de TVA.")},
    )
    exemption_reason = forms.CharField(label=_("Motif d'exonération"), max_length=255, required=False)


LineFormSet = forms.formset_factory(LineForm, extra=1, can_delete=True, max_num=500, validate_max=True)
VatLineFormSet = forms.formset_factory(VatLineForm, extra=1, can_delete=True, max_num=20, validate_max=True)


def formset_rows(formset) -> list[dict]:
    """The filled, not deleted forms of a valid formset, as dicts."""
    rows = []
    for form in formset.forms:
        if not form.has_changed() or form.cleaned_data.get("DELETE"):
            continue
        rows.append({k: v for k, v in form.cleaned_data.items() if k != "DELETE"})
    return rows


def line_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "designation": line.designation,
            "quantity": line.quantity,
            "unit": line.unit,
            "unit_price_ht": line.unit_price_ht,
            "vat_rate": f"{line.vat_rate:.2f}",
            "exemption_reason": line.exemption_reason,
        }
        for line in invoice.lines.all()
    ]


def vat_initial(invoice: Invoice) -> list[dict]:
    return [
        {
            "rate": f"{line.rate:.2f}",
            "base_ht": line.base_ht,
            "vat_amount": line.vat_amount,
            "exemption_reason": line.exemption_reason,
        }
        for line in invoice.vat_lines.all()
    ]


def attach_errors(form, errors: dict) -> dict:
    """Put a service's {field: [messages]} on the form's fields; return those of no form field
    (``lines``, ``vat_lines``, ``pdf``…). Works on unbound forms too (the send button of the
    detail page renders the stored draft with its errors)."""
    extra = {}
    if form._errors is None:
        if form.is_bound:
            form.full_clean()
        else:
            form._errors = ErrorDict()
            form.cleaned_data = {}
    for field, messages in errors.items():
        key = None if field == NON_FIELD_ERRORS else field
        if key is None or key in form.fields:
            target = key or NON_FIELD_ERRORS
            existing = form._errors.setdefault(
                target, form.error_class(error_class="nonfield" if key is None else None, renderer=form.renderer)
            )
            existing.extend(messages)
            form.cleaned_data.pop(target, None)
        else:
            extra[field] = messages
    return extra


class RecycleForm(forms.Form):
    """ "Recycler": only the recipient SIRET, the code service and the EJ may change."""

    recipient_siret = forms.CharField(
        label=_("SIRET du destinataire"),
        max_length=20,
        help_text=_("14 chiffres, ceux de la structure publique de l'annuaire."),
        error_messages={"required": _("Saisissez le SIRET du destinataire.")},
    )
    service_code = forms.CharField(
        label=_("Code service du destinataire"),
        max_length=100,
        required=False,
        help_text=_("Facultatif selon le destinataire."),
    )
    engagement_number = forms.CharField(
        label=_("Numéro d'engagement (EJ, n° de commande)"),
        max_length=MAX_ENGAGEMENT_LENGTH,
        required=False,
        help_text=_("50 caractères au maximum."),
    )

    def clean_recipient_siret(self):
        siret = "".join(ch for ch in self.cleaned_data["recipient_siret"] if not ch.isspace() and ch not in _SPACES)
        recipient = selectors.public_recipient(siret)
        if recipient is None:
            raise ValidationError(
                _("Aucune structure publique de l'annuaire n'a le SIRET %(siret)s.") % {"siret": siret}
            )
        self.recipient = recipient
        return siret

    def clean(self):
        data = super().clean()
        data["recipient"] = getattr(self, "recipient", None)
        data["recipient_service"] = None
        code = (data.get("service_code") or "").strip()
        if code and data["recipient"] is not None:
            service = Service.objects.filter(structure=data["recipient"], code__iexact=code).first()
            if service is None:
                self.add_error(
                    "service_code",
                    _("Le destinataire %(name)s n'a pas de service de code %(code)s.")
                    % {"name": data["recipient"].name, "code": code},
                )
            data["recipient_service"] = service
        return data


class CompleteForm(forms.Form):
    """ "Compléter" a suspended invoice: attachments and/or a comment (the service requires one)."""

    attachments = MultipleFileField(
        label=_("Pièces jointes"),
        help_text=_("Plusieurs fichiers possibles, 10 Mo chacun au maximum (PDF, images, bureautique, XML, ZIP…)."),
    )
    comment = forms.CharField(
        label=_("Commentaire pour le destinataire"),
        required=False,
        max_length=2000,
        widget=forms.Textarea(attrs={"rows": 4}),
    )


class ReplacePdfForm(forms.Form):
    file = forms.FileField(
        label=_("Fichier PDF corrigé de la facture"),
        error_messages={
            "required": _("Choisissez le fichier PDF de la facture."),
            "empty": _("Le fichier est vide : choisissez le fichier de la facture."),
        },
        widget=forms.ClearableFileInput(attrs={"accept": "application/pdf,.pdf"}),
    )
