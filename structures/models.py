"""Structures (companies and public bodies), their services, bank details, members and EJ.

Writes go through ``structures.services``; reads that carry access rules through
``structures/selectors.py``.
"""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.db.models.functions import Upper
from django.utils.translation import gettext_lazy as _

from structures.validators import validate_bic, validate_iban, validate_siret


class StructureKind(models.TextChoices):
    PRIVATE = "PRIVEE", _("Fournisseur (structure privée)")
    PUBLIC = "PUBLIQUE", _("Destinataire public")


class IdentifierType(models.TextChoices):
    SIRET = "SIRET", _("SIRET")
    UE_HORS_FRANCE = "UE_HORS_FRANCE", _("Structure européenne hors France")
    HORS_UE = "HORS_UE", _("Structure hors Union européenne")
    RIDET = "RIDET", _("RIDET (Nouvelle-Calédonie)")
    TAHITI = "TAHITI", _("Numéro Tahiti (Polynésie française)")
    AUTRE = "AUTRE", _("Autre")


class AddressMixin(models.Model):
    address_line1 = models.CharField(_("adresse"), max_length=255, blank=True)
    address_line2 = models.CharField(_("complément d'adresse 1"), max_length=255, blank=True)
    address_line3 = models.CharField(_("complément d'adresse 2"), max_length=255, blank=True)
    postal_code = models.CharField(_("code postal"), max_length=20, blank=True)
    city = models.CharField(_("ville"), max_length=150, blank=True)
    country_code = models.CharField(_("code pays"), max_length=2, default="FR", blank=True)
    country_label = models.CharField(_("pays"), max_length=100, default="France", blank=True)
    phone = models.CharField(_("téléphone"), max_length=40, blank=True)
    email = models.EmailField(_("adresse e-mail"), max_length=254, blank=True)

    class Meta:
        abstract = True


# Names of the address and contact fields shared by structures and services, in form order.
ADDRESS_AND_CONTACT_FIELDS = tuple(field.name for field in AddressMixin._meta.fields)
# Délais globaux de paiement of the Code de la commande publique (invoices/payment.py DELAY_CHOICES).
PAYMENT_DELAY_CHOICES = [
    (30, _("30 jours (État, collectivités, établissements publics)")),
    (50, _("50 jours (établissements publics de santé)")),
    (60, _("60 jours (certaines entreprises publiques)")),
]


class StructureQuerySet(models.QuerySet):
    def public(self):
        return self.filter(kind=StructureKind.PUBLIC)

    def private(self):
        return self.filter(kind=StructureKind.PRIVATE)

    def active(self):
        return self.filter(is_active=True)


