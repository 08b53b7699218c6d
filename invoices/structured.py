"""Reading a structured invoice (Factur-X/ZUGFeRD 2 CII, UN/CEFACT CII, UBL 2.1 Invoice and
CreditNote, XRechnung in either syntax) into the ``Extracted`` the deposit uses.

The factur-x library does the XML work: ``get_flavor`` (syntax), ``get_level`` (profile, from
BT-24), ``parse_ubl_cii_xml`` (every business term, by its EN 16931 number, in both syntaxes);
this module turns its dict into the portal's fields and runs the portal's rules:

- **profiles** (``PROFILES``): EN 16931 (XRechnung and Peppol BIS are EN 16931 CIUS and read as
  such), EXTENDED, EXTENDED-CTC-FR and BASIC are accepted; BASIC WL is accepted for the reform's
  transitional period, with a warning (no lines); MINIMUM is refused by name (no VAT breakdown,
  no lines: it cannot be the invoice's data). ZUGFeRD 1.0 (``CrossIndustryDocument``) and
  Order-X are refused by name.
- **types** (BT-3, ``TYPE_CODES``): 380 facture, 381 avoir, 384 facture rectificative, 389
  autofacture. Amounts are signed as invoiced: negative totals are accepted on a 384 only (a
  corrective invoice that reduces the original); a 380/389 with a negative total is refused
  ("émettez un avoir"), a 381 with negative totals too (an avoir carries positive amounts).
- **VAT** (BG-23): every line kept exactly, any rate (a rate outside the French list is a
  warning, never a change); each line must satisfy BT-116 × BT-119 / 100 = BT-117 within
  ``vat_tolerance``: 0,01 € per invoice line at that rate, at least 0,01 € (the 1-cent-per-line
  tolerance of the reform's EXTENDED-CTC-FR rules); HT + TVA = TTC and the breakdown adds up to
  BT-109 and BT-110 to the cent.
- **parties**: identifiers are named by their kind in every message (SIRET, SIREN, numéro de TVA,
  HRA/HRB, other ISO 6523 schemes), see ``describe_identifier``.

A file that breaks a rule raises ``ExtractionError`` with a French message naming the business
term; the deposit then refuses the file (the supplier fixes it in its software).
"""

import re
from datetime import date
from decimal import Decimal, InvalidOperation

import facturx
from django.utils.translation import gettext as _
from lxml import etree
from stdnum.fr import siren as stdnum_siren
from stdnum.fr import siret as stdnum_siret

from chorus import formats
from invoices.extraction import CENT, Extracted, ExtractionError, VatBreakdown, to_cents
from invoices.models import MAX_ENGAGEMENT_LENGTH, MAX_NUMBER_LENGTH, VAT_RATES, Cadre, InvoiceType, PaymentMode

SYNTAX_CII = "CII"
SYNTAX_UBL = "UBL"

# factur-x level → (label, accepted, warning).
PROFILES = {
    "minimum": "MINIMUM",
    "basicwl": "BASIC WL",
    "basic": "BASIC",
    "en16931": "EN 16931",
    "extended": "EXTENDED",
    "extended-ctc-fr": "EXTENDED-CTC-FR",
}
REFUSED_PROFILES = {"minimum"}
TRANSITIONAL_PROFILES = {"basicwl"}

TYPE_CODES = {
    "380": InvoiceType.INVOICE,
    "381": InvoiceType.CREDIT_NOTE,
    "384": InvoiceType.INVOICE,
    "389": InvoiceType.INVOICE,
}
TYPE_LABELS = {
    "380": "facture",
    "381": "avoir",
    "384": "facture rectificative",
    "389": "autofacture",
}
NEGATIVE_ALLOWED_TYPES = {"384"}
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
# ISO 6523 ICD codes of the identifiers the portal names.
SCHEME_SIRENE = "0002"  # SIREN or SIRET
SCHEME_SIRET = "0009"
SCHEME_NAMES = {"0088": "GLN", "0060": "DUNS", "0106": "KvK", "0204": "Leitweg-ID", "0208": "BCE/KBO"}
_HR = re.compile(r"^(HR[AB])\s*-?\s*(\d+\s*[A-Z]?)$", re.IGNORECASE)
_VAT = re.compile(r"^[A-Z]{2}[0-9A-Z+*.]{2,13}$")


