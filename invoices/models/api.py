"""What the API keeps of its deposits: the flux (``deposer/flux``, followed by ``consulterCR``)
and the files added before they are attached (``ajouter/fichier``)."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from invoices.models.files import attachment_upload_to
from invoices.models.invoice import Invoice
from structures.models import ApiApplication, Structure, TechnicalUser


class FluxSyntax(models.TextChoices):
    UBL = "IN_DP_E1_UBL_INVOICE", _("UBL Invoice (XML)")
    CII = "IN_DP_E1_CII_16B", _("CII D16B (XML)")
    FACTURX = "IN_DP_E2_CII_FACTURX", _("Factur-X (PDF)")


class FluxState(models.TextChoices):
    """The states of a flux of the real portal; a flux here is processed when it is deposited, so
    it is read as IN_INTEGRE or IN_REJETE once the deposit has answered."""

    RECEIVED = "IN_RECU", _("Reçu")
    INTEGRATED = "IN_INTEGRE", _("Intégré")
    PARTIAL = "IN_INTEGRE_PARTIEL", _("Intégré partiellement")
    REJECTED = "IN_REJETE", _("Rejeté")


class ApiFlux(models.Model):
    """A flux deposited through the API: its number (``CPP`` + 22 digits), who deposited it, its
    state, the errors that rejected it, and the invoice it gave."""

    number = models.CharField(_("numéro de flux"), max_length=25, unique=True)
    supplier = models.ForeignKey(Structure, verbose_name=_("fournisseur"), on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        ApiApplication, verbose_name=_("application"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    technical_user = models.ForeignKey(
        TechnicalUser, verbose_name=_("utilisateur technique"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    syntax = models.CharField(_("syntaxe"), max_length=40, choices=FluxSyntax.choices)
    filename = models.CharField(_("nom du fichier"), max_length=255)
    signed = models.BooleanField(_("avec signature"), default=False)
    state = models.CharField(_("état"), max_length=30, choices=FluxState.choices, default=FluxState.RECEIVED)
    errors = models.JSONField(_("erreurs"), default=list, blank=True)
    invoice = models.OneToOneField(
        Invoice, verbose_name=_("facture"), null=True, blank=True, on_delete=models.SET_NULL, related_name="api_flux"
    )
    created_at = models.DateTimeField(_("déposé le"), auto_now_add=True)
    state_changed_at = models.DateTimeField(_("état modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("flux déposé par l'API")
        verbose_name_plural = _("flux déposés par l'API")
        ordering = ["-created_at", "-id"]

    def __str__(self):
        return self.number


class ApiFile(models.Model):
    """A file added through ``transverses/v1/ajouter/fichier``, waiting to be attached to an
    invoice (``completer``, ``soumettre``); only its structure's technical users may use it."""

    supplier = models.ForeignKey(Structure, verbose_name=_("fournisseur"), on_delete=models.CASCADE, related_name="+")
    file = models.FileField(_("fichier"), upload_to=attachment_upload_to, max_length=255)
    original_filename = models.CharField(_("nom du fichier"), max_length=255)
    size = models.PositiveBigIntegerField(_("taille"), default=0)
    created_at = models.DateTimeField(_("ajouté le"), auto_now_add=True)
    used_at = models.DateTimeField(_("utilisé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("fichier ajouté par l'API")
        verbose_name_plural = _("fichiers ajoutés par l'API")
        indexes = [models.Index(fields=["supplier", "-created_at"], name="api_file_supplier_idx")]

    def __str__(self):
        return self.original_filename
