"""API technical accounts of a structure: applications (client id and secret), technical users
(login and password of the ``cpro-account`` header), their tokens, their journal, the expiry
reminders. The secrets are random, shown once, and only their SHA-256 is kept (compared in
constant time); a slow password hash would add nothing to 192 random bits and would cost every
API call a third of a second.
"""

import hashlib
import hmac
import secrets
from datetime import timedelta

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from chorus.links import absolute_reverse
from structures import access
from structures.models import (
    ApiAccessToken,
    ApiApplication,
    ApiCall,
    Membership,
    MembershipEvent,
    MembershipRole,
    MembershipStatus,
    Structure,
    StructureKind,
    TechnicalUser,
)
from structures.services.common import display, record_event, send_email


def secret_hash(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _same(value: str, expected_hash: str) -> bool:
    return hmac.compare_digest(secret_hash(value), expected_hash)


def _check_supplier(structure: Structure, actor) -> None:
    access.check_can_manage(actor, structure)
    if structure.kind != StructureKind.PRIVATE or not structure.is_active:
        raise ValidationError(_("Seule une structure fournisseur active peut utiliser l'API."))


# --- Applications -------------------------------------------------------------------------------


@transaction.atomic
def api_application_create(*, structure: Structure, actor, name: str) -> tuple[ApiApplication, str]:
    """A new application of ``structure``; returns it and its secret (shown once, never again)."""
    _check_supplier(structure, actor)
    name = " ".join((name or "").split())
    if not name:
        raise ValidationError({"name": [_("Donnez un nom à l'application (par exemple le nom de votre logiciel).")]})
    if len(name) > 100:
        raise ValidationError({"name": [_("Le nom de l'application comporte au plus 100 caractères.")]})
    secret = secrets.token_urlsafe(32)
    application = ApiApplication.objects.create(
        structure=structure,
        name=name,
        client_id=secrets.token_hex(16),
        secret_hash=secret_hash(secret),
        created_by=actor,
        expires_at=timezone.now() + timedelta(days=settings.API_APPLICATION_LIFETIME_DAYS),
    )
    return application, secret


@transaction.atomic
def api_application_revoke(*, application: ApiApplication, actor) -> ApiApplication:
    """Revoke an application: its tokens stop working at once."""
    access.check_can_manage(actor, application.structure_id)
    application = ApiApplication.objects.select_for_update().get(pk=application.pk)
    if application.revoked_at is not None:
        raise ValidationError(_("Cette application est déjà révoquée."))
    application.revoked_at = timezone.now()
    application.revoked_by = actor
    application.save(update_fields=["revoked_at", "revoked_by"])
    ApiAccessToken.objects.filter(application=application).delete()
    return application


def application_is_live(application: ApiApplication, now=None) -> bool:
    now = now or timezone.now()
    return application.revoked_at is None and application.expires_at > now


def application_authenticate(*, client_id: str, client_secret: str) -> ApiApplication | None:
    """The live application with these credentials, else None."""
    if not client_id or not client_secret or len(client_id) > 64 or len(client_secret) > 200:
        return None
    application = ApiApplication.objects.select_related("structure").filter(client_id=client_id).first()
    if application is None or not _same(client_secret, application.secret_hash):
        return None
    if not application_is_live(application) or not application.structure.is_active:
        return None
    return application


def token_issue(*, application: ApiApplication) -> tuple[str, int]:
    """A new bearer token for ``application``; returns it and its lifetime in seconds."""
    lifetime = settings.API_TOKEN_LIFETIME_SECONDS
    token = secrets.token_urlsafe(32)
    now = timezone.now()
    ApiAccessToken.objects.create(
        application=application, token_hash=secret_hash(token), expires_at=now + timedelta(seconds=lifetime)
    )
    # Expired tokens of this application go (bounded, indexed): the table does not grow forever.
    ApiAccessToken.objects.filter(application=application, expires_at__lt=now).delete()
    return token, lifetime


def token_application(token: str) -> ApiApplication | None:
    """The live application a bearer token was given to, if the token has not expired."""
    if not token or len(token) > 200:
        return None
    now = timezone.now()
    row = (
        ApiAccessToken.objects.select_related("application__structure")
        .filter(token_hash=secret_hash(token), expires_at__gt=now)
        .first()
    )
    if row is None or not application_is_live(row.application, now) or not row.application.structure.is_active:
        return None
    return row.application


# --- Technical users ------------------------------------------------------------------------------


@transaction.atomic
def technical_user_create(*, structure: Structure, actor) -> tuple[TechnicalUser, str]:
    """A new technical user of ``structure``; returns it and its password (shown once).

    Its portal account cannot log in (unusable password) and is an active utilisateur of the
    structure, without e-mails (its address is not a mailbox)."""
    _check_supplier(structure, actor)
    password = secrets.token_urlsafe(24)
    login = f"tech_{structure.pk}_{secrets.token_hex(4)}@{settings.API_TECHNICAL_LOGIN_DOMAIN}"
    user = get_user_model().objects.create_user(
        email=login, password=None, first_name=_("Utilisateur technique"), last_name=_("API")
    )
    user.set_unusable_password()
    user.save(update_fields=["password"])
    membership = Membership.objects.create(
        user=user,
        structure=structure,
        role=MembershipRole.USER,
        status=MembershipStatus.ACTIVE,
        decided_at=timezone.now(),
        decided_by=actor,
        decision_comment=_("Utilisateur technique de l'API créé par %(actor)s.") % {"actor": display(actor)},
        notify_invoice_events=False,
    )
    record_event(membership, MembershipEvent.Action.APPROVED, actor, comment=_("Utilisateur technique de l'API"))
    technical = TechnicalUser.objects.create(
        structure=structure, user=user, login=login, password_hash=secret_hash(password), created_by=actor
    )
    return technical, password


@transaction.atomic
def technical_user_revoke(*, technical_user: TechnicalUser, actor) -> TechnicalUser:
    """Revoke a technical user: its account is deactivated and detached from the structure."""
    access.check_can_manage(actor, technical_user.structure_id)
    technical_user = TechnicalUser.objects.select_for_update().select_related("user").get(pk=technical_user.pk)
    if technical_user.revoked_at is not None:
        raise ValidationError(_("Cet utilisateur technique est déjà révoqué."))
    technical_user.revoked_at = timezone.now()
    technical_user.save(update_fields=["revoked_at"])
    user = technical_user.user
    user.is_active = False
    user.save(update_fields=["is_active"])
    for membership in Membership.objects.filter(user=user, status=MembershipStatus.ACTIVE):
        membership.status = MembershipStatus.REVOKED
        membership.save(update_fields=["status"])
        record_event(membership, MembershipEvent.Action.REVOKED, actor, comment=_("Utilisateur technique révoqué"))
    return technical_user


def technical_user_authenticate(*, structure_id: int, login: str, password: str) -> TechnicalUser | None:
    """The live technical user of this structure with these credentials (login case-insensitive),
    whose account is still an active member of it; else None."""
    if not login or not password or len(login) > 254 or len(password) > 200:
        return None
    technical = (
        TechnicalUser.objects.select_related("user", "structure")
        .filter(login__iexact=login.strip(), structure_id=structure_id, revoked_at__isnull=True)
        .first()
    )
    if technical is None or not _same(password, technical.password_hash) or not technical.user.is_active:
        return None
    if not access.is_active_member(technical.user, structure_id):
        return None
    return technical


def api_call_record(
    *, application: ApiApplication, technical_user: TechnicalUser | None, endpoint: str, code: int, reference=""
) -> ApiCall:
    return ApiCall.objects.create(
        structure_id=application.structure_id,
        application=application,
        technical_user=technical_user,
        endpoint=endpoint[:100],
        code_retour=code,
        reference=str(reference or "")[:100],
    )


# --- Expiry reminders -----------------------------------------------------------------------------


def api_applications_remind(*, now=None) -> int:
    """E-mail the gestionnaires principaux of each live application expiring within
    API_EXPIRY_REMINDER_DAYS, once per application (the claim and the outbox row commit together);
    returns how many applications were told about."""
    now = now or timezone.now()
    horizon = now + timedelta(days=settings.API_EXPIRY_REMINDER_DAYS)
    told = 0
    due = ApiApplication.objects.filter(
        revoked_at__isnull=True, expires_at__gt=now, expires_at__lte=horizon, expiry_reminder_sent_at__isnull=True
    ).values_list("pk", flat=True)
    for pk in list(due[:500]):
        with transaction.atomic():
            application = (
                ApiApplication.objects.select_for_update(skip_locked=True)
                .select_related("structure")
                .filter(pk=pk, expiry_reminder_sent_at__isnull=True)
                .first()
            )
            if application is None:
                continue
            application.expiry_reminder_sent_at = now
            application.save(update_fields=["expiry_reminder_sent_at"])
            for membership in access.main_manager_memberships(application.structure_id):
                send_email(
                    template="api_application_expiring",
                    to=[membership.user.notification_email],
                    context={
                        "application": application,
                        "structure": application.structure,
                        "recipient": membership.user,
                        "api_url": absolute_reverse("structures:api_access"),
                    },
                )
            told += 1
    return told