def describe_identifier(value: str, scheme: str | None = "") -> str:
    """ "le SIRET 73282932000074", "le numéro de TVA DE123456789", "le numéro HRB 12345 (registre
    du commerce allemand)"… for the messages that name a party's identifier."""
    value = (value or "").strip()
    compact = re.sub(r"\s", "", value)
    scheme = (scheme or "").strip()
    if compact.isdigit() and len(compact) == 14 and scheme in ("", SCHEME_SIRET, SCHEME_SIRENE):
        return _("le SIRET %(value)s") % {"value": compact}
    if compact.isdigit() and len(compact) == 9 and scheme in ("", SCHEME_SIRENE):
        return _("le SIREN %(value)s") % {"value": compact}
    match = _HR.match(value)
    if match:
        return _("le numéro %(kind)s %(number)s (registre du commerce allemand)") % {
            "kind": match.group(1).upper(),
            "number": match.group(2),
        }
    if scheme == "VA" or (not scheme and _VAT.match(compact.upper()) and not compact.isdigit()):
        return _("le numéro de TVA %(value)s") % {"value": compact.upper()}
    if scheme in SCHEME_NAMES:
        return _("l'identifiant %(name)s %(value)s") % {"name": SCHEME_NAMES[scheme], "value": value}
    if scheme:
        return _("l'identifiant %(value)s (schéma %(scheme)s)") % {"value": value, "scheme": scheme}
    return _("l'identifiant %(value)s") % {"value": value}


def siren_of_vat(vat: str) -> str:
    """The SIREN inside a French VAT number (FR + 2 key characters + SIREN), or ""."""
    compact = re.sub(r"\s", "", vat or "").upper()
    if len(compact) == 13 and compact.startswith("FR") and compact[4:].isdigit():
        return compact[4:]
    return ""


def party_identifiers(party: dict) -> list[tuple[str, str]]:
    """(value, scheme) of a party (BG-4 or BG-7), the most precise first: legal registration
    (BT-30/BT-47), other identifiers (BT-29/BT-46), VAT number (BT-31/BT-48, scheme "VA")."""
    found = []
    legal = (party.get("legal_identifier") or "").strip()
    if legal:
        found.append((legal, (party.get("legal_identifier_schemeid") or "").strip()))
    for scheme, value in (party.get("identifiers") or {}).items():
        if value and (value.strip(), scheme or "") not in found:
            found.append((value.strip(), (scheme or "").strip()))
    vat = (party.get("vat_identifier") or "").strip()
    if vat:
        found.append((vat, "VA"))
    return found


def party_siret(party: dict) -> str:
    """The SIRET of a party when one of its identifiers is a valid SIRET, else ""."""
    for value, scheme in party_identifiers(party):
        compact = re.sub(r"\s", "", value)
        if scheme in ("", SCHEME_SIRET, SCHEME_SIRENE) and stdnum_siret.is_valid(compact):
            return compact
    return ""


def party_siren(party: dict) -> str:
    """The SIREN of a party: of its SIRET, its SIREN, or its French VAT number; else ""."""
    siret = party_siret(party)
    if siret:
        return siret[:9]
    for value, scheme in party_identifiers(party):
        compact = re.sub(r"\s", "", value)
        if scheme == "VA":
            compact = siren_of_vat(compact)
        if compact and scheme in ("", SCHEME_SIRENE, "VA") and stdnum_siren.is_valid(compact):
            return compact
    return ""


