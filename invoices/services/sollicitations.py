"""Sollicitations (support requests): open one, reply (requester), answer and change the status
(support), and the visitor's "Nous contacter".

Rules:
- A member opens a sollicitation for a structure they are an active member of, optionally about
  one of its invoices; a logged-in user without a structure opens a personal one; a visitor's
  message ("Nous contacter") has neither structure nor author.
- Files follow the portal's limits for invoice attachments (``attachments.upload_errors``:
  extensions of the real portal, 10 Mo per file) and the whole sollicitation weighs at most
  120 Mo. A visitor sends no file and receives none (answers go by e-mail, text only).
- Statuses: OUVERTE when opened; support's answer puts it EN_COURS, or CLOTUREE if support closes
  it with the answer; a reply of the requester leaves it as it is, except a CLOTUREE one, which is
  reopened (OUVERTE): a question that comes back is never lost in a closed thread.
- E-mails go through the outbox in the same transaction (``invoices.sollicitation_mail``).

Only support (``structures.access.is_support``) answers or changes a status; the requester's side
checks the same access as the pages (``selectors.sollicitation_visible``).
"""

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Sum
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from invoices import selectors, sollicitation_mail
from invoices.models import (
    Invoice,
    MessageAuthor,
    Sollicitation,
    SollicitationAttachment,
    SollicitationCategory,
    SollicitationMessage,
    SollicitationStatus,
)
from invoices.models.sollicitations import MAX_BODY_LENGTH, MAX_SUBJECT_LENGTH
from invoices.services._common import clean_filename
from invoices.services.attachments import upload_errors
from structures import access

TOTAL_MESSAGE = gettext_lazy(
    "Les pièces jointes de la sollicitation pèseraient %(size)s : le total est limité à %(limit)s."
)


def _check_text(*, subject: str | None, body: str, category: str | None) -> dict:
    errors = {}
    if subject is not None:
        if not subject.strip():
            errors["subject"] = [_("Saisissez l'objet de votre demande.")]
        elif len(subject) > MAX_SUBJECT_LENGTH:
            errors["subject"] = [_("L'objet compte au plus %(max)d caractères.") % {"max": MAX_SUBJECT_LENGTH}]
    if category is not None and category not in SollicitationCategory.values:
        errors["category"] = [_("Choisissez une catégorie de la liste.")]
    if not body.strip():
        errors["body"] = [_("Saisissez votre message.")]
    elif len(body) > MAX_BODY_LENGTH:
        errors["body"] = [_("Le message compte au plus %(max)d caractères.") % {"max": MAX_BODY_LENGTH}]
    return errors


def _files_size(sollicitation: Sollicitation | None) -> int:
    if sollicitation is None:
        return 0
    total = SollicitationAttachment.objects.filter(message__sollicitation=sollicitation).aggregate(s=Sum("size"))
    return total["s"] or 0