class Structure(AddressMixin):
    """A fiche structure: a supplier company or a public recipient of the directory."""

    kind = models.CharField(_("type de structure"), max_length=10, choices=StructureKind.choices, db_index=True)
    identifier_type = models.CharField(
        _("type d'identifiant"), max_length=20, choices=IdentifierType.choices, default=IdentifierType.SIRET
    )
    identifier = models.CharField(_("identifiant"), max_length=80)
    name = models.CharField(_("raison sociale"), max_length=255)
    vat_number = models.CharField(_("numéro de TVA intracommunautaire"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)
    # Recipient flags of the directory (see the reference doc §3).
    ej_required = models.BooleanField(_("n° d'engagement obligatoire"), default=False)
    service_required = models.BooleanField(_("code service obligatoire"), default=False)
    service_or_ej_required = models.BooleanField(_("code service ou n° d'engagement obligatoire"), default=False)
    reports_payment_status = models.BooleanField(_("gère le statut de mise en paiement"), default=False)
    # Délai global de paiement of a public recipient (Code de la commande publique, R. 2192-10 s.):
    # the payment clock of its invoices (invoices/payment.py) runs this many days.
    payment_delay_days = models.PositiveSmallIntegerField(
        _("délai global de paiement (jours)"),
        choices=PAYMENT_DELAY_CHOICES,
        default=30,
        help_text=_(
            "30 jours pour l'État, les collectivités et la plupart des établissements publics, "
            "50 jours pour les établissements publics de santé, 60 jours pour certaines entreprises publiques."
        ),
    )
    edi_sender = models.BooleanField(_("émetteur EDI"), default=False)
    edi_receiver = models.BooleanField(_("récepteur EDI"), default=False)
    is_moa = models.BooleanField(_("maître d'ouvrage"), default=False)
    is_moa_only = models.BooleanField(_("maître d'ouvrage uniquement"), default=False)
    # A recipient of the State (ministries and their services) rather than a local authority or
    # another public body: the "destinataire État / hors État" criterion of "Factures émises".
    # The directory export has no such column: an optional ``EstEtat`` column sets it, or support.
    is_state = models.BooleanField(_("destinataire État"), default=False, db_default=False)
    # Manual entry needs the billing mandate and the CGU accepted once (who and when).
    mandate_accepted_at = models.DateTimeField(_("mandat de facturation accepté le"), null=True, blank=True)
    mandate_accepted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("mandat de facturation accepté par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    # Who created the fiche on the portal (any user may, for a SIRET not yet here): shown to support.
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("créée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    updated_at = models.DateTimeField(_("modifiée le"), auto_now=True)

    objects = StructureQuerySet.as_manager()

    class Meta:
        verbose_name = _("structure")
        verbose_name_plural = _("structures")
        ordering = ["name"]
        # The support rule (structures/access.py): given by the « Support » group (migration 0005).
        permissions = [
            ("support", _("Support : gérer toutes les structures, leurs rattachements et leurs gestionnaires"))
        ]
        constraints = [
            models.UniqueConstraint(fields=["identifier_type", "identifier"], name="structure_identifier_unique"),
            models.CheckConstraint(
                condition=~Q(identifier_type="SIRET") | Q(identifier__regex=r"^[0-9]{14}$"),
                name="structure_siret_14_digits",
                violation_error_message=_("Un SIRET comporte 14 chiffres."),
            ),
        ]
        indexes = [
            models.Index(fields=["identifier"], name="structure_identifier_idx"),
            models.Index(fields=["name"], name="structure_name_idx"),
            # Attachment search on PostgreSQL: a SIRET prefix (LIKE 'x%' needs the pattern opclass
            # under a non-C collation) and the exact raison sociale, case-insensitive (UPPER).
            models.Index(
                fields=["identifier"], opclasses=["varchar_pattern_ops"], name="structure_identifier_like_idx"
            ),
            models.Index(Upper("name"), name="structure_upper_name_idx"),
        ]

    def __str__(self):
        return f"{self.name} ({self.identifier})"

    def clean(self):
        super().clean()
        if self.identifier_type == IdentifierType.SIRET:
            from structures.validators import normalize_siret

            self.identifier = normalize_siret(self.identifier)
            validate_siret(self.identifier)

    @property
    def is_public(self) -> bool:
        return self.kind == StructureKind.PUBLIC


class Service(AddressMixin):
    """A service of a structure (for a public recipient, its "code service")."""

    RESERVED_CODE = "FACTURES_PUBLIQUES"

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="services"
    )
    code = models.CharField(_("code service"), max_length=100)
    name = models.CharField(_("nom du service"), max_length=255)
    is_active = models.BooleanField(_("actif"), default=True)
    ej_required = models.BooleanField(_("n° d'engagement obligatoire"), default=False)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("service")
        verbose_name_plural = _("services")
        ordering = ["code"]
        constraints = [models.UniqueConstraint(fields=["structure", "code"], name="service_code_unique_per_structure")]

    def __str__(self):
        return f"{self.code} — {self.name}"


class BankAccount(models.Model):
    """Bank details (coordonnées bancaires) of a supplier."""

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="bank_accounts"
    )
    label = models.CharField(_("libellé"), max_length=100)
    iban = models.CharField(_("IBAN"), max_length=34, validators=[validate_iban])
    bic = models.CharField(_("BIC"), max_length=11, validators=[validate_bic])
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("coordonnées bancaires")
        verbose_name_plural = _("coordonnées bancaires")
        ordering = ["label"]
        constraints = [
            models.UniqueConstraint(fields=["structure", "iban"], name="bank_account_iban_unique_per_structure")
        ]

    def __str__(self):
        return f"{self.label} ({self.iban[:4]}…{self.iban[-4:]})"


class MembershipRole(models.TextChoices):
    MAIN_MANAGER = "GESTIONNAIRE_PRINCIPAL", _("Gestionnaire principal")
    USER = "UTILISATEUR", _("Utilisateur")


class MembershipStatus(models.TextChoices):
    PENDING = "EN_ATTENTE", _("En attente de validation")
    ACTIVE = "ACTIF", _("Actif")
    REFUSED = "REFUSE", _("Refusé")
    REVOKED = "RETIRE", _("Détaché")


class Membership(models.Model):
    """A user's attachment to a structure; a pending one is a demande de rattachement."""

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("utilisateur"), on_delete=models.CASCADE, related_name="memberships"
    )
    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="memberships"
    )
    role = models.CharField(_("rôle"), max_length=30, choices=MembershipRole.choices, default=MembershipRole.USER)
    status = models.CharField(
        _("statut"), max_length=20, choices=MembershipStatus.choices, default=MembershipStatus.PENDING, db_index=True
    )
    message = models.TextField(_("message du demandeur"), blank=True)
    requested_at = models.DateTimeField(_("demandé le"), auto_now_add=True)
    decided_at = models.DateTimeField(_("décidé le"), null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("décidé par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    decision_comment = models.TextField(_("commentaire de la décision"), blank=True)
    # Notification preferences of the member for this structure (used by the invoices app).
    notify_invoice_events = models.BooleanField(
        _("Recevoir les notifications des factures de la structure"), default=False
    )
    daily_digest = models.BooleanField(_("Recevoir un récapitulatif quotidien"), default=False)

    class Meta:
        verbose_name = _("rattachement")
        verbose_name_plural = _("rattachements")
        ordering = ["-requested_at"]
        constraints = [
            models.UniqueConstraint(fields=["user", "structure"], name="membership_unique_per_user_structure")
        ]
        indexes = [models.Index(fields=["structure", "status"], name="membership_struct_status_idx")]

    def __str__(self):
        return f"{self.user} → {self.structure} ({self.get_status_display()})"

    @property
    def is_active(self) -> bool:
        return self.status == MembershipStatus.ACTIVE

    @property
    def is_main_manager(self) -> bool:
        return self.is_active and self.role == MembershipRole.MAIN_MANAGER


class MembershipEvent(models.Model):
    """Append-only history of a membership: request, approval, refusal, detachment, role change,
    attachment of an agent by support, transfer of the structure by support."""

    class Action(models.TextChoices):
        REQUESTED = "DEMANDE", _("Demande de rattachement")
        CREATED_STRUCTURE = "CREATION", _("Création de la structure")
        APPROVED = "VALIDATION", _("Validation")
        REFUSED = "REFUS", _("Refus")
        REVOKED = "DETACHEMENT", _("Détachement")
        ROLE_CHANGED = "ROLE", _("Changement de rôle")
        ATTACHED = "RATTACHEMENT", _("Rattachement d'un agent par le support")
        TRANSFERRED = "TRANSFERT", _("Transfert de la structure par le support")

    membership = models.ForeignKey(Membership, on_delete=models.CASCADE, related_name="events")
    action = models.CharField(_("action"), max_length=20, choices=Action.choices)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    comment = models.TextField(_("commentaire"), blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("événement de rattachement")
        verbose_name_plural = _("historique des rattachements")
        ordering = ["created_at", "id"]

    def __str__(self):
        return f"{self.get_action_display()} — {self.created_at:%d/%m/%Y %H:%M}"


class EngagementStatus(models.TextChoices):
    ACTIVE = "ACTIF", _("Actif")
    CLOSED = "CLOTURE", _("Clôturé")
    CANCELLED = "ANNULE", _("Annulé")


class EngagementJuridique(models.Model):
    """A legal commitment (EJ, n° de commande) of a public recipient towards a supplier."""

    number = models.CharField(_("n° d'engagement"), max_length=50)
    recipient = models.ForeignKey(
        Structure, verbose_name=_("destinataire"), on_delete=models.CASCADE, related_name="engagements"
    )
    supplier_identifier = models.CharField(_("identifiant du fournisseur"), max_length=80, db_index=True)
    supplier_name = models.CharField(_("raison sociale du fournisseur"), max_length=255, blank=True)
    amount = models.DecimalField(_("montant"), max_digits=15, decimal_places=2, null=True, blank=True)
    status = models.CharField(
        _("statut"), max_length=10, choices=EngagementStatus.choices, default=EngagementStatus.ACTIVE
    )
    start_date = models.DateField(_("date de début"), null=True, blank=True)
    end_date = models.DateField(_("date de fin"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("engagement juridique")
        verbose_name_plural = _("engagements juridiques")
        ordering = ["-created_at"]
        constraints = [
            models.UniqueConstraint(fields=["recipient", "number"], name="engagement_number_unique_per_recipient")
        ]
        indexes = [models.Index(fields=["number"], name="engagement_number_idx")]

    def __str__(self):
        return self.number


# --- API technical accounts (issue 13) ----------------------------------------------------------


class ApiApplication(models.Model):
    """An API application of a structure: the client id and secret of the token endpoint
    (``POST /api/oauth/token``). The secret is shown once at creation and only its SHA-256 is kept
    (it is 256 random bits: a slow hash would add nothing). Revocable; it expires, and its
    gestionnaires are reminded by e-mail before (``structures.services.api_applications_remind``)."""

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="api_applications"
    )
    name = models.CharField(_("nom de l'application"), max_length=100)
    client_id = models.CharField(_("identifiant client"), max_length=64, unique=True)
    secret_hash = models.CharField(_("empreinte du secret"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créée par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("créée le"), auto_now_add=True)
    expires_at = models.DateTimeField(_("expire le"))
    revoked_at = models.DateTimeField(_("révoquée le"), null=True, blank=True)
    revoked_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        verbose_name=_("révoquée par"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
    )
    expiry_reminder_sent_at = models.DateTimeField(_("rappel d'expiration envoyé le"), null=True, blank=True)

    class Meta:
        verbose_name = _("application API")
        verbose_name_plural = _("applications API")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["structure", "-created_at"], name="api_app_structure_idx"),
            # The expiry reminders: live applications by expiry date.
            models.Index(fields=["expires_at"], name="api_app_expiry_idx", condition=Q(revoked_at__isnull=True)),
        ]

    def __str__(self):
        return f"{self.name} ({self.client_id})"


class TechnicalUser(models.Model):
    """A technical user of a structure: the login and password of the ``cpro-account`` header.

    It acts through ``user``, a portal account that cannot log in to the portal (unusable
    password) with an active membership of the structure, so every service applies the same
    membership checks to the API as to the pages. The password is generated, shown once, and only
    its SHA-256 is kept (it is random: 192 bits)."""

    structure = models.ForeignKey(
        Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="technical_users"
    )
    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, verbose_name=_("compte"), on_delete=models.CASCADE, related_name="technical_user"
    )
    login = models.CharField(_("identifiant de connexion"), max_length=254, unique=True)
    password_hash = models.CharField(_("empreinte du mot de passe"), max_length=64)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, verbose_name=_("créé par"), null=True, on_delete=models.SET_NULL, related_name="+"
    )
    created_at = models.DateTimeField(_("créé le"), auto_now_add=True)
    revoked_at = models.DateTimeField(_("révoqué le"), null=True, blank=True)

    class Meta:
        verbose_name = _("utilisateur technique")
        verbose_name_plural = _("utilisateurs techniques")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["structure", "-created_at"], name="api_techuser_structure_idx")]

    def __str__(self):
        return self.login


