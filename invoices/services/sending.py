"""Sending a draft ("Valider et envoyer", ``invoice_send``), the public identifier, and
``invoice_transition``, the front door of every transition."""

import logging
import re

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.files.base import ContentFile
from django.db import DEFAULT_DB_ALIAS, IntegrityError, connection, connections, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices import lifecycle, rendering, workflow
from invoices.models import Invoice, InvoiceEvent, Sequence
from invoices.services._common import clean_filename, lock_for_edit
from invoices.services.certificate import certificate_fingerprint
from invoices.services.checks import original_invoice_for, refers_to_original, send_errors

logger = logging.getLogger(__name__)


def sequence_next(key: str) -> int:
    """The next value of a named counter, under a row lock (safe on PostgreSQL and SQLite)."""
    with transaction.atomic():
        Sequence.objects.get_or_create(key=key)
        sequence = Sequence.objects.select_for_update().get(key=key)
        sequence.last_value += 1
        sequence.save(update_fields=["last_value"])
        return sequence.last_value


def _pg_sequence_name(key: str) -> str:
    return "invoice_identifier_" + re.sub(r"[^a-z0-9]+", "_", key.lower()).strip("_")


def _pg_sequence_create(name: str, start: int) -> None:
    """Create the sequence on a connection of its own, committed at once: creating it inside the
    sending's transaction would lock its name in the catalogue until that commit."""
    other = connections.create_connection(DEFAULT_DB_ALIAS)
    try:
        with other.cursor() as cursor:
            cursor.execute(f"CREATE SEQUENCE IF NOT EXISTS {other.ops.quote_name(name)} START WITH {int(start)}")
    except IntegrityError:  # created at the same instant by another first sending of the year
        pass
    finally:
        other.close()


# nextval by the sequence's oid, read from pg_class by this statement's snapshot: no row when the
# sequence does not exist yet, and no error (a failed lookup by name would leave a negative entry
# in the backend's catalogue cache, hiding the sequence created meanwhile by another connection).
_NEXTVAL_SQL = (
    "SELECT nextval(c.oid) FROM pg_class c WHERE c.relname = %s AND c.relkind = 'S'"
    " AND c.relnamespace = (SELECT oid FROM pg_namespace WHERE nspname = current_schema())"
)


def _pg_sequence_next(key: str) -> int:
    """``nextval`` of the PostgreSQL sequence of ``key``, created on first use (starting after the
    ``Sequence`` row's value, if any). A sequence takes no lock that lasts until the commit: two
    sendings allocate at once, however long each one renders and hashes before committing. A
    rolled-back sending leaves a gap, as any PostgreSQL sequence does."""
    name = _pg_sequence_name(key)
    with connection.cursor() as cursor:
        cursor.execute(_NEXTVAL_SQL, [name])
        row = cursor.fetchone()
        if row is None:  # the first identifier of the year
            start = (Sequence.objects.filter(key=key).values_list("last_value", flat=True).first() or 0) + 1
            _pg_sequence_create(name, start)
            cursor.execute(_NEXTVAL_SQL, [name])
            row = cursor.fetchone()
        return row[0]


def identifier_value(key: str) -> int:
    """The next value of the identifier counter ``key`` (one per year): a PostgreSQL sequence on
    PostgreSQL (no lock held until the commit), the ``Sequence`` row elsewhere (SQLite serialises
    writers anyway)."""
    if connection.vendor == "postgresql":
        return _pg_sequence_next(key)
    return sequence_next(key)


def identifier_allocate(*, year: int) -> str:
    """The public identifier of a sent invoice: FAC-2026-0000123 (sequential per year)."""
    prefix = settings.INVOICE_IDENTIFIER_PREFIX
    value = identifier_value(f"{prefix}-{year}")
    return f"{prefix}-{year}-{value:07d}"


