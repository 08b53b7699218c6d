"""Pièces jointes: adding them to a draft (or to a suspended invoice) and removing them."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils.translation import gettext as _

from chorus import formats
from invoices import workflow
from invoices.models import Invoice, InvoiceAttachment
from invoices.services._common import check_draft, check_member, clean_filename, delete_files, lock_for_edit

# Attachment extensions accepted by the real portal (reference §4).
ATTACHMENT_EXTENSIONS = frozenset(
    "bmp gif fax odt ppt tiff xls bz2 gz jpeg p7s rtf txt xml csv gzip jpg pdf svg xhtml xlsx doc htm odp "
    "png tgz xlc zip docx html ods pps tif xlm pptx".split()
)


def attachment_extension(name: str) -> str:
    return name.rsplit(".", 1)[-1].lower() if "." in name else ""


def upload_errors(files: list, *, existing_total: int = 0, total_message: str) -> list[str]:
    """The French messages refusing ``files`` under the portal's limits (empty: all accepted).

    Each file must be non-empty, weigh at most ``INVOICE_MAX_ATTACHMENT_SIZE`` (10 Mo) and have
    an extension of the real portal's list; ``existing_total`` plus the files at most
    ``INVOICE_MAX_TOTAL_SIZE`` (120 Mo), else ``total_message`` (with ``%(size)s`` and
    ``%(limit)s``). The same checks for invoice attachments and sollicitation files.
    """
    limit = settings.INVOICE_MAX_ATTACHMENT_SIZE
    errors = []
    total = existing_total
    for upload in files:
        name = clean_filename(upload.name)
        ext = attachment_extension(name)
        if ext not in ATTACHMENT_EXTENSIONS:
            errors.append(
                _(
                    "« %(name)s » : ce type de fichier n'est pas accepté en pièce jointe. Extensions acceptées : "
                    "%(list)s."
                )
                % {"name": name, "list": ", ".join(sorted(ATTACHMENT_EXTENSIONS))}
            )
        elif not upload.size:
            errors.append(_("« %(name)s » est vide.") % {"name": name})
        elif upload.size > limit:
            errors.append(
                _("« %(name)s » pèse %(size)s : une pièce jointe pèse au plus %(limit)s.")
                % {"name": name, "size": formats.filesize(upload.size), "limit": formats.filesize(limit)}
            )
        total += upload.size or 0
    if total > settings.INVOICE_MAX_TOTAL_SIZE:
        errors.append(
            total_message
            % {"size": formats.filesize(total), "limit": formats.filesize(settings.INVOICE_MAX_TOTAL_SIZE)}
        )
    return errors


@transaction.atomic
def invoice_add_attachments(
    *, invoice: Invoice, user, files: list, completing: bool = False
) -> list[InvoiceAttachment]:
    """Add pièces jointes to a draft: each non-empty, ≤ 10 Mo, an extension of the real portal's
    list; the invoice and all its attachments ≤ 120 Mo. All or nothing.

    ``completing=True`` is the answer to a suspension (``invoice_complete``): the invoice must then
    be SUSPENDUE instead of a draft; the same file rules apply.
    """
    invoice = lock_for_edit(invoice)
    if completing:
        if not workflow.allows(status=invoice.status, transition="completer", actor=workflow.Actor.SUPPLIER):
            raise ValidationError(
                {"attachments": [_("Des pièces jointes ne s'ajoutent qu'à une facture suspendue, pour la compléter.")]},
                code="not_suspended",
            )
    else:
        check_draft(invoice)
    check_member(user, invoice.supplier)
    existing = invoice.pdf_size + sum(invoice.attachments.values_list("size", flat=True))
    errors = upload_errors(
        files,
        existing_total=existing,
        total_message=_("La facture et ses pièces jointes pèseraient %(size)s : le total est limité à %(limit)s."),
    )
    if errors:
        raise ValidationError({"attachments": errors})
    created = []
    for upload in files:
        name = clean_filename(upload.name)
        attachment = InvoiceAttachment(
            invoice=invoice,
            original_filename=name,
            size=upload.size,
            content_type=(getattr(upload, "content_type", "") or "")[:100],
            uploaded_by=user,
        )
        attachment.file.save(name, upload, save=False)
        attachment.save()
        created.append(attachment)
    return created


@transaction.atomic
def invoice_remove_attachment(*, attachment: InvoiceAttachment, user) -> None:
    invoice = lock_for_edit(attachment.invoice)
    check_draft(invoice)
    check_member(user, invoice.supplier)
    name, storage = attachment.file.name, attachment.file.storage
    attachment.delete()
    transaction.on_commit(lambda: delete_files(storage, [name]))
