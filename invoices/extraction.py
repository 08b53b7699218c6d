"""Reading invoice data out of a deposited PDF, to pre-fill the form the user checks.

Two sources, plain Python with no database access:

- ``parse_facturx(xml)``: the CII XML embedded in a Factur-X PDF (reference §7: BT-1, BT-2, BT-3,
  BT-10, BT-13, BT-23, the parties' SIRET, BT-109/110/112 and the VAT breakdown). A Factur-X is
  the legal invoice: its XML is authoritative, so an XML the portal cannot read, or whose amounts
  do not add up, makes the file refused (``ExtractionError``) rather than half pre-filled. The
  supplier then fixes the file in its software, as the real portal requires.
- ``parse_text(text)``: for other PDFs, values found in the text by regular expressions (SIRETs
  valid by their Luhn key, "Facture n°", dates dd/mm/yyyy, "Total HT/TVA/TTC" in French format).
  They are only proposals: the checks at sending decide.
"""

import re
from dataclasses import asdict, dataclass, field
from datetime import date
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

from django.utils.translation import gettext as _
from lxml import etree
from stdnum.fr import siret as stdnum_siret

from chorus import formats
from invoices.models import MAX_ENGAGEMENT_LENGTH, MAX_NUMBER_LENGTH, VAT_RATES, Cadre, InvoiceType, PaymentMode

CENT = Decimal("0.01")

NS = {
    "rsm": "urn:un:unece:uncefact:data:standard:CrossIndustryInvoice:100",
    "ram": "urn:un:unece:uncefact:data:standard:ReusableAggregateBusinessInformationEntity:100",
    "udt": "urn:un:unece:uncefact:data:standard:UnqualifiedDataType:100",
}
_ROOT_TAG = f"{{{NS['rsm']}}}CrossIndustryInvoice"
_AGREEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeAgreement"
_SETTLEMENT = "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement"
_SUMMATION = f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementHeaderMonetarySummation"

INVOICE_TYPE_CODES = {"380": InvoiceType.INVOICE, "384": InvoiceType.INVOICE, "389": InvoiceType.INVOICE}
CREDIT_NOTE_TYPE_CODES = {"381": InvoiceType.CREDIT_NOTE}
# UNTDID 4461 payment means codes.
PAYMENT_MEANS = {
    "10": PaymentMode.CASH,
    "20": PaymentMode.CHEQUE,
    "30": PaymentMode.TRANSFER,
    "31": PaymentMode.TRANSFER,
    "42": PaymentMode.TRANSFER,
    "58": PaymentMode.TRANSFER,
    "49": PaymentMode.DIRECT_DEBIT,
    "59": PaymentMode.DIRECT_DEBIT,
}


class ExtractionError(Exception):
    """The embedded data cannot be used; ``str(exc)`` is a French message for the user."""


@dataclass
class VatBreakdown:
    rate: Decimal
    base_ht: Decimal
    vat_amount: Decimal
    exemption_reason: str = ""


@dataclass
class Extracted:
    """Values proposed for the invoice form; ``None`` or "" when not found."""

    source: str  # "facturx" or "texte"
    number: str = ""
    invoice_date: date | None = None
    invoice_type: str = ""
    cadre: str = ""
    service_code: str = ""
    engagement_number: str = ""
    market_number: str = ""
    original_invoice_number: str = ""
    supplier_siret: str = ""
    recipient_siret: str = ""
    sirets: list[str] = field(default_factory=list)
    payment_mode: str = ""
    amount_ht: Decimal | None = None
    amount_tva: Decimal | None = None
    amount_ttc: Decimal | None = None
    vat_lines: list[VatBreakdown] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

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

        return {key: convert(value) for key, value in asdict(self).items() if value not in ("", None, [])}


