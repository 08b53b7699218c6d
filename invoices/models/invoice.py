"""The invoice, its VAT breakdown and its lines, with the choices and limits they use."""

from decimal import Decimal

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Length
from django.db.models.lookups import LessThanOrEqual
from django.utils.translation import gettext_lazy as _

from invoices.models.files import invoice_pdf_upload_to, source_xml_upload_to
from invoices.payment import Clock
from invoices.workflow import SUPPLIER_ACTION_STATUSES, Status
from structures.models import BankAccount, Service, Structure

MAX_NUMBER_LENGTH = 20
MAX_ENGAGEMENT_LENGTH = 50


class Cadre(models.TextChoices):
    """Cadre de facturation (reference §4); the others belong to works invoices."""

    A1 = "A1", _("A1 — Dépôt par un fournisseur d'une facture")
    A2 = "A2", _("A2 — Dépôt par un fournisseur d'une facture déjà payée")
    A9 = "A9", _("A9 — Dépôt par un sous-traitant d'une facture")
    A12 = "A12", _("A12 — Dépôt par un cotraitant d'une facture")


class InvoiceType(models.TextChoices):
    INVOICE = "FACTURE", _("Facture")
    CREDIT_NOTE = "AVOIR", _("Avoir")


class PaymentMode(models.TextChoices):
    TRANSFER = "VIREMENT", _("Virement")
    CHEQUE = "CHEQUE", _("Chèque")
    CASH = "ESPECE", _("Espèces")
    DIRECT_DEBIT = "PRELEVEMENT", _("Prélèvement")
    OTHER = "AUTRE", _("Autre")


class DepositMode(models.TextChoices):
    ENTRY = "SAISIE_PORTAIL", _("Saisie sur le portail")
    PDF = "DEPOT_PDF_PORTAIL", _("Dépôt d'un PDF non signé")
    SIGNED_PDF = "DEPOT_PDF_SIGNE_PORTAIL", _("Dépôt d'un PDF signé")
    XML = "DEPOT_XML_PORTAIL", _("Dépôt d'un fichier XML (CII ou UBL)")


class SourceSyntax(models.TextChoices):
    """The structured data an invoice was deposited with (reference §4: the syntaxes of the flows)."""

    FACTURX = "FACTURX", _("Factur-X (PDF et XML CII)")
    CII = "CII", _("XML UN/CEFACT CII")
    UBL = "UBL", _("XML UBL 2.1")


# BT-3 codes the portal accepts (``invoices.structured``) and what the pages call them.
TYPE_CODE_LABELS = {
    "380": _("Facture"),
    "381": _("Avoir"),
    "384": _("Facture rectificative"),
    "389": _("Autofacture"),
}
# A corrective invoice (384) may carry negative totals; every other document's are positive.
NEGATIVE_TYPE_CODE = "384"


# French VAT rates (reference §4): mainland, overseas departments, Corsica; 0 % needs a reason.
# Typed lines use them; a deposited invoice keeps its own rates (any rate, with a warning).
VAT_RATES = [
    Decimal("20.00"),
    Decimal("10.00"),
    Decimal("5.50"),
    Decimal("2.10"),
    Decimal("8.50"),
    Decimal("13.00"),
    Decimal("0.90"),
    Decimal("0.00"),
]
VAT_RATE_CHOICES = [(rate, f"{rate.normalize():f} %".replace(".", ",")) for rate in VAT_RATES]


