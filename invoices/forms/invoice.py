"""The invoice form, as the supplier checks and completes it (deposited PDF or typed invoice)."""

from django import forms
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from chorus.ids import parse_id
from invoices import binding, selectors
from invoices.forms.fields import FrenchDecimalField, MultipleFileField, date_field
from invoices.models import MAX_ENGAGEMENT_LENGTH, MAX_NUMBER_LENGTH, Cadre, Invoice, InvoiceType, PaymentMode
from structures.models import BankAccount, Service, Structure

# The hints of "Code service" and "N° d'engagement" after the recipient's rules (the directory's
# GestionService, GestionEngagement, GestionServiceEngagement and the service's GestionEGMT);
# static/invoices/invoice_form.js reads them from the form's data attributes.
HINT_REQUIRED = _("Exigé par ce destinataire.")
HINT_REQUIRED_BY_SERVICE = _("Exigé par le service choisi.")
HINT_EITHER = _("Ce destinataire exige le code service ou le numéro d'engagement (au moins l'un des deux).")
BASE_HINTS = {"engagement_number": _("50 caractères au maximum.")}


def recipient_requirements(recipient, service=None) -> dict[str, tuple[bool, str]]:
    """For "recipient_service" and "engagement_number": (shown as required, hint) after what the
    recipient and its chosen service require. "One of the two" marks both without "(facultatif)"."""
    if recipient is None:
        return {"recipient_service": (False, ""), "engagement_number": (False, "")}
    either = bool(recipient.service_or_ej_required) and not (recipient.service_required or recipient.ej_required)
    service_rule = (True, HINT_REQUIRED) if recipient.service_required else (either, HINT_EITHER if either else "")
    if recipient.ej_required:
        ej_rule = (True, HINT_REQUIRED)
    elif service is not None and service.ej_required:
        ej_rule = (True, HINT_REQUIRED_BY_SERVICE)
    else:
        ej_rule = (either, HINT_EITHER if either else "")
    return {"recipient_service": service_rule, "engagement_number": ej_rule}


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
    invoice_date = date_field(_("Date de facture"))
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
        relaxed = [name for name in (*self.SEND_REQUIRED, *self.recipient_required) if name in self.fields]
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
        self._bind_structured()
        recipient_free = not self.fields["recipient"].disabled
        self.effective_recipient = (
            self._posted_recipient() if self.is_bound and recipient_free else self.current_recipient
        )
        self.candidates = []
        query = (self.data.get(self.add_prefix("recipient_query")) or "").strip() if self.is_bound else ""
        self.search_query = query or (self.initial.get("recipient_query") or "")
        if not recipient_free:
            self.search_query = ""
        if self.search_query:
            self.candidates = list(selectors.recipient_search(self.search_query))
        self.fields["recipient_service"].widget.choices = self.service_choices(self.effective_recipient)
        self._follow_recipient()

    # What the chosen recipient requires: labels and hints (the page script does the same on change)

    recipient_required: tuple = ()
    # The texts the page script uses when the recipient or its service changes.
    recipient_hints = {
        "required": HINT_REQUIRED,
        "by_service": HINT_REQUIRED_BY_SERVICE,
        "either": HINT_EITHER,
        "ej_base": BASE_HINTS["engagement_number"],
    }

    def _chosen_service(self):
        recipient = self.effective_recipient
        if recipient is None:
            return None
        raw = self.data.get(self.add_prefix("recipient_service")) if self.is_bound else None
        if raw is None and self.invoice is not None:
            return self.invoice.recipient_service if self.invoice.recipient_service_id else None
        service_id = parse_id(raw)
        return Service.objects.filter(pk=service_id, structure=recipient).first() if service_id else None

    def _follow_recipient(self):
        """ "Code service" and "N° d'engagement" say "(facultatif)" only when the chosen recipient
        (and its chosen service) does not require them; the hint says why one is required. Shown
        as required, never enforced here: the checks at sending say what is missing."""
        rules = recipient_requirements(self.effective_recipient, self._chosen_service())
        self.recipient_required = tuple(name for name, (required, _hint) in rules.items() if required)
        for name, (required, hint) in rules.items():
            if name not in self.fields:
                continue
            field = self.fields[name]
            field.required = required
            base = BASE_HINTS.get(name, "")
            field.help_text = " ".join(str(part) for part in (hint, base) if part)

        # A structured invoice: the fields its XML binds are read-only ---------------------------

    structured = False

    def _bind_structured(self):
        """Disable the fields the XML binds (``invoices.binding``): the page shows them read-only
        and ``clean`` refuses a POST that tries to change them."""
        invoice = self.invoice
        if invoice is None or not invoice.is_structured:
            return
        self.structured = True
        extracted = invoice.extracted_data
        names = [name for name in binding.bound_values(extracted) if name in self.fields]
        if binding.recipient_bound(extracted):
            names += ["recipient", "recipient_query"]
        if binding.service_bound(extracted):
            names.append("recipient_service")
        for name in names:
            self.fields[name].disabled = True
        self.bound_names = names

    bound_names: list = []

    def _tampered(self, name: str) -> bool:
        raw = self.data.get(self.add_prefix(name))
        if raw is None:
            return False
        field = self.fields[name]
        if name == "recipient_query":
            return bool(str(raw).strip())
        try:
            return field.clean(raw) != field.clean(self.get_initial_for_field(field, name))
        except ValidationError:
            return True

    def _structured_clean(self):
        for name in self.bound_names:
            if self._tampered(name):
                key = "recipient" if name == "recipient_query" else name
                self.add_error(None, binding.changed_message(key))
        if any(key.startswith("vat-") for key in self.data):
            self.add_error(None, binding.changed_message("vat_lines"))

    # The recipient, its services ------------------------------------------------------------

    def _posted_recipient(self):
        recipient_id = parse_id(self.data.get(self.add_prefix("recipient")))
        if recipient_id is None:
            return None
        return Structure.objects.public().filter(pk=recipient_id).first()

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
        service_id = parse_id(raw)
        if service_id is None or recipient is None:
            return None
        return Service.objects.filter(pk=service_id, structure=recipient).first()

    def clean(self):
        data = super().clean()
        if self.structured:
            self._structured_clean()
        query = "" if self.fields["recipient"].disabled else (data.get("recipient_query") or "").strip()
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
