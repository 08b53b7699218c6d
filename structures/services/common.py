"""What the structures services share: e-mails, history rows, row locks and field updates."""

from django.conf import settings
from django.core.mail import EmailMessage
from django.template.loader import render_to_string

from accounts.services import email_enqueue
from chorus.links import absolute_url
from structures.models import (
    ADDRESS_AND_CONTACT_FIELDS,
    Membership,
    MembershipEvent,
)

# Fields of a structure its gestionnaire may change through ``structure_update``; support may also
# change its state and the directory's rules of a recipient (as the admin shows them).
STRUCTURE_EDITABLE_FIELDS = frozenset({"name", "vat_number", *ADDRESS_AND_CONTACT_FIELDS})
STRUCTURE_SUPPORT_FIELDS = STRUCTURE_EDITABLE_FIELDS | {
    "is_active",
    "ej_required",
    "service_required",
    "service_or_ej_required",
    "reports_payment_status",
    "payment_delay_days",
    "edi_sender",
    "edi_receiver",
    "is_moa",
    "is_moa_only",
    "is_state",
}
SERVICE_EDITABLE_FIELDS = frozenset({"code", "name", "is_active", *ADDRESS_AND_CONTACT_FIELDS})
SERVICE_SUPPORT_FIELDS = SERVICE_EDITABLE_FIELDS | {"ej_required"}
BANK_ACCOUNT_EDITABLE_FIELDS = frozenset({"label", "iban", "bic", "is_active"})


def send_email(*, template: str, to: list[str], context: dict) -> None:
    """Render ``emails/structures/<template>_subject.txt`` and ``_message.txt`` and enqueue them."""
    if not to:
        return
    context = {"portal_url": absolute_url("/"), **context}
    subject = render_to_string(f"emails/structures/{template}_subject.txt", context)
    subject = settings.ACCOUNT_EMAIL_SUBJECT_PREFIX + " ".join(subject.split())
    body = render_to_string(f"emails/structures/{template}_message.txt", context)
    email_enqueue(message=EmailMessage(subject=subject, body=body, to=to))


def display(user) -> str:
    return user.get_full_name() or user.email


def lock_membership(membership: Membership) -> Membership:
    """Re-read the membership under a row lock (the caller's copy may be stale)."""
    return Membership.objects.select_for_update(of=("self",)).select_related("user", "structure").get(pk=membership.pk)


def record_event(membership: Membership, action: str, actor, comment: str = "") -> MembershipEvent:
    return MembershipEvent.objects.create(membership=membership, action=action, actor=actor, comment=comment)


def apply_fields(instance, fields: dict, allowed: frozenset, what: str) -> list[str]:
    unknown = set(fields) - allowed
    if unknown:
        raise TypeError(f"{what}: champs non modifiables {sorted(unknown)}")
    # Every given field is written, changed or not: a ModelForm may already have set them on
    # the instance it was given.
    for name, value in fields.items():
        setattr(instance, name, value)
    return list(fields)