def _add_message(sollicitation, *, kind: str, author, body: str, files) -> SollicitationMessage:
    message = SollicitationMessage.objects.create(
        sollicitation=sollicitation, author_kind=kind, author=author, body=body.strip()
    )
    for upload in files:
        name = clean_filename(upload.name)
        attachment = SollicitationAttachment(
            message=message,
            original_filename=name,
            size=upload.size,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
    return message


def _lock(sollicitation: Sollicitation) -> Sollicitation:
    return (
        Sollicitation.objects.select_for_update(of=("self",))
        .select_related("structure", "author", "invoice")
        .get(pk=sollicitation.pk)
    )


@transaction.atomic
def sollicitation_open(
    *,
    user,
    structure=None,
    category: str,
    subject: str,
    body: str,
    invoice: Invoice | None = None,
    files=(),
) -> Sollicitation:
    """Open a sollicitation for ``structure`` (``user`` must be an active member of it), or a
    personal one (``structure=None``); ``invoice`` must be one of the structure's."""
    files = list(files)
    if structure is not None and not access.is_active_member(user, structure):
        raise PermissionDenied(_("Vous n'êtes pas rattaché à cette structure."))
    errors = _check_text(subject=subject, body=body, category=category)
    if invoice is not None and (structure is None or invoice.supplier_id != structure.pk):
        errors["invoice"] = [_("Cette facture n'est pas une facture de votre structure.")]
    file_errors = upload_errors(files, total_message=TOTAL_MESSAGE)
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    sollicitation = Sollicitation.objects.create(
        structure=structure,
        author=user,
        category=category,
        subject=subject.strip(),
        invoice=invoice,
        created_at=now,
        last_message_at=now,
    )
    message = _add_message(sollicitation, kind=MessageAuthor.REQUESTER, author=user, body=body, files=files)
    sollicitation_mail.notify_opened(sollicitation, message)
    return sollicitation


@transaction.atomic
def sollicitation_contact(
    *, name: str, email: str, siret: str = "", category: str, subject: str, body: str
) -> Sollicitation:
    """A visitor's message from "Nous contacter": a sollicitation without structure nor author,
    acknowledged to ``email``; support's answers are e-mailed there. (Limits and the honeypot are
    the view's: they concern the request, not the message.)"""
    errors = _check_text(subject=subject, body=body, category=category)
    if not name.strip():
        errors["name"] = [_("Saisissez votre nom.")]
    if not email.strip():
        errors["email"] = [_("Saisissez votre adresse e-mail.")]
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    sollicitation = Sollicitation.objects.create(
        contact_name=name.strip()[:150],
        contact_email=email.strip(),
        contact_siret=siret,
        category=category,
        subject=subject.strip(),
        created_at=now,
        last_message_at=now,
    )
    message = _add_message(sollicitation, kind=MessageAuthor.REQUESTER, author=None, body=body, files=[])
    sollicitation_mail.notify_opened(sollicitation, message)
    return sollicitation


@transaction.atomic
def sollicitation_reply(*, sollicitation: Sollicitation, user, body: str, files=()) -> SollicitationMessage:
    """The requester's side adds a message (any user who may see the sollicitation); a closed
    sollicitation is reopened. Support is told."""
    files = list(files)
    sollicitation = _lock(sollicitation)
    if not selectors.sollicitation_visible(user, sollicitation):
        raise PermissionDenied(_("Vous n'avez pas accès à cette sollicitation."))
    errors = _check_text(subject=None, body=body, category=None)
    file_errors = upload_errors(files, existing_total=_files_size(sollicitation), total_message=TOTAL_MESSAGE)
    if file_errors:
        errors["attachments"] = file_errors
    if errors:
        raise ValidationError(errors)
    message = _add_message(sollicitation, kind=MessageAuthor.REQUESTER, author=user, body=body, files=files)
    reopened = sollicitation.is_closed
    if reopened:
        sollicitation.status = SollicitationStatus.OPEN
        sollicitation.closed_at = None
    sollicitation.awaiting_support = True
    sollicitation.last_message_at = message.created_at
    sollicitation.save(update_fields=["status", "closed_at", "awaiting_support", "last_message_at"])
    sollicitation_mail.notify_requester_reply(sollicitation, message, reopened=reopened)
    return message


ANSWER_STATUSES = (SollicitationStatus.IN_PROGRESS, SollicitationStatus.CLOSED)


@transaction.atomic
def sollicitation_answer(
    *, sollicitation: Sollicitation, staff, body: str, files=(), status: str = SollicitationStatus.IN_PROGRESS
) -> SollicitationMessage:
    """Support answers: the message (and files, not for a visitor), the status EN_COURS or
    CLOTUREE; the requester is e-mailed."""
    access.check_support(staff, _("Seul le support répond aux sollicitations."))
    files = list(files)
    sollicitation = _lock(sollicitation)
    errors = _check_text(subject=None, body=body, category=None)
    if status not in ANSWER_STATUSES:
        errors["status"] = [_("Après une réponse, la sollicitation est « En cours » ou « Clôturée ».")]
    if files and sollicitation.is_visitor:
        errors["attachments"] = [
            _(
                "Ce visiteur n'a pas de compte : la réponse lui est envoyée par e-mail, sans pièce jointe. "
                "Décrivez le document dans le message."
            )
        ]
    else:
        file_errors = upload_errors(files, existing_total=_files_size(sollicitation), total_message=TOTAL_MESSAGE)
        if file_errors:
            errors["attachments"] = file_errors
    if errors:
        raise ValidationError(errors)
    message = _add_message(sollicitation, kind=MessageAuthor.SUPPORT, author=staff, body=body, files=files)
    sollicitation.status = status
    sollicitation.closed_at = message.created_at if status == SollicitationStatus.CLOSED else None
    sollicitation.awaiting_support = False
    sollicitation.last_message_at = message.created_at
    sollicitation.save(update_fields=["status", "closed_at", "awaiting_support", "last_message_at"])
    sollicitation_mail.notify_answered(sollicitation, message)
    return message


@transaction.atomic
def sollicitation_set_status(*, sollicitation: Sollicitation, staff, status: str) -> bool:
    """Support changes the status without a message; closing tells the requester. Returns whether
    anything changed (the same status again changes nothing and sends nothing)."""
    access.check_support(staff, _("Seul le support change le statut des sollicitations."))
    if status not in SollicitationStatus.values:
        raise ValidationError({"status": [_("Statut inconnu.")]})
    sollicitation = _lock(sollicitation)
    if sollicitation.status == status:
        return False
    sollicitation.status = status
    sollicitation.closed_at = timezone.now() if status == SollicitationStatus.CLOSED else None
    sollicitation.save(update_fields=["status", "closed_at"])
    if status == SollicitationStatus.CLOSED:
        sollicitation_mail.notify_closed(sollicitation)
    return True