def vat_tolerance(lines_at_rate: int) -> Decimal:
    """The accepted gap between BT-117 and BT-116 × BT-119 / 100: 0,01 € per invoice line at
    that rate, at least 0,01 €."""
    return CENT * max(1, lines_at_rate)


# --- Reading ----------------------------------------------------------------------------------


def load(xml: bytes):
    """The XML tree, read without entities or network; ``ExtractionError`` when not XML."""
    parser = etree.XMLParser(resolve_entities=False, no_network=True, huge_tree=False, remove_comments=True)
    try:
        root = etree.fromstring(xml, parser=parser)
    except (etree.XMLSyntaxError, ValueError):
        raise ExtractionError(
            _("Le fichier XML de la facture n'est pas un XML bien formé : le portail ne peut pas le lire.")
        ) from None
    if root is None:
        raise ExtractionError(_("Le fichier XML de la facture est vide."))
    return root


def flavor_of(root) -> str:
    """The factur-x library's flavor of a tree (``factur-x``, ``zugferd``, ``ubl-2.1-invoice``…)
    or "" when it is no invoice syntax it knows."""
    try:
        return facturx.get_flavor(root)
    except Exception:  # noqa: BLE001 -- the library raises a bare Exception for an unknown root
        return ""


def parse_structured(xml: bytes, *, container: str = "facturx") -> Extracted:
    """Read a CII or UBL invoice; ``container`` is "facturx" (embedded in a PDF) or "xml" (a
    deposited XML file). Raises ``ExtractionError`` (French) when a rule is broken."""
    root = load(xml)
    flavor = flavor_of(root)
    what = _("Le XML Factur-X") if container == "facturx" else _("Le fichier XML")
    if flavor == "zugferd":
        raise ExtractionError(
            _(
                "%(what)s est au format ZUGFeRD 1.0, qui n'est plus accepté : déposez une facture Factur-X "
                "(ZUGFeRD 2), CII ou UBL."
            )
            % {"what": what}
        )
    if flavor not in ("factur-x", "ubl-2.1-invoice", "ubl-2.1-creditnote") or not _known_root(root, flavor):
        raise ExtractionError(
            _(
                "%(what)s n'est pas une facture dans une syntaxe acceptée (UN/CEFACT CII, UBL 2.1 Invoice ou "
                "CreditNote) : le portail ne peut pas le lire."
            )
            % {"what": what}
        )
    syntax = SYNTAX_CII if flavor == "factur-x" else SYNTAX_UBL
    spec = _spec_id(root, flavor)
    try:
        level = facturx.get_level(root, flavor)
    except Exception:  # noqa: BLE001 -- ValueError for an unknown URN, anything for a broken tree
        level = ""
    if level not in PROFILES or (syntax == SYNTAX_UBL and level not in ("en16931", "extended-ctc-fr")):
        raise ExtractionError(
            _(
                "%(what)s ne déclare pas un profil accepté (BT-24 : « %(spec)s ») : profils acceptés EN 16931 "
                "(dont XRechnung), EXTENDED, EXTENDED-CTC-FR, BASIC et, à titre transitoire, BASIC WL."
            )
            % {"what": what, "spec": spec or _("absent")}
        )
    profile = PROFILES[level]
    if "xrechnung" in spec.lower():
        profile = "XRechnung (EN 16931)"
    if level in REFUSED_PROFILES:
        raise ExtractionError(
            _(
                "Profil %(profile)s non accepté : il ne porte ni les lignes ni le récapitulatif de TVA de la "
                "facture, qui ne peut donc pas être lue comme une facture électronique (la réforme de 2026 ne "
                "le retient pas). Produisez la facture au profil EN 16931 (ou BASIC, EXTENDED) dans votre "
                "logiciel de facturation, ou déposez un PDF sans XML intégré."
            )
            % {"profile": profile}
        )
    _check_date_format(root, flavor, what)
    try:
        fields = facturx.parse_ubl_cii_xml(root, flavor=flavor, level=level, check_xsd=False)
    except Exception as exc:  # noqa: BLE001 -- the library raises on any unexpected value
        raise ExtractionError(
            _("%(what)s contient une valeur que le portail ne sait pas lire (%(error)s).")
            % {"what": what, "error": str(exc)[:200]}
        ) from None

    data = Extracted(source="facturx" if container == "facturx" else "xml")
    data.syntax = syntax
    data.profile = profile
    if level in TRANSITIONAL_PROFILES:
        data.warnings.append(
            _(
                "Profil %(profile)s accepté à titre transitoire : il ne porte pas les lignes de la facture. La "
                "réforme de 2026 ne le retient que pendant la période de transition : passez au profil EN 16931."
            )
            % {"profile": profile}
        )
    _read_header(data, fields, root, flavor, what)
    _read_parties(data, fields)
    _read_amounts(data, fields, root, flavor, what)
    _read_lines(data, fields)
    check_amounts(data, what=what)
    return data