class Invoice(models.Model):
    supplier = models.ForeignKey(
        Structure, verbose_name=_("fournisseur"), on_delete=models.PROTECT, related_name="invoices_sent"
    )
    supplier_service = models.ForeignKey(
        Service,
        verbose_name=_("service du fournisseur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    bank_account = models.ForeignKey(
        BankAccount,
        verbose_name=_("coordonnées bancaires"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    recipient = models.ForeignKey(
        Structure,
        verbose_name=_("destinataire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices_received",
    )
    recipient_service = models.ForeignKey(
        Service,
        verbose_name=_("code service du destinataire"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="invoices",
    )
    cadre = models.CharField(_("cadre de facturation"), max_length=3, choices=Cadre.choices, default=Cadre.A1)
    invoice_type = models.CharField(
        _("type de facture"), max_length=10, choices=InvoiceType.choices, default=InvoiceType.INVOICE
    )
    original_invoice_number = models.CharField(_("numéro de la facture d'origine"), max_length=20, blank=True)
    # BT-25 found among the supplier's sent invoices (set at sending; the number stays the reference).
    original_invoice = models.ForeignKey(
        "self",
        verbose_name=_("facture d'origine"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="corrections",
    )
    # BT-3 of a structured invoice (380, 381, 384, 389); blank for a typed or plain PDF invoice.
    type_code = models.CharField(_("code du type de document (BT-3)"), max_length=3, blank=True)
    number = models.CharField(_("numéro de facture"), max_length=MAX_NUMBER_LENGTH, blank=True)
    invoice_date = models.DateField(_("date de facture"), null=True, blank=True)
    # Year of invoice_date, kept by the services: backs the duplicate rule with a unique index.
    invoice_year = models.PositiveSmallIntegerField(_("année de facture"), null=True, blank=True, editable=False)
    market_number = models.CharField(_("numéro de marché"), max_length=50, blank=True)
    engagement_number = models.CharField(_("numéro d'engagement"), max_length=MAX_ENGAGEMENT_LENGTH, blank=True)
    currency = models.CharField(_("devise"), max_length=3, default="EUR", editable=False)
    amount_ht = models.DecimalField(_("montant HT"), max_digits=15, decimal_places=2, null=True, blank=True)
    amount_tva = models.DecimalField(_("montant TVA"), max_digits=15, decimal_places=2, null=True, blank=True)
    amount_ttc = models.DecimalField(_("montant TTC"), max_digits=15, decimal_places=2, null=True, blank=True)
    payment_mode = models.CharField(_("mode de paiement"), max_length=20, choices=PaymentMode.choices, blank=True)
    comment = models.TextField(_("commentaire"), blank=True)
    deposit_mode = models.CharField(_("mode de dépôt"), max_length=30, choices=DepositMode.choices)
    status = models.CharField(
        _("statut"), max_length=40, choices=Status.choices, default=Status.BROUILLON, db_index=True
    )
    identifier = models.CharField(_("identifiant"), max_length=30, unique=True, null=True, blank=True, editable=False)
    pdf = models.FileField(_("fichier de la facture"), upload_to=invoice_pdf_upload_to, max_length=255, blank=True)
    pdf_original_filename = models.CharField(_("nom du fichier d'origine"), max_length=500, blank=True)
    pdf_size = models.PositiveBigIntegerField(_("taille du fichier"), default=0)
    # What was read from the deposited PDF (Factur-X or text), as proposed to the user.
    extracted_data = models.JSONField(_("données lues dans le fichier"), default=dict, blank=True)
    # A structured invoice (Factur-X, CII or UBL): its XML is the invoice's data, stored as its source.
    source_syntax = models.CharField(_("données structurées"), max_length=10, choices=SourceSyntax.choices, blank=True)
    source_xml = models.FileField(_("XML de la facture"), upload_to=source_xml_upload_to, max_length=255, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    sent_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("envoyée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)
    sent_at = models.DateTimeField(_("envoyée le"), null=True, blank=True)
    certificate_fingerprint = models.CharField(_("empreinte du certificat de dépôt"), max_length=64, blank=True)
    certificate_issued_at = models.DateTimeField(_("certificat de dépôt émis le"), null=True, blank=True)
    # Lifecycle (written by ``invoice_transition`` only, with an InvoiceEvent in the same transaction).
    status_changed_at = models.DateTimeField(_("statut modifié le"), null=True, blank=True, db_index=True)
    mandate_number = models.CharField(_("numéro de mandat"), max_length=50, blank=True)
    last_reminder_at = models.DateTimeField(_("dernière relance le"), null=True, blank=True)
    rejection_acknowledged_at = models.DateTimeField(_("rejet traité le"), null=True, blank=True)
    # The payment clock (invoices/payment.py), written by ``lifecycle.apply_transition`` with the status.
    payment_started_on = models.DateField(_("délai de paiement ouvert le"), null=True, blank=True, editable=False)
    payment_due_on = models.DateField(_("échéance du délai de paiement"), null=True, blank=True, editable=False)
    payment_stopped_on = models.DateField(_("délai de paiement arrêté le"), null=True, blank=True, editable=False)
    payment_interrupted_on = models.DateField(
        _("délai de paiement interrompu le"), null=True, blank=True, editable=False
    )

    class Meta:
        verbose_name = _("facture")
        verbose_name_plural = _("factures")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.CheckConstraint(
                condition=Q(amount_ht__isnull=True) | Q(amount_ht__gte=0) | Q(type_code=NEGATIVE_TYPE_CODE),
                name="invoice_amount_ht_positive",
                violation_error_message=_("Le montant HT ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(amount_tva__isnull=True) | Q(amount_tva__gte=0) | Q(type_code=NEGATIVE_TYPE_CODE),
                name="invoice_amount_tva_positive",
                violation_error_message=_("Le montant de TVA ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=Q(amount_ttc__isnull=True) | Q(amount_ttc__gte=0) | Q(type_code=NEGATIVE_TYPE_CODE),
                name="invoice_amount_ttc_positive",
                violation_error_message=_("Le montant TTC ne peut pas être négatif."),
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("number"), MAX_NUMBER_LENGTH),
                name="invoice_number_max_length",
                violation_error_message=_("Le numéro de facture comporte au plus 20 caractères."),
            ),
            models.CheckConstraint(
                condition=LessThanOrEqual(Length("engagement_number"), MAX_ENGAGEMENT_LENGTH),
                name="invoice_engagement_max_length",
                violation_error_message=_("Le numéro d'engagement comporte au plus 50 caractères."),
            ),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="invoice_status_known"),
            models.CheckConstraint(
                condition=Q(status=Status.BROUILLON)
                | (Q(identifier__isnull=False) & Q(sent_at__isnull=False) & ~Q(number="")),
                name="invoice_sent_has_identifier",
            ),
            # The duplicate rule (same supplier, number and year among sent invoices).
            models.UniqueConstraint(
                fields=["supplier", "number", "invoice_year"],
                condition=~Q(status=Status.BROUILLON),
                name="invoice_number_unique_per_supplier_year",
                violation_error_message=_("Ce numéro de facture est déjà utilisé cette année par votre structure."),
            ),
        ]
        indexes = [
            # With the amount, searches by status and amount (counted up to 1 001) read only the
            # entries of those statuses, index only: 1.7-3.6 -> 0.7-0.9 ms at 200 000 invoices.
            models.Index(
                fields=["supplier", "status", "-created_at"], include=["amount_ttc"], name="invoice_supplier_status_idx"
            ),
            models.Index(fields=["supplier", "-created_at"], name="invoice_supplier_created_idx"),
            # The sweeper (stuck DEPOSEE / EN_COURS_ACHEMINEMENT) and the suspension reminders.
            models.Index(fields=["status", "status_changed_at"], name="invoice_status_changed_idx"),
            # The financial services' admin list: a recipient's invoices, newest first, by status.
            # Partial: without the drafts (no sent_at, they come first in a descending PostgreSQL
            # index and the list skipped 10,000 of them with a heap read each for a ministry at
            # 1 M invoices), ending with the id of the list's order (no sort step).
            models.Index(
                fields=["recipient", "-sent_at", "-id"],
                condition=~Q(status="BROUILLON"),
                name="invoice_recipient_sent_idx",
            ),
            models.Index(fields=["recipient", "status", "-sent_at"], name="invoice_recipient_status_idx"),
            # The admin search (InvoiceAdmin.get_search_results): a number or an EJ by its start,
            # within the recipient's invoices (LIKE 'x%' needs the pattern opclass under a non-C
            # collation; other databases ignore the opclass).
            models.Index(
                fields=["recipient", "number"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="invoice_recipient_number_idx",
            ),
            models.Index(
                fields=["recipient", "engagement_number"],
                opclasses=["int8_ops", "varchar_pattern_ops"],
                name="invoice_recipient_ej_idx",
            ),
            # "Rechercher" (invoices/views/listing.py): one index per sort column, ending with the id
            # for the keyset pages, and the EJ criterion (docs/architecture.md, "Factures émises"). The
            # Tableau de bord groups a period's sent invoices by month, status and recipient: on
            # PostgreSQL those columns are included in the sent_at index (index-only scan); the Liste
            # fiscale reads by invoice date.
            models.Index(fields=["supplier", "invoice_date", "id"], name="invoice_supplier_date_idx"),
            models.Index(
                fields=["supplier", "sent_at", "id"],
                include=["status", "recipient", "amount_ttc", "invoice_type"],
                name="invoice_supplier_sent_idx",
            ),
            models.Index(fields=["supplier", "amount_ttc", "id"], name="invoice_supplier_amount_idx"),
            models.Index(fields=["supplier", "number", "id"], name="invoice_supplier_number_idx"),
            models.Index(fields=["supplier", "engagement_number"], name="invoice_supplier_ej_idx"),
            # Synthèse: the invoices the supplier must act on (a rejection until acknowledged); small.
            models.Index(
                fields=["supplier", "status", "-created_at"],
                condition=Q(status__in=sorted(SUPPLIER_ACTION_STATUSES), rejection_acknowledged_at__isnull=True),
                name="invoice_supplier_todo_idx",
            ),
            # Factures en retard: running clocks only (a paid invoice leaves the index).
            models.Index(
                fields=["supplier", "payment_due_on"],
                condition=Q(payment_due_on__isnull=False, payment_stopped_on__isnull=True),
                name="invoice_supplier_due_idx",
            ),
            # The support's admin list (every recipient), newest first: no sort of the whole table.
            # Partial like invoice_recipient_sent_idx: the drafts (no sent_at) would come first.
            models.Index(fields=["-sent_at", "-id"], condition=~Q(status="BROUILLON"), name="invoice_sent_idx"),
        ]

    def __str__(self):
        return self.identifier or self.number or _("Brouillon n° %(pk)s") % {"pk": self.pk}

    @property
    def is_draft(self) -> bool:
        return self.status == Status.BROUILLON

    @property
    def is_entry(self) -> bool:
        return self.deposit_mode == DepositMode.ENTRY

    @property
    def display_reference(self) -> str:
        return self.number or _("(sans numéro)")

    @property
    def payment_clock(self) -> Clock:
        return Clock(
            started_on=self.payment_started_on,
            due_on=self.payment_due_on,
            stopped_on=self.payment_stopped_on,
            interrupted_on=self.payment_interrupted_on,
        )

    @payment_clock.setter
    def payment_clock(self, clock: Clock) -> None:
        self.payment_started_on = clock.started_on
        self.payment_due_on = clock.due_on
        self.payment_stopped_on = clock.stopped_on
        self.payment_interrupted_on = clock.interrupted_on

    @property
    def deposit_mode_label(self) -> str:
        """How the invoice came, as the pages say it: a Factur-X PDF is not "un PDF non signé"
        (its XML is what is sent), whatever ``deposit_mode`` (kept as the official code) says."""
        if self.source_syntax == SourceSyntax.FACTURX:
            if self.deposit_mode == DepositMode.SIGNED_PDF:
                return str(_("Dépôt d'une facture Factur-X signée"))
            return str(_("Dépôt d'une facture Factur-X"))
        return self.get_deposit_mode_display()

    @property
    def is_structured(self) -> bool:
        """Deposited with structured data (Factur-X, CII, UBL): that data is what is sent."""
        return bool(self.source_syntax)

    @property
    def is_credit_note(self) -> bool:
        return self.invoice_type == InvoiceType.CREDIT_NOTE

    @property
    def document_label(self) -> str:
        """ "Facture", "Avoir", "Facture rectificative" or "Autofacture" (pages and e-mails)."""
        if self.is_credit_note:
            return str(_("Avoir"))
        return str(TYPE_CODE_LABELS.get(self.type_code, _("Facture")))


class InvoiceVatLine(models.Model):
    """One line of the VAT breakdown (récapitulatif de TVA): a rate, its base and its amount."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="vat_lines")
    # Any rate, kept as invoiced (BT-119); the French ones are ``VAT_RATES``.
    rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2)
    base_ht = models.DecimalField(_("base HT"), max_digits=15, decimal_places=2)
    vat_amount = models.DecimalField(_("montant de TVA"), max_digits=15, decimal_places=2)
    exemption_reason = models.CharField(_("motif d'exonération"), max_length=255, blank=True)

    class Meta:
        verbose_name = _("ligne de TVA")
        verbose_name_plural = _("récapitulatif de TVA")
        ordering = ["-rate", "id"]
        # Signs are the services' rule (negative lines on a corrective invoice, type 384, only).
        constraints = [
            models.CheckConstraint(condition=Q(rate__gte=0) & Q(rate__lt=100), name="invoice_vat_line_rate_range"),
        ]

    def __str__(self):
        return f"{self.rate} % : {self.base_ht} / {self.vat_amount}"


class InvoiceLine(models.Model):
    """A line of an invoice typed on the portal (saisie)."""

    invoice = models.ForeignKey(Invoice, on_delete=models.CASCADE, related_name="lines")
    position = models.PositiveSmallIntegerField(_("position"), default=0)
    designation = models.CharField(_("désignation"), max_length=255)
    quantity = models.DecimalField(_("quantité"), max_digits=15, decimal_places=4)
    unit = models.CharField(_("unité"), max_length=20, blank=True)
    unit_price_ht = models.DecimalField(_("prix unitaire HT"), max_digits=15, decimal_places=4)
    vat_rate = models.DecimalField(_("taux de TVA (%)"), max_digits=5, decimal_places=2, choices=VAT_RATE_CHOICES)
    exemption_reason = models.CharField(_("motif d'exonération"), max_length=255, blank=True)
    line_total_ht = models.DecimalField(_("montant HT de la ligne"), max_digits=15, decimal_places=2)

    class Meta:
        verbose_name = _("ligne de facture")
        verbose_name_plural = _("lignes de facture")
        ordering = ["position", "id"]
        constraints = [
            models.CheckConstraint(condition=Q(quantity__gt=0), name="invoice_line_quantity_positive"),
            models.CheckConstraint(condition=Q(unit_price_ht__gte=0), name="invoice_line_price_positive"),
            models.CheckConstraint(condition=Q(line_total_ht__gte=0), name="invoice_line_total_positive"),
        ]

    def __str__(self):
        return self.designation
