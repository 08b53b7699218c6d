"""The deposit certificate: the data it covers and its fingerprint."""

import hashlib
import json
from datetime import UTC

from invoices.models import Invoice


def _file_sha256(field_file) -> str:
    digest = hashlib.sha256()
    with field_file.storage.open(field_file.name, "rb") as handle:
        for chunk in iter(lambda: handle.read(64 * 1024), b""):
            digest.update(chunk)
    return digest.hexdigest()


def certificate_data(invoice: Invoice) -> dict:
    """The deposit data the certificate's fingerprint covers (stable, JSON-safe)."""

    def amount(value):
        return None if value is None else f"{value:.2f}"

    data = {
        "identifiant": invoice.identifier,
        "numero": invoice.number,
        "type": invoice.invoice_type,
        "cadre": invoice.cadre,
        "date_facture": invoice.invoice_date.isoformat() if invoice.invoice_date else None,
        "fournisseur_siret": invoice.supplier.identifier,
        "destinataire_siret": invoice.recipient.identifier if invoice.recipient else None,
        "code_service": invoice.recipient_service.code if invoice.recipient_service else "",
        "numero_engagement": invoice.engagement_number,
        "numero_marche": invoice.market_number,
        "devise": invoice.currency,
        "montant_ht": amount(invoice.amount_ht),
        "montant_tva": amount(invoice.amount_tva),
        "montant_ttc": amount(invoice.amount_ttc),
        "tva": [
            {"taux": f"{line.rate:.2f}", "base_ht": amount(line.base_ht), "montant": amount(line.vat_amount)}
            for line in invoice.vat_lines.order_by("-rate", "id")
        ],
        "mode_depot": invoice.deposit_mode,
        "fichier": {
            "nom": invoice.pdf_original_filename,
            "taille": invoice.pdf_size,
            "sha256": _file_sha256(invoice.pdf) if invoice.pdf else None,
        },
        "pieces_jointes": [
            {"nom": a.original_filename, "taille": a.size, "sha256": _file_sha256(a.file)}
            for a in _attachments_at_sending(invoice)
        ],
        "depose_le": invoice.sent_at.astimezone(UTC).isoformat() if invoice.sent_at else None,
    }
    if invoice.source_xml:  # a structured invoice: its XML is covered too (absent before, so older
        # certificates keep their fingerprint)
        data["xml"] = {
            "syntaxe": invoice.source_syntax,
            "code_type": invoice.type_code,
            "sha256": _file_sha256(invoice.source_xml),
        }
    return data


def _attachments_at_sending(invoice: Invoice):
    """The attachments the certificate covers: those sent with the invoice, not the ones added
    later to answer a suspension (they are recorded in the history)."""
    attachments = invoice.attachments.order_by("id")
    if invoice.sent_at is not None:
        attachments = attachments.filter(created_at__lte=invoice.sent_at)
    return attachments


def canonical_json(data: dict) -> bytes:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def certificate_fingerprint(invoice: Invoice) -> str:
    """SHA-256 (hex) of the main file's bytes followed by the canonical JSON of the deposit data."""
    digest = hashlib.sha256()
    if invoice.pdf:
        with invoice.pdf.storage.open(invoice.pdf.name, "rb") as handle:
            for chunk in iter(lambda: handle.read(64 * 1024), b""):
                digest.update(chunk)
    digest.update(canonical_json(certificate_data(invoice)))
    return digest.hexdigest()