class ApiAccessToken(models.Model):
    """A bearer token given by the token endpoint; only its SHA-256 is kept, with its expiry."""

    application = models.ForeignKey(ApiApplication, on_delete=models.CASCADE, related_name="tokens")
    token_hash = models.CharField(max_length=64, unique=True)
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()

    class Meta:
        verbose_name = _("jeton d'accès API")
        verbose_name_plural = _("jetons d'accès API")
        indexes = [models.Index(fields=["expires_at"], name="api_token_expiry_idx")]

    def __str__(self):
        return f"{self.application} (expire le {self.expires_at:%Y-%m-%d %H:%M})"


class ApiCall(models.Model):
    """The journal of the API: every call, with its application, its technical user and its answer."""

    structure = models.ForeignKey(Structure, verbose_name=_("structure"), on_delete=models.CASCADE, related_name="+")
    application = models.ForeignKey(
        ApiApplication, verbose_name=_("application"), on_delete=models.CASCADE, related_name="calls"
    )
    technical_user = models.ForeignKey(
        TechnicalUser,
        verbose_name=_("utilisateur technique"),
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="calls",
    )
    endpoint = models.CharField(_("service"), max_length=100)
    code_retour = models.IntegerField(_("code retour"))
    reference = models.CharField(_("objet"), max_length=100, blank=True)
    created_at = models.DateTimeField(_("le"), auto_now_add=True)

    class Meta:
        verbose_name = _("appel de l'API")
        verbose_name_plural = _("appels de l'API")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["structure", "-created_at"], name="api_call_structure_idx")]

    def __str__(self):
        return f"{self.endpoint} {self.code_retour}"
