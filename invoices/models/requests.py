"""Staff actions as durable requests: one row per invoice an agent asked to process, written in the
request's transaction and applied by a worker (``services.staff_requests``)."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models.events import ACTOR_CHOICES, TRANSITION_CHOICES, Motif
from invoices.models.invoice import Invoice


class TransitionRequestState(models.TextChoices):
    PENDING = "EN_ATTENTE", _("En attente")
    APPLIED = "APPLIQUEE", _("Appliquée")
    ALREADY = "DEJA_APPLIQUEE", _("Déjà appliquée")
    REFUSED = "REFUSEE", _("Refusée")


class TransitionRequest(models.Model):
    """An action an agent (or an operator command) asked for one invoice: "Service fait" on 30
    selected invoices is 30 rows of one ``batch``. The row is written with the page's answer, so a
    broker outage, a killed worker or a lost Redis delays the action but never loses it; the worker
    applies the transition and records the outcome in one transaction, so a redelivered task never
    applies it twice. The agent is told the outcome on their next admin page (``seen_at``)."""

    batch = models.UUIDField(_("lot"), default=uuid.uuid4, db_index=True, editable=False)
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), on_delete=models.CASCADE, related_name="transition_requests"
    )
    transition = models.CharField(_("action"), max_length=40, choices=TRANSITION_CHOICES)
    actor = models.CharField(_("acteur"), max_length=20, choices=ACTOR_CHOICES)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    motif = models.ForeignKey(
        Motif, verbose_name=_("motif"), null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    comment = models.TextField(_("commentaire"), blank=True)
    mandate_number = models.CharField(_("numéro de mandat"), max_length=50, blank=True)
    state = models.CharField(
        _("état"), max_length=20, choices=TransitionRequestState.choices, default=TransitionRequestState.PENDING
    )
    result = models.TextField(_("résultat"), blank=True)
    attempts = models.PositiveSmallIntegerField(_("essais"), default=0)
    created_at = models.DateTimeField(_("demandée le"), default=timezone.now, editable=False)
    processed_at = models.DateTimeField(_("traitée le"), null=True, blank=True)
    seen_at = models.DateTimeField(_("résultat vu le"), null=True, blank=True)

    class Meta:
        verbose_name = _("demande de traitement")
        verbose_name_plural = _("demandes de traitement")
        ordering = ["-created_at", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "invoice"], name="transition_request_once_per_batch"),
        ]
        indexes = [
            models.Index(fields=["created_at"], name="transition_request_pending_idx", condition=Q(state="EN_ATTENTE")),
            models.Index(
                fields=["requested_by", "processed_at"],
                name="transition_request_unseen_idx",
                condition=Q(seen_at__isnull=True) & ~Q(state="EN_ATTENTE"),
            ),
        ]

    def __str__(self):
        return f"{self.invoice_id}: {self.transition} ({self.state})"
