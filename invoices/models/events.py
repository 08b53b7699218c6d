"""The lifecycle's records: the motifs of suspensions, rejections and returns, and the append-only
history of each invoice."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices import workflow
from invoices.models.invoice import Invoice
from invoices.workflow import Status


class MotifCategory(models.TextChoices):
    TECHNIQUE = "TECHNIQUE", _("Problèmes techniques")
    ACHATS_COMPTABLES = "ACHATS_COMPTABLES", _("Problèmes d'achats / comptables")
    AUTRES = "AUTRES", _("Autres")


# Codes of the technical motifs the routing task uses (seeded by migration 0003).
MOTIF_SE_EJ_INCORRECT = "SE_EJ_INCORRECT"
MOTIF_CREANCIER_INCONNU = "CREANCIER_INCONNU"


class Motif(models.Model):
    """A reason for a suspension, a rejection or a return to the supplier (reference §6).

    The catalogue of the Ministry's supplier kit is seeded by a data migration; staff may add
    motifs or deactivate some (an inactive motif stays on the history that uses it).
    """

    code = models.CharField(_("code"), max_length=50, unique=True)
    label = models.CharField(_("libellé"), max_length=255)
    category = models.CharField(_("catégorie"), max_length=20, choices=MotifCategory.choices)
    reform_code = models.CharField(_("code de la réforme"), max_length=30, blank=True)
    recyclable = models.BooleanField(
        _("recyclable"), default=False, help_text=_("La facture peut être recyclée (statut « À recycler »).")
    )
    is_active = models.BooleanField(_("actif"), default=True)
    position = models.PositiveSmallIntegerField(_("position"), default=0)

    class Meta:
        verbose_name = _("motif")
        verbose_name_plural = _("motifs")
        ordering = ["position", "code"]

    def __str__(self):
        return self.label


TRANSITION_CHOICES = [(t.name, t.label) for t in workflow.TRANSITIONS.values()]
ACTOR_CHOICES = [
    (workflow.Actor.SYSTEM.value, _("Système")),
    (workflow.Actor.SUPPLIER.value, _("Fournisseur")),
    (workflow.Actor.RECIPIENT.value, _("Destinataire")),
]


class InvoiceEvent(models.Model):
    """One line of an invoice's history, append-only: written with the status change it records,
    in the same transaction, never updated (except ``notified_at``, the mark of the notification
    task) nor deleted. ``transition`` is empty for an event that changes no status (the supplier
    acknowledging a rejection)."""

    invoice = models.ForeignKey(Invoice, verbose_name=_("facture"), on_delete=models.PROTECT, related_name="events")
    # The invoice's supplier, copied when the event is written (an invoice never changes supplier):
    # the connected home page's feed reads a structure's latest events on one index, LIMIT 20,
    # without joining the invoices (``invoices/home.py``).
    supplier = models.ForeignKey(
        "structures.Structure",
        verbose_name=_("fournisseur"),
        on_delete=models.PROTECT,
        related_name="+",
        editable=False,
    )
    transition = models.CharField(_("action"), max_length=40, choices=TRANSITION_CHOICES, blank=True)
    from_status = models.CharField(_("statut de départ"), max_length=40, choices=Status.choices)
    to_status = models.CharField(_("nouveau statut"), max_length=40, choices=Status.choices)
    actor_kind = models.CharField(_("acteur"), max_length=20, choices=ACTOR_CHOICES)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("utilisateur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Vide : le système."),
    )
    motif = models.ForeignKey(
        Motif, verbose_name=_("motif"), null=True, blank=True, on_delete=models.PROTECT, related_name="events"
    )
    comment = models.TextField(_("commentaire"), blank=True)
    mandate_number = models.CharField(_("numéro de mandat"), max_length=50, blank=True)
    created_at = models.DateTimeField(_("le"), default=timezone.now, editable=False, db_index=True)
    # Set by ``invoices.notify_invoice_event`` (conditional UPDATE) before it sends: sent once.
    notified_at = models.DateTimeField(_("notifié le"), null=True, blank=True, editable=False)

    class Meta:
        verbose_name = _("événement de facture")
        verbose_name_plural = _("historique des factures")
        ordering = ["created_at", "id"]
        indexes = [
            models.Index(fields=["invoice", "created_at"], name="invoice_event_invoice_idx"),
            models.Index(fields=["supplier", "created_at", "id"], name="invoice_event_supplier_idx"),
        ]

    def __str__(self):
        return f"{self.invoice_id}: {self.from_status} → {self.to_status} ({self.transition or '-'})"

    @property
    def changes_status(self) -> bool:
        return self.from_status != self.to_status

    @property
    def from_reform_code(self) -> str:
        return workflow.reform_code(self.from_status)

    @property
    def to_reform_code(self) -> str:
        return workflow.reform_code(self.to_status)

    @property
    def actor_display(self) -> str:
        if self.user_id is None:
            return _("Système") if self.actor_kind == workflow.Actor.SYSTEM else self.get_actor_kind_display()
        return str(self.user)
