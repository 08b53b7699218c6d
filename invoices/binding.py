"""What the XML of a structured invoice binds: the fields the supplier cannot change on the portal.

A structured invoice (Factur-X, CII, UBL) is the legal invoice: the data sent is its XML's. The
draft keeps what was read in ``extracted_data``; ``bound_values`` gives, for each bound field, the
value the XML gives. Always bound: number (BT-1), date (BT-2), type (BT-3), cadre (BT-23, A1 when
absent), the totals (BT-109, BT-110, BT-112) and the VAT breakdown (BG-23). Bound when the XML
gives them, choosable on the form otherwise (as Chorus Pro does with BT-10 and BT-13): the
original invoice of an avoir (BT-25), the EJ (BT-13), the market number (BT-12), the payment
means (BT-81), the recipient (buyer's SIRET, BT-47) and its code service (BT-10).

The form shows bound fields read-only and refuses a POST that changes them; the draft service
refuses such a change from any caller; ``invoices.services.checks`` compares the draft with the
XML again at sending. Plain Python, no database access.
"""

from datetime import date
from decimal import Decimal

from django.utils.translation import gettext_lazy as _

# field: (key in extracted_data, business term, label, always bound)
BINDINGS = {
    "number": ("number", "BT-1", _("Le numéro de facture"), True),
    "invoice_date": ("invoice_date", "BT-2", _("La date de facture"), True),
    "invoice_type": ("invoice_type", "BT-3", _("Le type de document"), True),
    "cadre": ("cadre", "BT-23", _("Le cadre de facturation"), True),
    "original_invoice_number": ("original_invoice_number", "BT-25", _("Le numéro de la facture d'origine"), False),
    "engagement_number": ("engagement_number", "BT-13", _("Le numéro d'engagement"), False),
    "market_number": ("market_number", "BT-12", _("Le numéro de marché"), False),
    "payment_mode": ("payment_mode", "BT-81", _("Le mode de paiement"), False),
    "amount_ht": ("amount_ht", "BT-109", _("Le montant HT"), True),
    "amount_tva": ("amount_tva", "BT-110", _("Le montant de TVA"), True),
    "amount_ttc": ("amount_ttc", "BT-112", _("Le montant TTC"), True),
}
AMOUNT_FIELDS = ("amount_ht", "amount_tva", "amount_ttc")
RECIPIENT_TERM = "BT-47"
SERVICE_TERM = "BT-10"
VAT_TERM = "BG-23"


def is_structured(extracted: dict) -> bool:
    return (extracted or {}).get("source") in ("facturx", "xml")


def bound_values(extracted: dict) -> dict:
    """{field: value} of the fields the XML binds (python values: dates, Decimals, str)."""
    if not is_structured(extracted):
        return {}
    values = {}
    for name, (key, _term, _label, always) in BINDINGS.items():
        raw = extracted.get(key)
        if raw in (None, "") and not always:
            continue
        values[name] = _python(name, raw)
    if extracted.get("invoice_type") == "AVOIR":
        values["payment_mode"] = ""  # an avoir has no payment mode
    return values


def _python(name: str, raw):
    if raw in (None, ""):
        return None if name in AMOUNT_FIELDS or name == "invoice_date" else ""
    if name in AMOUNT_FIELDS:
        return Decimal(str(raw))
    if name == "invoice_date":
        return raw if isinstance(raw, date) else date.fromisoformat(raw)
    return str(raw)


def recipient_bound(extracted: dict) -> bool:
    return is_structured(extracted) and bool(extracted.get("recipient_siret"))


def service_bound(extracted: dict) -> bool:
    return is_structured(extracted) and bool(extracted.get("service_code"))


def vat_rows(extracted: dict) -> list[tuple[Decimal, Decimal, Decimal]]:
    """The XML's VAT breakdown as (rate, base, amount), sorted like the stored lines."""
    rows = [
        (Decimal(line["rate"]), Decimal(line["base_ht"]), Decimal(line["vat_amount"]))
        for line in (extracted or {}).get("vat_lines", [])
    ]
    return sorted(rows, key=lambda row: (-row[0], row[1], row[2]))


def changed_message(name: str) -> str:
    """The French message for a change of a bound field."""
    if name == "recipient":
        label, term = _("Le destinataire"), RECIPIENT_TERM
    elif name == "recipient_service":
        label, term = _("Le code service"), SERVICE_TERM
    elif name == "vat_lines":
        label, term = _("Le récapitulatif de TVA"), VAT_TERM
    else:
        _key, term, label, _always = BINDINGS[name]
    return str(
        _(
            "%(label)s vient du XML de la facture (%(term)s) : il ne se modifie pas sur le portail. Pour le "
            "corriger, corrigez la facture dans votre logiciel et déposez le fichier corrigé."
        )
        % {"label": label, "term": term}
    )