def _known_root(root, flavor: str) -> bool:
    namespaces = facturx.get_xml_namespaces(flavor)
    if flavor == "factur-x":
        return root.tag == f"{{{namespaces['rsm']}}}CrossIndustryInvoice"
    local = "Invoice" if flavor == "ubl-2.1-invoice" else "CreditNote"
    return root.tag == f"{{{namespaces['default']}}}{local}"


def _spec_id(root, flavor: str) -> str:
    if flavor == "factur-x":
        path = "rsm:ExchangedDocumentContext/ram:GuidelineSpecifiedDocumentContextParameter/ram:ID"
    else:
        path = "cbc:CustomizationID"
    node = root.find(path, facturx.get_xml_namespaces(flavor))
    return (node.text or "").strip() if node is not None else ""


def _check_date_format(root, flavor: str, what: str) -> None:
    namespaces = facturx.get_xml_namespaces(flavor)
    if flavor == "factur-x":
        node = root.find("rsm:ExchangedDocument/ram:IssueDateTime/udt:DateTimeString", namespaces)
        raw = (node.text or "").strip() if node is not None else ""
        ok = node is not None and node.get("format", "102") == "102" and re.fullmatch(r"\d{8}", raw)
        parts = (raw[:4], raw[4:6], raw[6:8]) if ok else None
        expected = "AAAAMMJJ (format 102)"
    else:
        node = root.find("cbc:IssueDate", namespaces)
        raw = (node.text or "").strip() if node is not None else ""
        match = re.fullmatch(r"(\d{4})-(\d{2})-(\d{2})", raw)
        parts = match.groups() if match else None
        expected = "AAAA-MM-JJ"
    if not raw:
        raise ExtractionError(_("%(what)s ne contient pas de date de facture (BT-2).") % {"what": what})
    if parts is None:
        raise ExtractionError(
            _("La date de facture (BT-2) du XML (%(date)s) n'est pas au format %(expected)s.")
            % {"date": raw, "expected": expected}
        )
    try:
        date(int(parts[0]), int(parts[1]), int(parts[2]))
    except ValueError:
        raise ExtractionError(_("La date de facture (BT-2) du XML (%(date)s) n'existe pas.") % {"date": raw}) from None


def _text(fields: dict, key: str) -> str:
    value = fields.get(key)
    if isinstance(value, list):
        value = value[0] if value else ""
    return str(value or "").strip()