def to_cents(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


# --- Factur-X ------------------------------------------------------------------------------


def parse_facturx(xml: bytes) -> Extracted:
    """Read a CII XML; raise ``ExtractionError`` when it is not usable or its amounts disagree."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(xml, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        raise ExtractionError(
            _("Le fichier XML Factur-X intégré au PDF n'est pas un XML valide : le portail ne peut pas le lire.")
        ) from None
    if root.tag != _ROOT_TAG:
        raise ExtractionError(
            _(
                "Le fichier XML intégré au PDF n'est pas une facture Factur-X (syntaxe CII) : le portail ne peut pas le lire."
            )
        )

    def text(path: str) -> str:
        node = root.find(path, NS)
        return (node.text or "").strip() if node is not None else ""

    data = Extracted(source="facturx")
    data.number = text("rsm:ExchangedDocument/ram:ID")
    if not data.number:
        raise ExtractionError(_("Le XML Factur-X ne contient pas de numéro de facture (BT-1)."))
    if len(data.number) > MAX_NUMBER_LENGTH:
        raise ExtractionError(
            _("Le numéro de facture du XML Factur-X (%(number)s) dépasse 20 caractères.") % {"number": data.number}
        )

    date_node = root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", NS)
    raw_date = (date_node.text or "").strip() if date_node is not None else ""
    date_format = date_node.get("format", "102") if date_node is not None else "102"
    if not raw_date:
        raise ExtractionError(_("Le XML Factur-X ne contient pas de date de facture (BT-2)."))
    if date_format != "102" or not re.fullmatch(r"\d{8}", raw_date):
        raise ExtractionError(
            _("La date de facture du XML Factur-X (%(date)s) n'est pas au format AAAAMMJJ (format 102).")
            % {"date": raw_date}
        )
    try:
        data.invoice_date = date(int(raw_date[:4]), int(raw_date[4:6]), int(raw_date[6:]))
    except ValueError:
        raise ExtractionError(
            _("La date de facture du XML Factur-X (%(date)s) n'existe pas.") % {"date": raw_date}
        ) from None

    type_code = text("rsm:ExchangedDocument/ram:TypeCode")
    if type_code in CREDIT_NOTE_TYPE_CODES:
        data.invoice_type = InvoiceType.CREDIT_NOTE
    elif type_code in INVOICE_TYPE_CODES:
        data.invoice_type = InvoiceType.INVOICE
    else:
        raise ExtractionError(
            _("Le type de document du XML Factur-X (%(code)s) n'est pas pris en charge : 380 (facture) ou 381 (avoir).")
            % {"code": type_code or "absent"}
        )

    cadre = text("rsm:ExchangedDocumentContext/ram:BusinessProcessSpecifiedDocumentContextParameter/ram:ID")
    if cadre in Cadre.values:
        data.cadre = cadre
    elif cadre:
        data.warnings.append(
            _("Le cadre de facturation « %(cadre)s » du XML n'est pas pris en charge : vérifiez le cadre proposé.")
            % {"cadre": cadre}
        )
    else:
        data.cadre = Cadre.A1

    currency = text(f"{_SETTLEMENT}/ram:InvoiceCurrencyCode")
    if currency and currency != "EUR":
        raise ExtractionError(
            _("La facture Factur-X est en %(currency)s : le portail accepte les factures en euros (EUR).")
            % {"currency": currency}
        )

    data.service_code = text(f"{_AGREEMENT}/ram:BuyerReference")
    data.engagement_number = text(f"{_AGREEMENT}/ram:BuyerOrderReferencedDocument/ram:IssuerAssignedID")
    if len(data.engagement_number) > MAX_ENGAGEMENT_LENGTH:
        raise ExtractionError(_("Le numéro d'engagement du XML Factur-X (BT-13) dépasse 50 caractères."))
    data.market_number = text(f"{_AGREEMENT}/ram:ContractReferencedDocument/ram:IssuerAssignedID")[:50]
    data.original_invoice_number = text(f"{_SETTLEMENT}/ram:InvoiceReferencedDocument/ram:IssuerAssignedID")[
        :MAX_NUMBER_LENGTH
    ]
    data.supplier_siret = _compact(text(f"{_AGREEMENT}/ram:SellerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"))
    data.recipient_siret = _compact(text(f"{_AGREEMENT}/ram:BuyerTradeParty/ram:SpecifiedLegalOrganization/ram:ID"))
    means = text(f"{_SETTLEMENT}/ram:SpecifiedTradeSettlementPaymentMeans/ram:TypeCode")
    if means and data.invoice_type == InvoiceType.INVOICE:
        data.payment_mode = PAYMENT_MEANS.get(means, PaymentMode.OTHER)

    data.amount_ht = _xml_amount(root, f"{_SUMMATION}/ram:TaxBasisTotalAmount", "BT-109", required=True)
    data.amount_tva = _tax_total(root, currency or "EUR")
    data.amount_ttc = _xml_amount(root, f"{_SUMMATION}/ram:GrandTotalAmount", "BT-112", required=True)
    for node in root.findall(f"{_SETTLEMENT}/ram:ApplicableTradeTax", NS):
        rate = _decimal(node.findtext("ram:RateApplicablePercent", default="0", namespaces=NS), "BT-119")
        data.vat_lines.append(
            VatBreakdown(
                rate=rate.quantize(CENT),
                base_ht=to_cents(_decimal(node.findtext("ram:BasisAmount", default="", namespaces=NS), "BT-116")),
                vat_amount=to_cents(
                    _decimal(node.findtext("ram:CalculatedAmount", default="", namespaces=NS), "BT-117")
                ),
                exemption_reason=(node.findtext("ram:ExemptionReason", default="", namespaces=NS) or "").strip()[:255],
            )
        )
    check_amounts(data)
    return data


def check_amounts(data: Extracted) -> None:
    """HT + TVA = TTC to the cent, and the VAT breakdown adds up to HT and TVA."""
    ht, tva, ttc = data.amount_ht, data.amount_tva, data.amount_ttc
    if ht + tva != ttc:
        raise ExtractionError(
            _(
                "Les montants du XML Factur-X ne concordent pas : HT %(ht)s + TVA %(tva)s = %(sum)s, "
                "mais le TTC indiqué est %(ttc)s."
            )
            % {
                "ht": formats.money(ht),
                "tva": formats.money(tva),
                "sum": formats.money(ht + tva),
                "ttc": formats.money(ttc),
            }
        )
    if not data.vat_lines:
        raise ExtractionError(_("Le XML Factur-X ne contient pas de récapitulatif de TVA."))
    bases = sum((line.base_ht for line in data.vat_lines), Decimal("0"))
    amounts = sum((line.vat_amount for line in data.vat_lines), Decimal("0"))
    if bases != ht:
        raise ExtractionError(
            _(
                "Le récapitulatif de TVA du XML Factur-X ne concorde pas : la somme des bases (%(bases)s) "
                "diffère du total HT (%(ht)s)."
            )
            % {"bases": formats.money(bases), "ht": formats.money(ht)}
        )
    if amounts != tva:
        raise ExtractionError(
            _(
                "Le récapitulatif de TVA du XML Factur-X ne concorde pas : la somme des montants de TVA "
                "(%(amounts)s) diffère du total de TVA (%(tva)s)."
            )
            % {"amounts": formats.money(amounts), "tva": formats.money(tva)}
        )


def _compact(value: str) -> str:
    return re.sub(r"\s", "", value or "")


def _decimal(raw: str | None, term: str) -> Decimal:
    raw = (raw or "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ExtractionError(
            _("Le montant %(term)s du XML Factur-X (« %(raw)s ») n'est pas un nombre.") % {"term": term, "raw": raw}
        ) from None
    if not value.is_finite():
        raise ExtractionError(_("Le montant %(term)s du XML Factur-X n'est pas un nombre.") % {"term": term})
    return value


def _xml_amount(root, path: str, term: str, *, required: bool) -> Decimal | None:
    node = root.find(path, NS)
    if node is None or not (node.text or "").strip():
        if required:
            raise ExtractionError(_("Le XML Factur-X ne contient pas le montant %(term)s.") % {"term": term})
        return None
    return to_cents(_decimal(node.text, term))


def _tax_total(root, currency: str) -> Decimal:
    nodes = root.findall(f"{_SUMMATION}/ram:TaxTotalAmount", NS)
    if not nodes:
        raise ExtractionError(_("Le XML Factur-X ne contient pas le montant %(term)s.") % {"term": "BT-110"})
    chosen = next((n for n in nodes if n.get("currencyID") in (None, currency)), nodes[0])
    return to_cents(_decimal(chosen.text, "BT-110"))


# --- Text of other PDFs --------------------------------------------------------------------

_SPACE_CHARS = " \u00a0\u202f"
_AMOUNT = r"(-?\d{1,3}(?:[ \u00a0\u202f.]\d{3})+(?:,\d{1,2})?|-?\d+(?:[.,]\d{1,2})?)"
_SIRET = re.compile(r"(?<!\d)(\d{3}[ \u00a0\u202f]?\d{3}[ \u00a0\u202f]?\d{3}[ \u00a0\u202f]?\d{5})(?!\d)")
_NUMBER = re.compile(
    r"\b(facture|avoir)\s*(?:n\s*°|n°|no\.?|n\.|num[ée]ro|num\.)\s*:?\s*([A-Za-z0-9][A-Za-z0-9/_.\-]*)",
    re.IGNORECASE,
)
_DATE_LABELLED = re.compile(
    r"date(?:\s+d[e']\s*(?:la\s+)?(?:facture|[ée]mission))?\s*:?\s*(\d{1,2})/(\d{1,2})/(\d{4})", re.IGNORECASE
)
_DATE = re.compile(r"(?<!\d)(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")
_TOTAL_HT = re.compile(r"total\s*h\.?\s*t\.?(?![a-z])[^\d\n-]{0,20}" + _AMOUNT, re.IGNORECASE)
_TOTAL_TVA = re.compile(
    r"(?:total|montant)\s*(?:de\s+(?:la\s+)?)?t\.?v\.?a\.?(?![a-z])[^\d\n-]{0,20}" + _AMOUNT, re.IGNORECASE
)
_TOTAL_TTC = re.compile(r"total\s*t\.?t\.?c\.?(?![a-z])[^\d\n-]{0,20}" + _AMOUNT, re.IGNORECASE)
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

    for pattern in (_DATE_LABELLED, _DATE):
        for match in pattern.finditer(text):
            day, month, year = (int(g) for g in match.groups())
            try:
                data.invoice_date = date(year, month, day)
            except ValueError:
                continue
            break
        if data.invoice_date:
            break

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
