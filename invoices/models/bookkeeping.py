"""Technical rows: the named counters of identifiers, and the daily digests already sent."""

from django.conf import settings
from django.db import models
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Sequence(models.Model):
    """A named counter (one row per year of identifiers), incremented under a row lock."""

    key = models.CharField(_("clé"), max_length=30, unique=True)
    last_value = models.PositiveBigIntegerField(_("dernière valeur"), default=0)

    class Meta:
        verbose_name = _("séquence")
        verbose_name_plural = _("séquences")

    def __str__(self):
        return f"{self.key}: {self.last_value}"


class DigestDelivery(models.Model):
    """One daily digest sent to a user (``invoices.send_daily_digest``): the unique (user, day)
    makes a second run of the same day send nothing."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="+"
    )
    day = models.DateField(_("jour"))
    events_count = models.PositiveIntegerField(_("événements"), default=0)
    sent_at = models.DateTimeField(_("envoyé le"), default=timezone.now)

    class Meta:
        verbose_name = _("récapitulatif quotidien envoyé")
        verbose_name_plural = _("récapitulatifs quotidiens envoyés")
        constraints = [models.UniqueConstraint(fields=["user", "day"], name="digest_delivery_unique_per_day")]

    def __str__(self):
        return f"{self.user_id} {self.day}"
