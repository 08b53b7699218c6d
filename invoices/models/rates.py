"""The ECB rate of the late-payment interest, by semester, as the operators set it."""

from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from invoices.payment import semester_start


class LatePaymentRate(models.Model):
    """The ECB main refinancing rate in force on the first day of a semester (1 January or 1 July),
    from which the late-payment interest of invoices late in that semester is computed (rate + 8
    points, invoices/payment.py). A row stays in force until the next one; set by
    ``manage.py late_payment_rate`` or in the admin."""

    valid_from = models.DateField(_("en vigueur à partir du"), unique=True)
    ecb_rate = models.DecimalField(
        _("taux de la BCE (%)"),
        max_digits=5,
        decimal_places=2,
        help_text=_("Taux de l'opération principale de refinancement de la BCE, en pour cent (par exemple 2,15)."),
    )
    created_at = models.DateTimeField(_("enregistré le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifié le"), auto_now=True)

    class Meta:
        verbose_name = _("taux des intérêts moratoires")
        verbose_name_plural = _("taux des intérêts moratoires")
        ordering = ["-valid_from"]
        constraints = [
            models.CheckConstraint(
                condition=Q(ecb_rate__gte=-5) & Q(ecb_rate__lte=30),
                name="late_payment_rate_range",
                violation_error_message=_("Le taux de la BCE doit être compris entre -5 % et 30 %."),
            ),
        ]

    def __str__(self):
        return f"{self.valid_from:%d/%m/%Y} : {self.ecb_rate} %"

    def clean(self):
        super().clean()
        if self.valid_from is not None and self.valid_from != semester_start(self.valid_from):
            raise ValidationError(
                {"valid_from": _("Le taux s'applique par semestre : choisissez le 1er janvier ou le 1er juillet.")}
            )