def identifier_reserve(*, year: int, last_value: int) -> None:
    """Make the next identifier of ``year`` follow ``last_value`` at least (bulk loads, imports of
    invoices numbered elsewhere)."""
    key = f"{settings.INVOICE_IDENTIFIER_PREFIX}-{year}"
    with transaction.atomic():
        sequence, _created = Sequence.objects.select_for_update().get_or_create(key=key)
        if sequence.last_value < last_value:
            sequence.last_value = last_value
            sequence.save(update_fields=["last_value"])
    if connection.vendor == "postgresql":
        name = _pg_sequence_name(key)
        _pg_sequence_create(name, last_value + 1)
        with connection.cursor() as cursor:
            table = connection.ops.quote_name(name)  # [a-z0-9_] only
            current = f"SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM {table}"  # noqa: S608
            cursor.execute(f"SELECT setval(%s, GREATEST(%s, ({current})))", [name, int(last_value)])


@transaction.atomic
def invoice_send(*, invoice: Invoice, user) -> Invoice:
    """ "Valider et envoyer": run every check, then deposit (status DEPOSEE).

    On failure, ``ValidationError({field: [messages]})`` and the draft is left as it was.
    """
    locked = lock_for_edit(invoice)
    errors = send_errors(locked, user)
    if errors:
        raise ValidationError(errors)
    now = timezone.now()
    transition = workflow.check(status=locked.status, transition="deposer", actor=workflow.Actor.SUPPLIER)
    locked.identifier = identifier_allocate(year=timezone.localdate(now).year)
    locked.sent_by = user
    locked.sent_at = now
    locked.number = locked.number.strip()
    locked.invoice_year = locked.invoice_date.year
    # An avoir (or a 384) is linked to its original invoice when the supplier sent it here (BT-25).
    locked.original_invoice = original_invoice_for(locked) if refers_to_original(locked) else None
    new_file = None
    if locked.is_entry:
        content = rendering.render_invoice_pdf(locked)
        locked.pdf.save("facture.pdf", ContentFile(content), save=False)
        new_file = locked.pdf.name
        locked.pdf_original_filename = clean_filename(f"facture-{locked.number}.pdf")
        locked.pdf_size = len(content)
    locked.certificate_issued_at = now
    locked.certificate_fingerprint = certificate_fingerprint(locked)
    try:
        with transaction.atomic():
            # The same writer as every other transition: status, status_changed_at, the event.
            lifecycle.apply_transition(locked, transition=transition, actor=workflow.Actor.SUPPLIER, user=user, now=now)
    except IntegrityError:
        # Another sending of the same number won the race between the check and the write.
        if new_file:
            locked.pdf.storage.delete(new_file)
        raise ValidationError(
            {"number": [_("Doublon : ce numéro de facture vient d'être utilisé par votre structure cette année.")]}
        ) from None
    # The routing task is enqueued on commit by ``apply_transition`` ("deposer" re-routes); on a
    # broker outage the invoice waits as DEPOSEE for ``invoices.sweep_stuck_invoices``.
    logger.info("Facture %s déposée (id %s)", locked.identifier, locked.pk)
    return locked


def invoice_transition(
    *,
    invoice,
    transition: str,
    actor: workflow.Actor,
    user=None,
    motif=None,
    comment: str = "",
    mandate_number: str = "",
) -> InvoiceEvent | None:
    """The front door of every transition (tasks, commands, the admin through its task): fire
    ``transition`` on ``invoice`` (an Invoice or an id) as ``actor`` and return the event.

    "deposer" is the full sending of a draft (``invoice_send``, every check of "Valider et
    envoyer"); every other transition is written by ``lifecycle.invoice_transition``, which raises
    ``workflow.TransitionError`` (French) when the table, the motif rule or the user's rights
    forbid it, and returns ``None`` for a repeated delivery.
    """
    if transition != lifecycle.SEND_TRANSITION:
        return lifecycle.invoice_transition(
            invoice=invoice,
            transition=transition,
            actor=actor,
            user=user,
            motif=motif,
            comment=comment,
            mandate_number=mandate_number,
        )
    if user is None:
        raise workflow.TransitionError(_("L'envoi d'une facture est fait par un utilisateur du fournisseur."))
    with transaction.atomic():
        locked = lifecycle.lock_invoice(invoice)
        try:
            workflow.check(status=locked.status, transition=transition, actor=workflow.Actor(actor))
        except workflow.AlreadyApplied:
            return None
        lifecycle.check_user(invoice=locked, actor=workflow.Actor(actor), user=user)
        invoice_send(invoice=locked, user=user)
        return locked.events.order_by("-created_at", "-id").first()