def _read_header(data: Extracted, fields: dict, root, flavor: str, what: str) -> None:
    data.number = _text(fields, "BT-1")
    if not data.number:
        raise ExtractionError(_("%(what)s ne contient pas de numéro de facture (BT-1).") % {"what": what})
    if len(data.number) > MAX_NUMBER_LENGTH:
        raise ExtractionError(
            _("Le numéro de facture (BT-1) du XML (%(number)s) dépasse 20 caractères.") % {"number": data.number}
        )
    data.invoice_date = fields.get("BT-2")
    type_code = _text(fields, "BT-3")
    if not type_code and flavor == "ubl-2.1-creditnote":
        type_code = "381"
    if type_code not in TYPE_CODES:
        raise ExtractionError(
            _(
                "Le type de document (BT-3) du XML (%(code)s) n'est pas pris en charge : 380 (facture), "
                "381 (avoir), 384 (facture rectificative) ou 389 (autofacture)."
            )
            % {"code": type_code or _("absent")}
        )
    data.type_code = type_code
    data.invoice_type = TYPE_CODES[type_code]

    currency = _text(fields, "BT-5")
    if currency and currency != "EUR":
        raise ExtractionError(
            _("La facture est en %(currency)s (BT-5) : le portail accepte les factures en euros (EUR).")
            % {"currency": currency}
        )
    cadre = _text(fields, "BT-23")
    if cadre in Cadre.values:
        data.cadre = cadre
    elif cadre and not cadre.lower().startswith("urn:"):
        data.warnings.append(
            _("Le cadre de facturation « %(cadre)s » du XML (BT-23) n'est pas pris en charge : le cadre A1 est retenu.")
            % {"cadre": cadre}
        )
        data.cadre = Cadre.A1
    else:
        data.cadre = Cadre.A1  # absent (or a UBL ProfileID URN): A1, as Chorus Pro does

    data.service_code = _text(fields, "BT-10")[:100]
    data.engagement_number = _text(fields, "BT-13")
    if len(data.engagement_number) > MAX_ENGAGEMENT_LENGTH:
        raise ExtractionError(_("Le numéro d'engagement (BT-13) du XML dépasse 50 caractères."))
    data.market_number = _text(fields, "BT-12")[:50]
    preceding = [(entry.get("BT-25") or "").strip() for entry in fields.get("BG-3") or [] if entry.get("BT-25")]
    if preceding:
        if len(preceding[0]) > MAX_NUMBER_LENGTH:
            raise ExtractionError(
                _("Le numéro de la facture d'origine (BT-25) du XML (%(number)s) dépasse 20 caractères.")
                % {"number": preceding[0]}
            )
        data.original_invoice_number = preceding[0]
    means = _text(fields, "BT-81")
    if means and data.invoice_type == InvoiceType.INVOICE:
        data.payment_mode = PAYMENT_MEANS.get(means, PaymentMode.OTHER)


def _read_parties(data: Extracted, fields: dict) -> None:
    seller, buyer = fields.get("BG-4") or {}, fields.get("BG-7") or {}
    data.seller_name = (seller.get("name") or "").strip()[:255]
    data.buyer_name = (buyer.get("name") or "").strip()[:255]
    data.supplier_siret = party_siret(seller)
    data.supplier_siren = party_siren(seller)
    data.supplier_ids = party_identifiers(seller)
    data.supplier_identifiers = [describe_identifier(v, s) for v, s in data.supplier_ids]
    data.recipient_siret = party_siret(buyer)
    data.recipient_identifiers = [describe_identifier(v, s) for v, s in party_identifiers(buyer)]


def _amount(raw, term: str, what: str) -> Decimal:
    raw = str(raw if raw is not None else "").strip()
    try:
        value = Decimal(raw)
    except InvalidOperation:
        raise ExtractionError(
            _("Le montant %(term)s du XML (« %(raw)s ») n'est pas un nombre.") % {"term": term, "raw": raw}
        ) from None
    if not value.is_finite():
        raise ExtractionError(_("Le montant %(term)s du XML n'est pas un nombre.") % {"term": term})
    return value


