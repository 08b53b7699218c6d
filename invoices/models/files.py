"""Files of an invoice: the storage names of uploads, and the pièces jointes."""

import uuid

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


def _random_name(prefix: str, filename: str, default_ext: str) -> str:
    """A storage name that reveals nothing and cannot escape its folder: prefix/yyyy/mm/<uuid>.ext."""
    ext = filename.rsplit(".", 1)[-1].lower() if "." in filename else ""
    if not ext.isalnum() or len(ext) > 10:
        ext = default_ext
    now = timezone.now()
    return f"{prefix}/{now:%Y/%m}/{uuid.uuid4().hex}.{ext}"


def invoice_pdf_upload_to(instance, filename: str) -> str:
    return _random_name("factures", "x.pdf", "pdf")


def source_xml_upload_to(instance, filename: str) -> str:
    return _random_name("factures-xml", "x.xml", "xml")


def attachment_upload_to(instance, filename: str) -> str:
    return _random_name("pieces-jointes", filename, "bin")


class InvoiceAttachment(models.Model):
    """A pièce jointe: stored under a random name, its original name kept for display."""

    invoice = models.ForeignKey("invoices.Invoice", on_delete=models.CASCADE, related_name="attachments")
    file = models.FileField(_("fichier"), upload_to=attachment_upload_to, max_length=255)
    original_filename = models.CharField(_("nom du fichier"), max_length=500)
    size = models.PositiveBigIntegerField(_("taille"))
    content_type = models.CharField(_("type de contenu"), max_length=100, blank=True)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposée par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("déposée le"), auto_now_add=True)

    class Meta:
        verbose_name = _("pièce jointe")
        verbose_name_plural = _("pièces jointes")
        ordering = ["created_at", "id"]
        constraints = [models.CheckConstraint(condition=Q(size__gt=0), name="invoice_attachment_not_empty")]

    def __str__(self):
        return self.original_filename
