"""What the pages show of a structured invoice (Factur-X, CII, UBL): its XML's data, read-only,
and each difference from the directory explained (recipient, code service, EJ)."""

from django.utils.translation import gettext as _

from chorus import formats
from invoices import binding, services
from invoices.models import TYPE_CODE_LABELS, Invoice

SYNTAX_LABELS = {"CII": "UN/CEFACT CII", "UBL": "UBL 2.1"}


def structured_context(invoice: Invoice) -> dict:
    """The read-only block of the form: where the data comes from, the bound values, the VAT
    breakdown (rates outside the French list flagged), the notes on the directory."""
    extracted = invoice.extracted_data
    bound = binding.bound_values(extracted)
    rows = []
    for name, value in bound.items():
        _key, term, label, _always = binding.BINDINGS[name]
        if name == "invoice_type":
            shown = str(TYPE_CODE_LABELS.get(extracted.get("type_code", ""), invoice.get_invoice_type_display()))
            shown = f"{shown} ({extracted.get('type_code', '')})"
        elif name == "cadre":
            shown = invoice.get_cadre_display()
        elif name == "payment_mode":
            shown = invoice.get_payment_mode_display() or "—"
        elif name == "invoice_date":
            shown = value.strftime("%d/%m/%Y") if value else "—"
        elif name in binding.AMOUNT_FIELDS:
            shown = formats.money(value)
        else:
            shown = value or "—"
        rows.append({"label": label, "term": term, "value": shown})
    vat_lines = list(invoice.vat_lines.all())
    return {
        "origin": _("XML Factur-X") if extracted.get("source") == "facturx" else _("fichier XML"),
        "syntax": SYNTAX_LABELS.get(extracted.get("syntax", ""), extracted.get("syntax", "")),
        "profile": extracted.get("profile", ""),
        "rows": rows,
        "vat_lines": vat_lines,
        "foreign_rates": {line.pk for line in vat_lines if services.foreign_rate_warnings([line])},
        "notes": directory_notes(invoice),
        "recipient_bound": binding.recipient_bound(extracted),
        "service_bound": binding.service_bound(extracted),
        "buyer_name": extracted.get("buyer_name", ""),
        "buyer_identifiers": extracted.get("recipient_identifiers", []),
    }


def directory_notes(invoice: Invoice) -> list[str]:
    """Each difference between the XML and the directory, in French."""
    extracted = invoice.extracted_data
    notes = []
    siret = extracted.get("recipient_siret", "")
    buyer = extracted.get("buyer_name", "")
    recipient = invoice.recipient
    if siret and recipient is None:
        notes.append(
            _(
                "L'acheteur du XML (%(who)s, « %(name)s ») n'est pas une structure publique de l'annuaire : la "
                "facture ne peut pas être envoyée. Corrigez le SIRET de l'acheteur (BT-47) dans votre logiciel."
            )
            % {"who": _("SIRET %(siret)s") % {"siret": siret}, "name": buyer or "—"}
        )
    elif not siret:
        described = ", ".join(extracted.get("recipient_identifiers", [])) or _("aucun identifiant")
        notes.append(
            _(
                "Le XML ne donne pas le SIRET de l'acheteur (BT-47 ; il donne : %(ids)s) : choisissez le "
                "destinataire ci-dessous."
            )
            % {"ids": described}
        )
    elif recipient is not None and buyer and buyer.casefold() != recipient.name.casefold():
        notes.append(
            _(
                "Le XML nomme l'acheteur « %(buyer)s » ; l'annuaire nomme le SIRET %(siret)s « %(name)s » : la "
                "facture est adressée à cette structure de l'annuaire."
            )
            % {"buyer": buyer, "siret": siret, "name": recipient.name}
        )
    code = extracted.get("service_code", "")
    if recipient is not None:
        if code and invoice.recipient_service is None:
            notes.append(
                _(
                    "Le code service du XML (BT-10 : « %(code)s ») n'est pas un service actif de %(name)s : "
                    "corrigez-le dans votre logiciel (la facture ne peut pas être envoyée ainsi)."
                )
                % {"code": code, "name": recipient.name}
            )
        elif not code and (recipient.service_required or recipient.service_or_ej_required):
            notes.append(
                _("Le XML ne porte pas de code service (BT-10) et %(name)s en demande un : choisissez-le ci-dessous.")
                % {"name": recipient.name}
            )
        if not extracted.get("engagement_number") and recipient.ej_required:
            notes.append(
                _("Le XML ne porte pas de numéro d'engagement (BT-13) et %(name)s l'exige : saisissez-le ci-dessous.")
                % {"name": recipient.name}
            )
    return notes
