"""Batch deposits: a zip of invoice files stored on upload, then processed by a worker, one
``DepositBatchItem`` per file with its outcome (``services.batch``)."""

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from invoices.models.files import _random_name
from invoices.models.invoice import Cadre, Invoice
from structures.models import Structure


def batch_archive_upload_to(instance, filename: str) -> str:
    return _random_name("depots-lots", "x.zip", "zip")


class DepositBatchState(models.TextChoices):
    PENDING = "EN_ATTENTE", _("En attente")
    RUNNING = "EN_COURS", _("En cours")
    DONE = "TERMINE", _("Terminé")


class BatchItemState(models.TextChoices):
    PENDING = "EN_ATTENTE", _("En attente")
    SENT = "DEPOSEE", _("Déposée")
    DRAFT = "BROUILLON", _("Brouillon à compléter")
    REFUSED = "REFUSE", _("Refusé")
    IGNORED = "IGNORE", _("Ignoré")


class DepositBatch(models.Model):
    """A zip deposited by a supplier: the archive (in storage until the batch is done, then deleted:
    each file lives on in its invoice), who deposited it and for which
    structure, the cadre applied to each invoice, the counts of its files by outcome and its state.
    ``total`` counts the files to process (the ignored ones apart); ``updated_at`` moves with each
    file processed, so the sweeper finds a batch whose worker died."""

    supplier = models.ForeignKey(Structure, verbose_name=_("fournisseur"), on_delete=models.CASCADE, related_name="+")
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("déposé par"),
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    archive = models.FileField(_("archive"), upload_to=batch_archive_upload_to, max_length=255)
    original_filename = models.CharField(_("nom du fichier"), max_length=500)
    size = models.PositiveBigIntegerField(_("taille"))
    cadre = models.CharField(_("cadre de facturation"), max_length=3, choices=Cadre.choices, default=Cadre.A1)
    state = models.CharField(
        _("état"), max_length=20, choices=DepositBatchState.choices, default=DepositBatchState.PENDING
    )
    total = models.PositiveIntegerField(_("fichiers à traiter"), default=0)
    processed_count = models.PositiveIntegerField(_("fichiers traités"), default=0)
    sent_count = models.PositiveIntegerField(_("factures déposées"), default=0)
    draft_count = models.PositiveIntegerField(_("brouillons"), default=0)
    refused_count = models.PositiveIntegerField(_("fichiers refusés"), default=0)
    ignored_count = models.PositiveIntegerField(_("fichiers ignorés"), default=0)
    bytes_read = models.PositiveBigIntegerField(_("octets décompressés"), default=0)
    attempts = models.PositiveSmallIntegerField(_("traitements commencés"), default=0)
    created_at = models.DateTimeField(_("déposé le"), default=timezone.now, editable=False)
    started_at = models.DateTimeField(_("commencé le"), null=True, blank=True)
    finished_at = models.DateTimeField(_("terminé le"), null=True, blank=True)
    updated_at = models.DateTimeField(_("dernière activité"), default=timezone.now)

    class Meta:
        verbose_name = _("dépôt par lot")
        verbose_name_plural = _("dépôts par lot")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["supplier", "-created_at", "-id"], name="deposit_batch_supplier_idx"),
            models.Index(fields=["updated_at"], name="deposit_batch_unfinished_idx", condition=~Q(state="TERMINE")),
        ]
        constraints = [
            models.CheckConstraint(condition=Q(processed_count__lte=F("total")), name="deposit_batch_counts"),
        ]

    def __str__(self):
        return self.original_filename

    @property
    def is_done(self) -> bool:
        return self.state == DepositBatchState.DONE

    @property
    def percent(self) -> int:
        return 100 if not self.total else int(self.processed_count * 100 / self.total)


class DepositBatchItem(models.Model):
    """One file of a batch: its name in the zip (path included), its declared size, its outcome
    (state and French message) and the invoice it gave. The outcome is written in the transaction
    that creates the invoice, so a file is never deposited twice."""

    batch = models.ForeignKey(DepositBatch, verbose_name=_("lot"), on_delete=models.CASCADE, related_name="items")
    position = models.PositiveIntegerField(_("position dans l'archive"))
    name = models.CharField(_("fichier"), max_length=500)
    size = models.PositiveBigIntegerField(_("taille annoncée"), default=0)
    state = models.CharField(
        _("résultat"), max_length=20, choices=BatchItemState.choices, default=BatchItemState.PENDING
    )
    message = models.TextField(_("message"), blank=True)
    invoice = models.ForeignKey(
        Invoice, verbose_name=_("facture"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    processed_at = models.DateTimeField(_("traité le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier d'un dépôt par lot")
        verbose_name_plural = _("fichiers d'un dépôt par lot")
        ordering = ["batch", "position"]
        constraints = [
            models.UniqueConstraint(fields=["batch", "position"], name="deposit_batch_item_position"),
        ]

    def __str__(self):
        return self.name
