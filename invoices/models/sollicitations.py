"""Sollicitations (support requests): the request, its thread of messages both ways, their files.

A sollicitation is opened by an active member of a structure (``structure`` set, "Sollicitations
émises"), by a logged-in user with no structure yet (``structure`` empty, ``author`` set: a
personal request, often about an attachment to a structure), or by a visitor through
"Nous contacter" (no structure, no author: ``contact_*`` fields, answered by e-mail). Support
answers in the admin. Writes go through ``invoices.services.sollicitations``; reads that carry
access through ``invoices.selectors``.

Statuses: OUVERTE (waiting for support), EN_COURS (support answered or works on it), CLOTUREE.
A reply of the requester to a closed sollicitation reopens it (OUVERTE).
"""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

MAX_SUBJECT_LENGTH = 150
MAX_BODY_LENGTH = 5000


class SollicitationCategory(models.TextChoices):
    ACCOUNT = "COMPTE", _("Compte et rattachement")
    DEPOSIT = "DEPOT", _("Dépôt de facture")
    FOLLOW_UP = "SUIVI", _("Suivi et paiement d'une facture")
    REJECTION = "REJET", _("Rejet ou suspension d'une facture")
    TECHNICAL = "TECHNIQUE", _("Problème technique")
    OTHER = "AUTRE", _("Autre")


class SollicitationStatus(models.TextChoices):
    OPEN = "OUVERTE", _("Ouverte")
    IN_PROGRESS = "EN_COURS", _("En cours")
    CLOSED = "CLOTUREE", _("Clôturée")


class MessageAuthor(models.TextChoices):
    REQUESTER = "DEMANDEUR", _("Demandeur")
    SUPPORT = "SUPPORT", _("Support")


class Sollicitation(models.Model):
    structure = models.ForeignKey(
        "structures.Structure",
        verbose_name=_("structure"),
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        help_text=_("Vide : demande personnelle ou visiteur (« Nous contacter »)."),
    )
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("demandeur"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        help_text=_("Vide : visiteur sans compte."),
    )
    contact_name = models.CharField(_("nom du contact"), max_length=150, blank=True)
    contact_email = models.EmailField(_("e-mail du contact"), blank=True)
    contact_siret = models.CharField(_("SIRET indiqué"), max_length=14, blank=True)
    category = models.CharField(_("catégorie"), max_length=20, choices=SollicitationCategory.choices)
    subject = models.CharField(_("objet"), max_length=MAX_SUBJECT_LENGTH)
    invoice = models.ForeignKey(
        "invoices.Invoice",
        verbose_name=_("facture concernée"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    status = models.CharField(
        _("statut"), max_length=20, choices=SollicitationStatus.choices, default=SollicitationStatus.OPEN
    )
    awaiting_support = models.BooleanField(
        _("en attente du support"), default=True, help_text=_("Le dernier message est celui du demandeur.")
    )
    created_at = models.DateTimeField(_("ouverte le"), default=timezone.now)
    last_message_at = models.DateTimeField(_("dernier message le"), default=timezone.now)
    closed_at = models.DateTimeField(_("clôturée le"), null=True, blank=True)

    class Meta:
        verbose_name = _("sollicitation")
        verbose_name_plural = _("sollicitations")
        constraints = [
            models.CheckConstraint(
                condition=Q(author__isnull=False) | ~Q(contact_email=""), name="sollicitation_has_requester"
            ),
            models.CheckConstraint(
                condition=Q(status__in=SollicitationStatus.values), name="sollicitation_status_known"
            ),
        ]
        indexes = [
            # "Sollicitations émises" of a structure, newest activity first (keyset pages).
            models.Index(fields=["structure", "last_message_at", "id"], name="sollicitation_structure_idx"),
            # A user's personal requests (no structure).
            models.Index(
                fields=["author", "last_message_at", "id"],
                name="sollicitation_personal_idx",
                condition=Q(structure__isnull=True),
            ),
            # The admin's list: by status, newest activity first.
            models.Index(fields=["status", "-last_message_at"], name="sollicitation_status_idx"),
            models.Index(fields=["-last_message_at"], name="sollicitation_activity_idx"),
        ]

    def __str__(self):
        return f"n° {self.pk} — {self.subject}"

    @property
    def reference(self) -> str:
        return f"n° {self.pk}"

    @property
    def is_visitor(self) -> bool:
        """Opened through "Nous contacter" without an account: answered by e-mail only."""
        return self.author_id is None

    @property
    def is_closed(self) -> bool:
        return self.status == SollicitationStatus.CLOSED


def sollicitation_upload_to(instance, filename: str) -> str:
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not ext.isalnum() or len(ext) > 10:
        ext = "bin"
    now = timezone.now()
    return f"sollicitations/{now:%Y/%m}/{uuid.uuid4().hex}.{ext}"


class SollicitationMessage(models.Model):
    """One message of the thread, append-only: the requester's or support's."""

    sollicitation = models.ForeignKey(Sollicitation, on_delete=models.CASCADE, related_name="messages")
    author_kind = models.CharField(_("auteur"), max_length=20, choices=MessageAuthor.choices)
    author = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("écrit par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    body = models.TextField(_("message"), max_length=MAX_BODY_LENGTH)
    created_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("message")
        verbose_name_plural = _("messages")
        ordering = ["created_at", "id"]
        indexes = [models.Index(fields=["sollicitation", "created_at", "id"], name="sollicitation_message_idx")]

    def __str__(self):
        return f"{self.get_author_kind_display()} — {self.created_at:%d/%m/%Y %H:%M}"

    @property
    def from_support(self) -> bool:
        return self.author_kind == MessageAuthor.SUPPORT


class SollicitationAttachment(models.Model):
    """A file joined to a message: stored under a random name, its original name kept for display."""

    message = models.ForeignKey(SollicitationMessage, on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=sollicitation_upload_to, max_length=255)
    original_filename = models.CharField(_("nom du fichier"), max_length=500)
    size = models.PositiveBigIntegerField(_("taille"))
    content_type = models.CharField(_("type de contenu"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("déposée le"), default=timezone.now)

    class Meta:
        verbose_name = _("pièce jointe de sollicitation")
        verbose_name_plural = _("pièces jointes de sollicitation")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="sollicitation_attachment_not_empty")]

    def __str__(self):
        return self.original_filename