def _read_amounts(data: Extracted, fields: dict, root, flavor: str, what: str) -> None:
    for attr, term in (("amount_ht", "BT-109"), ("amount_ttc", "BT-112")):
        if not _text(fields, term):
            raise ExtractionError(_("%(what)s ne contient pas le montant %(term)s.") % {"what": what, "term": term})
        setattr(data, attr, to_cents(_amount(_text(fields, term), term, what)))
    tva = _text(fields, "BT-110") or _tax_total_without_currency(root, flavor)
    data.amount_tva = to_cents(_amount(tva, "BT-110", what)) if tva else Decimal("0.00")
    lines = fields.get("BG-25") or []
    counts: dict[str, int] = {}
    for line in lines:
        rate = _text(line, "BT-152")
        if rate:
            try:
                key = f"{Decimal(rate):.2f}"
            except InvalidOperation:
                continue
            counts[key] = counts.get(key, 0) + 1
    data.line_counts = counts
    for entry in fields.get("BG-23") or []:
        raw_rate = _text(entry, "BT-119") or "0"
        rate = _amount(raw_rate, "BT-119", what)
        if rate != rate.quantize(CENT) or not (0 <= rate < 100):
            raise ExtractionError(
                _(
                    "Le taux de TVA (BT-119) « %(rate)s » du XML n'est pas un pourcentage de 0 à 99,99 "
                    "avec au plus deux décimales."
                )
                % {"rate": raw_rate}
            )
        data.vat_lines.append(
            VatBreakdown(
                rate=rate.quantize(CENT),
                base_ht=to_cents(_amount(_text(entry, "BT-116"), "BT-116", what)),
                vat_amount=to_cents(_amount(_text(entry, "BT-117") or "0", "BT-117", what)),
                exemption_reason=(_text(entry, "BT-120") or _text(entry, "BT-121"))[:255],
                category=_text(entry, "BT-118"),
            )
        )


def _tax_total_without_currency(root, flavor: str) -> str:
    namespaces = facturx.get_xml_namespaces(flavor)
    if flavor == "factur-x":
        path = (
            "rsm:SupplyChainTradeTransaction/ram:ApplicableHeaderTradeSettlement/"
            "ram:SpecifiedTradeSettlementHeaderMonetarySummation/ram:TaxTotalAmount"
        )
    else:
        path = "cac:TaxTotal/cbc:TaxAmount"
    node = root.find(path, namespaces)
    return (node.text or "").strip() if node is not None else ""


def _read_lines(data: Extracted, fields: dict) -> None:
    """The invoice lines (BG-25), kept for the PDF the portal makes from an XML file."""
    for line in fields.get("BG-25") or []:
        data.lines.append(
            {
                "designation": _text(line, "BT-153")[:255],
                "quantity": _text(line, "BT-129"),
                "unit": _text(line, "BT-130")[:20],
                "unit_price": _text(line, "BT-146"),
                "rate": _text(line, "BT-152"),
                "amount": _text(line, "BT-131"),
            }
        )


