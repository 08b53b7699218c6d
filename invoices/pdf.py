"""Checks of a deposited invoice PDF (the real portal's format checks).

``check_pdf`` accepts a real PDF only: not empty, within the size limit, starting with the PDF
magic bytes, parsed by pypdf, at least one page, not password-protected, and, for the "PDF signé"
format, carrying a signature. Every refusal is a ``ValidationError`` with a French message the
user can act on; pypdf's exceptions are caught broadly (a malformed file can raise almost anything
from deep inside the parser), so a bad file never becomes a server error.

A "PDF signé" is checked for the presence of a signature (an AcroForm field of type /Sig with a
value, or a /Type /Sig dictionary with its /ByteRange), not for its cryptographic validity, as the
real portal's deposit step does.

Measured on the development machine (2 cores): checking a one-page PDF (open, count pages, look
for a signature, extract the text) takes about 1.5-2 ms; with the Factur-X XML read and parsed,
about 3 ms; a 30-page PDF about 17 ms (text is read from the first pages only).
"""

import io
import logging
import re
from dataclasses import dataclass, field

from django.conf import settings
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _
from pypdf import PdfReader

from chorus import formats

logger = logging.getLogger(__name__)

PDF_MAGIC = b"%PDF-"
# The PDF specification lets a header start within the first 1024 bytes.
MAGIC_WINDOW = 1024
# Text is read from the first pages only: invoice data is there and a 500-page annex costs time.
TEXT_PAGES = 3
FACTURX_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")
_SIG_TYPE = re.compile(rb"/Type\s*/Sig\b")
_BYTE_RANGE = re.compile(rb"/ByteRange\s*\[")


@dataclass
class PdfInfo:
    """What the portal learnt from a valid PDF."""

    size: int
    page_count: int
    is_signed: bool
    text: str = ""
    # The invoice XML files embedded in the PDF (factur-x.xml, zugferd-invoice.xml, xrechnung.xml:
    # name and content, in the file's order); ``invoices.structured.pick_embedded_xml`` chooses.
    embedded_xml: list[tuple[str, bytes]] = field(default_factory=list)


def max_pdf_size() -> int:
    return settings.INVOICE_MAX_PDF_SIZE


def read_upload(uploaded, *, limit: int) -> bytes:
    """The bytes of an uploaded file, refusing an empty or too large one before reading it all."""
    size = getattr(uploaded, "size", None)
    if size == 0:
        raise ValidationError(_("Le fichier est vide : choisissez le fichier de la facture."), code="empty")
    if size is not None and size > limit:
        raise ValidationError(
            _("Le fichier pèse %(size)s : la taille maximale est de %(limit)s.")
            % {"size": formats.filesize(size), "limit": formats.filesize(limit)},
            code="too_large",
        )
    uploaded.seek(0)
    data = uploaded.read(limit + 1)
    if not data:
        raise ValidationError(_("Le fichier est vide : choisissez le fichier de la facture."), code="empty")
    if len(data) > limit:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(limit)s.") % {"limit": formats.filesize(limit)},
            code="too_large",
        )
    return data


def check_pdf(data: bytes, *, signed: bool = False, limit: int | None = None) -> PdfInfo:
    """Check the bytes of an invoice PDF; raise ``ValidationError`` with a French message."""
    limit = max_pdf_size() if limit is None else limit
    if not data:
        raise ValidationError(_("Le fichier est vide : choisissez le fichier de la facture."), code="empty")
    if len(data) > limit:
        raise ValidationError(
            _("Le fichier dépasse la taille maximale de %(limit)s.") % {"limit": formats.filesize(limit)},
            code="too_large",
        )
    if PDF_MAGIC not in data[:MAGIC_WINDOW]:
        raise ValidationError(
            _(
                "Ce fichier n'est pas un PDF. Déposez la facture au format PDF (un fichier renommé en « .pdf » "
                "ne suffit pas)."
            ),
            code="not_pdf",
        )
    try:
        reader = PdfReader(io.BytesIO(data))
        encrypted = reader.is_encrypted
    except Exception as exc:  # noqa: BLE001 -- any parser failure means an unreadable file
        logger.info("PDF refusé, illisible : %s", exc)
        raise ValidationError(_corrupt_message(), code="corrupt") from None
    if encrypted:
        raise ValidationError(
            _(
                "Ce PDF est protégé par un mot de passe (chiffré) : le portail ne peut pas le lire. "
                "Déposez une version sans protection."
            ),
            code="encrypted",
        )
    try:
        page_count = len(reader.pages)
    except Exception as exc:  # noqa: BLE001
        logger.info("PDF refusé, pages illisibles : %s", exc)
        raise ValidationError(_corrupt_message(), code="corrupt") from None
    if page_count < 1:
        raise ValidationError(_("Ce PDF ne contient aucune page."), code="no_page")

    info = PdfInfo(size=len(data), page_count=page_count, is_signed=_has_signature(reader, data))
    if signed and not info.is_signed:
        raise ValidationError(
            _(
                "Vous avez choisi le format « PDF signé » mais ce fichier ne porte aucune signature électronique. "
                "Déposez le PDF signé, ou choisissez le format « PDF non signé »."
            ),
            code="not_signed",
        )
    info.text = _extract_text(reader)
    info.embedded_xml = _embedded_xml(reader)
    return info


def _corrupt_message() -> str:
    return _(
        "Ce PDF est endommagé ou incomplet (fichier tronqué ou corrompu) : le portail ne peut pas le lire. "
        "Enregistrez-le de nouveau depuis votre logiciel et déposez-le encore."
    )


def _has_signature(reader: PdfReader, data: bytes) -> bool:
    try:
        fields = reader.get_fields() or {}
        for value in fields.values():
            if value.get("/FT") == "/Sig" and value.get("/V"):
                return True
    except Exception as exc:  # noqa: BLE001
        logger.info("Champs du PDF illisibles : %s", exc)
    return bool(_SIG_TYPE.search(data) and _BYTE_RANGE.search(data))


def _extract_text(reader: PdfReader) -> str:
    parts = []
    for page in reader.pages[:TEXT_PAGES]:
        try:
            parts.append(page.extract_text() or "")
        except Exception as exc:  # noqa: BLE001 -- a page without readable text is not an error
            logger.info("Texte du PDF illisible : %s", exc)
    return "\n".join(parts)


def _embedded_xml(reader: PdfReader) -> list[tuple[str, bytes]]:
    """The embedded files named like an invoice XML (as the factur-x library's
    ``get_xml_from_pdf`` looks for them), each once, in the file's order."""
    found = []
    try:
        for attachment in reader.attachment_list:
            if attachment.name.lower() in FACTURX_NAMES and attachment.content:
                found.append((attachment.name, bytes(attachment.content)))
    except Exception as exc:  # noqa: BLE001
        logger.info("Pièces intégrées au PDF illisibles : %s", exc)
    return found
