"""What a deposited file gives (``Extracted``), and the values read in the text of a PDF.

Plain Python with no database access. Two sources fill an ``Extracted``:

- ``invoices.structured.parse_structured(xml)``: a structured invoice (the XML of a Factur-X, or a
  CII / UBL file). It is the legal invoice: its data is what is sent, and an XML the portal
  cannot read, or whose amounts do not add up, makes the file refused (``ExtractionError``).
- ``parse_text(text)`` here: for other PDFs, values found in the text by regular expressions
  (SIRETs valid by their Luhn key, "Facture n°", dates, "Total HT/TVA/TTC" in French format). They
  are only proposals, never a value the text does not support: an amount followed by "%" is a
  rate, not an amount; a date is read as dd/mm/yyyy unless the text shows it is written mm/dd
  (a US date: a month field above 12 elsewhere, or English labels), and an ambiguous date of an
  English text is not proposed. The checks at sending decide.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from stdnum.fr import siret as stdnum_siret

from invoices.models import MAX_NUMBER_LENGTH, VAT_RATES, InvoiceType

CENT = Decimal("0.01")


class ExtractionError(Exception):
    """The embedded data cannot be used; ``str(exc)`` is a French message for the user."""


@dataclass
class VatBreakdown:
    rate: Decimal
    base_ht: Decimal
    vat_amount: Decimal
    exemption_reason: str = ""
    category: str = ""  # BT-118 (S, E, AE, K, G, O, Z, L, M)


@dataclass
class Extracted:
    """Values proposed for the invoice form; ``None`` or "" when not found."""

    source: str  # "facturx" (XML in a PDF), "xml" (an XML file) or "texte"
    syntax: str = ""  # "CII" or "UBL" for a structured invoice
    profile: str = ""  # "EN 16931", "BASIC WL", "XRechnung (EN 16931)"…
    type_code: str = ""  # BT-3: 380, 381, 384, 389
    number: str = ""
    invoice_date: date | None = None
    invoice_type: str = ""
    cadre: str = ""
    service_code: str = ""
    engagement_number: str = ""
    market_number: str = ""
    original_invoice_number: str = ""
    supplier_siret: str = ""
    supplier_siren: str = ""
    recipient_siret: str = ""
    seller_name: str = ""
    buyer_name: str = ""
    supplier_ids: list[tuple[str, str]] = field(default_factory=list)  # (value, ISO 6523 scheme or "VA")
    supplier_identifiers: list[str] = field(default_factory=list)  # described: "le SIRET …"
    recipient_identifiers: list[str] = field(default_factory=list)
    line_counts: dict[str, int] = field(default_factory=dict)  # invoice lines per VAT rate
    lines: list[dict] = field(default_factory=list)  # BG-25, for the PDF made from an XML file
    sirets: list[str] = field(default_factory=list)
    payment_mode: str = ""
    amount_ht: Decimal | None = None
    amount_tva: Decimal | None = None
    amount_ttc: Decimal | None = None
    vat_lines: list[VatBreakdown] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    raw_xml: bytes = b""  # the structured invoice's XML, stored as the invoice's source

    def as_json(self) -> dict:
        """A JSON-safe dict (dates ISO, amounts as strings) to keep on the draft."""

        def convert(value):
            if isinstance(value, Decimal):
                return f"{value:.2f}"
            if isinstance(value, date):
                return value.isoformat()
            if isinstance(value, list):
                return [convert(v) for v in value]
            if isinstance(value, dict):
                return {k: convert(v) for k, v in value.items()}
            return value

        skipped = ("lines", "raw_xml", "supplier_ids")  # only for the deposit itself
        data = {
            key: convert(value)
            for key, value in asdict(self).items()
            if value not in ("", None, [], {}, b"") and key not in skipped
        }
        if self.lines:
            data["line_count"] = len(self.lines)
        return data


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Text of other PDFs --------------------------------------------------------------------

_SPACE_CHARS = " \u00a0\u202f"
_AMOUNT = r"(-?\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d{1,2})?|-?\d+(?:[.,]\d{1,2})?)"
_SIRET = re.compile(r"(?<!\d)(\d{3}[ \u00a0\u202f]?\d{3}[ \u00a0\u202f]?\d{3}[ \u00a0\u202f]?\d{5})(?!\d)")
_NUMBER = re.compile(
    r"\b(facture|avoir)\s*(?:n\s*°|n°|no\.?|n\.|num[ée]ro|num\.)\s*:?\s*([A-Za-z0-9][A-Za-z0-9/_.\-]*)",
    re.IGNORECASE,
)
_DATE_LABELLED = re.compile(
    r"date(?:\s+d[e']\s*(?:la\s+)?(?:facture|[ée]mission))?\s*:?\s*(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)",
    re.IGNORECASE,
)
_DATE = re.compile(r"(?<!\d)(\d{1,2})[/.](\d{1,2})[/.](\d{4})(?!\d)")
_ISO_DATE = re.compile(r"(?<!\d)(\d{4})-(\d{2})-(\d{2})(?!\d)")
_ENGLISH = re.compile(r"\b(invoice\s+(?:date|no|number|#)|date\s+of\s+issue|amount\s+due|bill\s+to)\b", re.IGNORECASE)
# An amount, not a rate: not followed by more digits or by "%" ("TVA 20 % : 168,00" gives 168,00).
_NOT_RATE = r"(?!\d|[.,]\d|\s*%)"
# The rate some layouts print between the label and the amount ("Total TVA 20 % : 168,00").
_RATE_PART = r"(?:\d{1,2}(?:[.,]\d{1,2})?\s*%[^\d\n-]{0,20})?"
_TOTAL_HT = re.compile(r"total\s*h\.?\s*t\.?(?![a-z])[^\d\n-]{0,20}" + _AMOUNT + _NOT_RATE, re.IGNORECASE)
_TOTAL_TVA = re.compile(
    r"(?:total|montant)\s*(?:de\s+(?:la\s+)?)?t\.?v\.?a\.?(?![a-z])[^\d\n-]{0,20}" + _RATE_PART + _AMOUNT + _NOT_RATE,
    re.IGNORECASE,
)
_TOTAL_TTC = re.compile(r"total\s*t\.?t\.?c\.?(?![a-z])[^\d\n-]{0,20}" + _AMOUNT + _NOT_RATE, re.IGNORECASE)
_ENGAGEMENT = re.compile(
    r"(?:n°\s*d['’]\s*engagement(?:\s+juridique)?|engagement\s+juridique|bon\s+de\s+commande)\s*(?:n°)?\s*:?\s*"
    r"([A-Za-z0-9][A-Za-z0-9/_.\-]{0,49})",
    re.IGNORECASE,
)
_SERVICE = re.compile(r"code\s+service\s*:?\s*([A-Za-z0-9_\-]{1,100})", re.IGNORECASE)
_MARKET = re.compile(
    r"(?:march[ée]\s*n°|n°\s*de\s+march[ée])\s*:?\s*([A-Za-z0-9][A-Za-z0-9/_.\-]{0,49})", re.IGNORECASE
)


def parse_french_amount(raw: str) -> Decimal | None:
    """ "1 234,56" / "1.234,56" / "1234.56" → Decimal("1234.56"); None when not a number."""
    value = raw.strip()
    for char in _SPACE_CHARS:
        value = value.replace(char, "")
    if "," in value:
        value = value.replace(".", "").replace(",", ".")
    elif value.count(".") > 1 or re.fullmatch(r"-?\d{1,3}(\.\d{3})+", value):
        value = value.replace(".", "")
    try:
        return to_cents(Decimal(value))
    except InvalidOperation:
        return None


def parse_text(text: str) -> Extracted:
    """Proposals found in the text of a PDF (never raises)."""
    data = Extracted(source="texte")
    text = text or ""
    seen = []
    for match in _SIRET.finditer(text):
        candidate = _compact(match.group(1))
        if candidate not in seen and stdnum_siret.is_valid(candidate):
            seen.append(candidate)
    data.sirets = seen

    match = _NUMBER.search(text)
    if match:
        number = match.group(2).rstrip(".-/")
        if len(number) <= MAX_NUMBER_LENGTH:
            data.number = number
        if match.group(1).lower() == "avoir":
            data.invoice_type = InvoiceType.CREDIT_NOTE

    data.invoice_date = _invoice_date(text)

    data.amount_ht = _last_amount(_TOTAL_HT, text)
    data.amount_tva = _last_amount(_TOTAL_TVA, text)
    data.amount_ttc = _last_amount(_TOTAL_TTC, text)
    if data.amount_ht is not None and data.amount_tva is not None and data.amount_ht > 0:
        rate = _matching_rate(data.amount_ht, data.amount_tva)
        if rate is not None:
            data.vat_lines = [VatBreakdown(rate=rate, base_ht=data.amount_ht, vat_amount=data.amount_tva)]

    for attr, pattern in (("engagement_number", _ENGAGEMENT), ("service_code", _SERVICE), ("market_number", _MARKET)):
        match = pattern.search(text)
        if match:
            setattr(data, attr, match.group(1).rstrip(".-/"))
    return data


def _invoice_date(text: str) -> date | None:
    """The invoice date the text supports: the labelled date, else the first date. "03/04/2026"
    is read dd/mm unless the text shows its dates are mm/dd (a date whose second field is above
    12, and none whose first is); in an English text without such evidence an ambiguous date is
    not proposed (it could be either). ISO dates (2026-01-15) are read as they are."""
    found = [tuple(int(g) for g in m.groups()) for m in _DATE.finditer(text)]
    us = any(b > 12 >= a for a, b, _y in found)
    french = any(a > 12 >= b for a, b, _y in found)
    english = bool(_ENGLISH.search(text))

    def interpret(a: int, b: int, year: int) -> date | None:
        if a > 12:
            order = "dm"
        elif b > 12:
            order = "md"
        elif us and not french:
            order = "md"
        elif french or not english:
            order = "dm"
        else:
            return None  # ambiguous, and nothing in the text says which
        day, month = (a, b) if order == "dm" else (b, a)
        try:
            return date(year, month, day)
        except ValueError:
            return None

    for pattern in (_DATE_LABELLED, _DATE):
        for match in pattern.finditer(text):
            value = interpret(*(int(g) for g in match.groups()))
            if value is not None:
                return value
    for match in _ISO_DATE.finditer(text):
        try:
            return date(*(int(g) for g in match.groups()))
        except ValueError:
            continue
    return None


def _compact(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def _last_amount(pattern: re.Pattern, text: str) -> Decimal | None:
    """The last match (a total follows the lines that mention the same words)."""
    found = None
    for match in pattern.finditer(text):
        value = parse_french_amount(match.group(1))
        if value is not None and value >= 0:
            found = value
    return found


def _matching_rate(ht: Decimal, tva: Decimal) -> Decimal | None:
    """The French VAT rate giving exactly this VAT on this base, if a single one does."""
    for rate in VAT_RATES:
        if rate and to_cents(ht * rate / 100) == tva:
            return rate
    return None