def check_amounts(data: Extracted, *, what: str = "") -> None:
    """HT + TVA = TTC to the cent; the breakdown adds up to HT and TVA; each VAT line's amount is
    its base × rate within ``vat_tolerance``; signs as the type (BT-3) allows."""
    what = what or _("Le XML Factur-X")
    ht, tva, ttc = data.amount_ht, data.amount_tva, data.amount_ttc
    if ht + tva != ttc:
        raise ExtractionError(
            _(
                "Les montants du XML ne concordent pas : HT %(ht)s (BT-109) + TVA %(tva)s (BT-110) = %(sum)s, "
                "mais le TTC indiqué (BT-112) est %(ttc)s."
            )
            % {
                "ht": formats.money(ht),
                "tva": formats.money(tva),
                "sum": formats.money(ht + tva),
                "ttc": formats.money(ttc),
            }
        )
    negative = ht < 0 or tva < 0 or ttc < 0
    if negative and data.type_code not in NEGATIVE_ALLOWED_TYPES:
        if data.invoice_type == InvoiceType.CREDIT_NOTE:
            raise ExtractionError(
                _(
                    "Cet avoir (type 381) porte des montants négatifs (TTC %(ttc)s) : un avoir porte des montants "
                    "positifs, qui sont déduits de la facture d'origine. Corrigez le fichier."
                )
                % {"ttc": formats.money(ttc)}
            )
        raise ExtractionError(
            _(
                "Cette %(label)s (type %(code)s) a un total négatif (TTC %(ttc)s) : pour réduire une facture, "
                "émettez un avoir (type 381) avec des montants positifs, ou une facture rectificative (type 384)."
            )
            % {"label": TYPE_LABELS.get(data.type_code, "facture"), "code": data.type_code, "ttc": formats.money(ttc)}
        )
    if not data.vat_lines:
        raise ExtractionError(
            _("%(what)s ne contient pas de récapitulatif de TVA (BG-23) : il est obligatoire.") % {"what": what}
        )
    for line in data.vat_lines:
        expected = to_cents(line.base_ht * line.rate / 100)
        tolerance = vat_tolerance(data.line_counts.get(f"{line.rate:.2f}", 0))
        if abs(expected - line.vat_amount) > tolerance:
            raise ExtractionError(
                _(
                    "Récapitulatif de TVA au taux de %(rate)s : la TVA indiquée (BT-117, %(amount)s) ne correspond "
                    "pas à la base (BT-116, %(base)s) × le taux (BT-119), soit %(expected)s (écart admis : "
                    "%(tolerance)s)."
                )
                % {
                    "rate": formats.percent(line.rate),
                    "amount": formats.money(line.vat_amount),
                    "base": formats.money(line.base_ht),
                    "expected": formats.money(expected),
                    "tolerance": formats.money(tolerance),
                }
            )
        if line.rate not in VAT_RATES:
            data.warnings.append(
                _(
                    "Le taux de TVA de %(rate)s n'est pas un taux en vigueur en France : il est conservé tel que "
                    "facturé. Vérifiez qu'il s'applique bien à cette facture."
                )
                % {"rate": formats.percent(line.rate)}
            )
    bases = sum((line.base_ht for line in data.vat_lines), Decimal("0"))
    amounts = sum((line.vat_amount for line in data.vat_lines), Decimal("0"))
    if bases != ht:
        raise ExtractionError(
            _(
                "Le récapitulatif de TVA du XML ne concorde pas : la somme des bases (BT-116, %(bases)s) "
                "diffère du total HT (BT-109, %(ht)s)."
            )
            % {"bases": formats.money(bases), "ht": formats.money(ht)}
        )
    if amounts != tva:
        raise ExtractionError(
            _(
                "Le récapitulatif de TVA du XML ne concorde pas : la somme des montants de TVA "
                "(BT-117, %(amounts)s) diffère du total de TVA (BT-110, %(tva)s)."
            )
            % {"amounts": formats.money(amounts), "tva": formats.money(tva)}
        )


# --- Files inside a PDF -------------------------------------------------------------------------

EMBEDDED_NAMES = ("factur-x.xml", "zugferd-invoice.xml", "xrechnung.xml")


def pick_embedded_xml(attachments: list[tuple[str, bytes]]) -> tuple[bytes | None, bool]:
    """(xml, broken) among a PDF's embedded files: the Factur-X/ZUGFeRD 2 (CII) or XRechnung
    XML, preferred to a ZUGFeRD 1.0 one (a ZUGFeRD 1+2 hybrid is judged on its version 2 XML);
    ``broken`` when an invoice XML is embedded but none is readable."""
    candidates = [(name, content) for name, content in attachments if name.lower() in EMBEDDED_NAMES and content]
    if not candidates:
        return None, False
    fallback = None
    for _name, content in candidates:
        try:
            root = load(content)
        except ExtractionError:
            continue
        flavor = flavor_of(root)
        if flavor in ("factur-x", "ubl-2.1-invoice", "ubl-2.1-creditnote"):
            return content, False
        if flavor == "zugferd" and fallback is None:
            fallback = content
    if fallback is not None:
        return fallback, False  # refused by name in ``parse_structured``
    return None, True
