"""Accounts: the user (e-mail login), the home page's news and the durable e-mail outbox."""

import uuid

from django.contrib.auth.base_user import BaseUserManager
from django.contrib.auth.models import AbstractUser
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models.functions import Lower
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class UserManager(BaseUserManager):
    use_in_migrations = True

    def _create_user(self, email, password, **extra_fields):
        if not email:
            raise ValueError("L'adresse e-mail est obligatoire.")
        email = self.normalize_email(email).lower()
        user = self.model(email=email, **extra_fields)
        user.set_password(password)
        user.save(using=self._db)
        return user

    def create_user(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", False)
        extra_fields.setdefault("is_superuser", False)
        return self._create_user(email, password, **extra_fields)

    def create_superuser(self, email, password=None, **extra_fields):
        extra_fields.setdefault("is_staff", True)
        extra_fields.setdefault("is_superuser", True)
        if extra_fields.get("is_staff") is not True or extra_fields.get("is_superuser") is not True:
            raise ValueError("Un super-utilisateur doit avoir is_staff et is_superuser.")
        return self._create_user(email, password, **extra_fields)

    def get_by_natural_key(self, email):
        return self.get(email__iexact=email)


class User(AbstractUser):
    """A portal account: the e-mail address is the login."""

    username = None
    email = models.EmailField(_("adresse e-mail de connexion"), unique=True)
    first_name = models.CharField(_("prénom"), max_length=150)
    last_name = models.CharField(_("nom"), max_length=150)
    phone = models.CharField(_("téléphone"), max_length=20, blank=True)
    # Only ever a confirmed address: a new one waits in contact_email_pending until its owner
    # follows the link sent to it (accounts.services.contact_email_confirm).
    contact_email = models.EmailField(
        _("adresse e-mail de contact"),
        blank=True,
        help_text=_("Adresse confirmée où recevoir les notifications, si elle diffère de celle de connexion."),
    )
    contact_email_pending = models.EmailField(
        _("adresse e-mail de contact à confirmer"),
        blank=True,
        help_text=_("Nouvelle adresse de contact demandée, utilisée seulement une fois confirmée par le lien envoyé."),
    )
    cgu_accepted_at = models.DateTimeField(_("CGU acceptées le"), null=True, blank=True)

    USERNAME_FIELD = "email"
    REQUIRED_FIELDS = ["first_name", "last_name"]

    objects = UserManager()

    class Meta:
        verbose_name = _("utilisateur")
        verbose_name_plural = _("utilisateurs")
        constraints = [
            models.UniqueConstraint(Lower("email"), name="accounts_user_email_ci_unique"),
        ]

    def __str__(self):
        full_name = self.get_full_name()
        return f"{full_name} <{self.email}>" if full_name else self.email

    def clean(self):
        super().clean()
        self.email = self.__class__.objects.normalize_email(self.email).lower()

    @property
    def notification_email(self) -> str:
        """The one place that decides where notifications go: the confirmed contact address, else
        the login address (a contact address waiting for its confirmation is never used)."""
        return self.contact_email or self.email


class NewsQuerySet(models.QuerySet):
    def published(self, now=None):
        """Published at ``now`` (this instant when not given), from ``published_at`` until
        ``published_until`` (excluded) when it is set."""
        now = now or timezone.now()
        return self.filter(is_published=True, published_at__lte=now).filter(
            models.Q(published_until__isnull=True) | models.Q(published_until__gt=now)
        )


class News(models.Model):
    """An item of the "Actualités" block of the public home page, written by staff in the admin."""

    title = models.CharField(_("titre"), max_length=200)
    body = models.TextField(_("texte"))
    published_at = models.DateTimeField(_("date de publication"), default=timezone.now)
    published_until = models.DateTimeField(
        _("publiée jusqu'au"),
        null=True,
        blank=True,
        help_text=_("Vide : l'actualité reste publiée. Sinon elle disparaît des pages d'accueil à cette date."),
    )
    is_published = models.BooleanField(_("publiée"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    objects = NewsQuerySet.as_manager()

    class Meta:
        verbose_name = _("actualité")
        verbose_name_plural = _("actualités")
        ordering = ["-published_at"]
        indexes = [models.Index(fields=["is_published", "-published_at"])]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(published_until__isnull=True)
                | models.Q(published_until__gt=models.F("published_at")),
                name="news_ends_after_it_starts",
                violation_error_message=_("La fin de publication doit être postérieure à la date de publication."),
            )
        ]

    def __str__(self):
        return self.title

    def clean(self):
        super().clean()
        if self.published_until and self.published_at and self.published_until <= self.published_at:
            raise ValidationError(
                {"published_until": _("La fin de publication doit être postérieure à la date de publication.")}
            )


def _new_idempotency_key() -> str:
    return uuid.uuid4().hex


class OutboxState(models.TextChoices):
    PENDING = "pending", _("En attente")
    SENT = "sent", _("Envoyé")
    FAILED = "failed", _("En échec")


class OutboxEmail(models.Model):
    """One e-mail of the portal, written in the transaction of what it tells, then delivered by the
    ``accounts.deliver_email`` task (see ``accounts/outbox.py`` for the claim, the lease and the
    retries). Rows are kept once sent: they are the record of what the portal wrote to whom."""

    idempotency_key = models.CharField(
        _("clé d'idempotence"),
        max_length=200,
        unique=True,
        default=_new_idempotency_key,
        help_text=_("Un second message avec la même clé n'est pas écrit (ni envoyé) une seconde fois."),
    )
    to = models.JSONField(_("destinataires"), default=list)
    cc = models.JSONField(_("copie"), default=list, blank=True)
    bcc = models.JSONField(_("copie cachée"), default=list, blank=True)
    reply_to = models.JSONField(_("répondre à"), default=list, blank=True)
    from_email = models.CharField(_("expéditeur"), max_length=320, blank=True)
    subject = models.CharField(_("objet"), max_length=998)
    body = models.TextField(_("texte"), blank=True)
    html_body = models.TextField(_("HTML"), blank=True)
    headers = models.JSONField(_("en-têtes"), default=dict, blank=True)
    state = models.CharField(_("état"), max_length=10, choices=OutboxState.choices, default=OutboxState.PENDING)
    attempts = models.PositiveSmallIntegerField(_("tentatives"), default=0)
    last_error = models.TextField(_("dernière erreur"), blank=True)
    created_at = models.DateTimeField(_("créé le"), default=timezone.now, editable=False)
    # Not before this time may the sweeper hand the row to a worker again (set at each enqueue and
    # after each failure, with backoff).
    next_attempt_at = models.DateTimeField(_("prochaine tentative"), default=timezone.now)
    # The lease of the worker sending it: until then no one else may claim the row; a worker killed
    # after its claim leaves a lease that expires, and the sweeper hands the row on.
    claimed_until = models.DateTimeField(_("réservé jusqu'au"), null=True, blank=True)
    claim_token = models.CharField(max_length=32, blank=True, editable=False)
    sent_at = models.DateTimeField(_("envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("e-mail de la boîte d'envoi")
        verbose_name_plural = _("boîte d'envoi des e-mails")
        ordering = ["-created_at", "-id"]
        indexes = [
            # The sweeper's query: pending rows due again.
            models.Index(
                fields=["next_attempt_at"],
                condition=models.Q(state="pending"),
                name="outbox_email_due_idx",
            ),
            models.Index(fields=["state", "-created_at"], name="outbox_email_state_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=models.Q(state__in=["pending", "sent", "failed"]), name="outbox_email_state_valid"
            ),
        ]

    def __str__(self):
        return f"{self.subject} → {', '.join(self.to)}"
