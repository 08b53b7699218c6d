"""Deposits through the API: a flux (``deposer/flux``) is the portal's deposit of the file
(``invoice_deposit``) followed by its sending (``invoice_send``), every check of the deposit page
and of "Valider et envoyer" included; the flux keeps its number, its state and the errors that
rejected it. Files added for later (``ajouter/fichier``) wait as ``ApiFile`` rows.

The flux is processed when it is deposited: ``consulterCR`` reads IN_INTEGRE or IN_REJETE at once
(some clients stop polling at IN_RECU). A rejected flux leaves no draft behind.
"""

from django.core.exceptions import NON_FIELD_ERRORS, ValidationError
from django.core.files.base import ContentFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from invoices.models import ApiFile, ApiFlux, FluxState, FluxSyntax, Invoice
from invoices.services._common import check_member, clean_filename, delete_files
from invoices.services.deposit import invoice_deposit
from invoices.services.sending import invoice_send, sequence_next

FLUX_PREFIX = "CPP"


def flux_number() -> str:
    """``CPP`` + 22 digits: the deposit date (8) and a counter (14)."""
    today = timezone.localdate()
    return f"{FLUX_PREFIX}{today:%Y%m%d}{sequence_next('API-FLUX'):014d}"


def validation_messages(exc: ValidationError) -> list[dict]:
    """A service's ValidationError as a list of {"champ", "message"} (French messages)."""
    if hasattr(exc, "error_dict"):
        return [
            {"champ": "" if field == NON_FIELD_ERRORS else field, "message": message}
            for field, errors in exc.message_dict.items()
            for message in errors
        ]
    return [{"champ": "", "message": message} for message in exc.messages]


def flux_deposit(
    *,
    supplier,
    user,
    content: bytes,
    filename: str,
    syntax: str,
    signed: bool = False,
    application=None,
    technical_user=None,
) -> ApiFlux:
    """Deposit and send one invoice file; returns the flux, IN_INTEGRE with its invoice or
    IN_REJETE with its errors. The XML syntaxes (UBL, CII) go through the same deposit service as
    Factur-X, which reads them and makes their readable PDF."""
    check_member(user, supplier)
    if syntax not in FluxSyntax.values:
        raise ValueError(syntax)
    flux = ApiFlux(
        number=flux_number(),
        supplier=supplier,
        application=application,
        technical_user=technical_user,
        syntax=syntax,
        filename=clean_filename(filename)[:255],
        signed=signed,
    )
    stored: list[str] = []
    try:
        with transaction.atomic():
            invoice = invoice_deposit(
                supplier=supplier, user=user, file=ContentFile(content, name=flux.filename), signed=signed
            )
            if invoice.pdf:
                stored.append(invoice.pdf.name)
            if syntax == FluxSyntax.FACTURX and invoice.extracted_data.get("source") != "facturx":
                raise ValidationError(
                    {
                        "file": [
                            _(
                                "Ce PDF ne contient pas de facture Factur-X (fichier factur-x.xml) : déposez-le avec "
                                "la syntaxe d'un PDF, ou produisez un Factur-X dans votre logiciel."
                            )
                        ]
                    }
                )
            invoice = invoice_send(invoice=invoice, user=user)
    except ValidationError as exc:
        if stored:
            transaction.on_commit(lambda: delete_files(Invoice._meta.get_field("pdf").storage, stored))
        flux.state = FluxState.REJECTED
        flux.errors = validation_messages(exc)
        flux.save()
        return flux
    flux.state = FluxState.INTEGRATED
    flux.invoice = invoice
    flux.save()
    return flux


@transaction.atomic
def api_file_add(*, supplier, user, content: bytes, filename: str) -> ApiFile:
    """Keep a file for a later ``completer`` or ``soumettre`` (the attachment checks run then)."""
    check_member(user, supplier)
    if not content:
        raise ValidationError({"file": [_("Le fichier est vide.")]})
    name = clean_filename(filename)[:255]
    row = ApiFile(supplier=supplier, original_filename=name, size=len(content))
    row.file.save(name, ContentFile(content), save=False)
    row.save()
    return row
